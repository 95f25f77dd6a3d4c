import { wrap } from 'comlink';
import { describe, expect, it } from 'vitest';
import { WorkerBridge } from '../../client/WorkerBridge';
import { CONTRACT_VERSION, type AgentApi } from '../../core/contract';
import { mergeConfig } from '../../core/mergeConfig';

function fakeContainer() {
  const listeners = new Map<string, (e: unknown) => void>();
  const posted: unknown[] = [];
  const controller = { scriptURL: '/sw.js', postMessage: (m: unknown) => void posted.push(m) };
  const container = {
    controller,
    addEventListener: (type: string, fn: (e: unknown) => void) => void listeners.set(type, fn),
    removeEventListener: (type: string) => void listeners.delete(type),
    startMessages: () => {},
    register: async () => ({ active: controller }),
  };
  return { container: container as unknown as ServiceWorkerContainer, listeners, posted, controller };
}

const agent: AgentApi = {
  hello: (v) => ({ version: v }),
  getSegment: async () => ({ kind: 'miss', reason: 'no-peer' }),
  putSegment: () => {},
  report: () => {},
  manifestText: () => {},
};

describe('WorkerBridge', () => {
  it('a worker asking for a new port (it was restarted) gets one, and the page hears the worker lost its work', async () => {
    const { container, listeners, posted, controller } = fakeContainer();
    let lost = 0;
    const bridge = new WorkerBridge(mergeConfig({}), agent, container, 'http://site/', () => lost++);
    await bridge.start();
    expect(posted).toHaveLength(1); // the first port, to the controlling worker
    expect(lost).toBe(0);
    listeners.get('message')!({ data: { type: 'swarmfetch:need-port', version: CONTRACT_VERSION }, source: controller });
    expect(lost).toBe(1);
    expect(posted).toHaveLength(2);
    expect((posted[1] as { type: string }).type).toBe('swarmfetch:port');
    // anything else on the channel is not the worker's
    listeners.get('message')!({ data: { type: 'other' }, source: controller });
    expect(lost).toBe(1);
    bridge.destroy();
  });

  it('tells the worker when the agent goes direct and back, once per change, and again after every new port', async () => {
    const { container, listeners, posted, controller } = fakeContainer();
    const bridge = new WorkerBridge(mergeConfig({}), agent, container, 'http://site/');
    const types = () => posted.map((m) => (m as { type: string; on?: boolean }).type + ('on' in (m as object) ? `=${(m as { on: boolean }).on}` : ''));
    bridge.direct(true); // before the first port: kept, sent with it
    await bridge.start();
    expect(types()).toEqual(['swarmfetch:port', 'swarmfetch:direct=true']);
    bridge.direct(true);
    expect(posted).toHaveLength(2); // no change, nothing said
    bridge.direct(false);
    expect(types().at(-1)).toBe('swarmfetch:direct=false');
    expect(posted.at(-1)).toMatchObject({ version: CONTRACT_VERSION });
    listeners.get('message')!({ data: { type: 'swarmfetch:need-port', version: CONTRACT_VERSION }, source: controller });
    expect(types().at(-1)).toBe('swarmfetch:port'); // not direct: a new port needs no word
    bridge.direct(true);
    listeners.get('message')!({ data: { type: 'swarmfetch:need-port', version: CONTRACT_VERSION }, source: controller });
    expect(types().slice(-2)).toEqual(['swarmfetch:port', 'swarmfetch:direct=true']); // a restarted worker hears it again
    bridge.destroy();
  });

  it("tells the page when a worker of its contract version says hello on a port, not when another version does", async () => {
    const { container, posted, listeners, controller } = fakeContainer();
    let served = 0;
    const bridge = new WorkerBridge(mergeConfig({}), agent, container, 'http://site/', () => {}, () => served++);
    await bridge.start();
    const portOf = (m: unknown) => wrap<AgentApi>((m as { port: MessagePort }).port);
    expect(await portOf(posted[0]).hello(CONTRACT_VERSION)).toEqual({ version: CONTRACT_VERSION });
    expect(served).toBe(1);
    listeners.get('message')!({ data: { type: 'swarmfetch:need-port', version: CONTRACT_VERSION }, source: controller });
    await portOf(posted[1]).hello(CONTRACT_VERSION);
    expect(served).toBe(2);
    listeners.get('message')!({ data: { type: 'swarmfetch:need-port', version: CONTRACT_VERSION }, source: controller });
    await portOf(posted[2]).hello(CONTRACT_VERSION + 1);
    expect(served).toBe(2);
    for (const m of posted) (m as { port?: MessagePort }).port?.close();
    bridge.destroy();
  });
});
