/**
 * sw/AgentPorts: the worker's one Comlink proxy per page, rebuilt on demand. Real MessageChannels (Node has them),
 * fake time for every wait.
 */
import { expose, finalizer } from 'comlink';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentPorts, type ClientsLike } from '../../sw/AgentPorts';
import { CONTRACT_VERSION, isWorkerToPageMessage } from '../../core/contract';

const opened: MessagePort[] = [];

/** A page's agent exposed on one port of a fresh channel; `released` settles when the worker lets go of its proxy. */
function pageAgent(name: string) {
  const { port1, port2 } = new MessageChannel();
  opened.push(port1, port2);
  let onRelease!: () => void;
  const released = new Promise<void>((r) => (onRelease = r));
  expose({ hello: (v: number) => ({ version: v, name }), [finalizer]: () => onRelease() }, port1);
  return { port: port2, released };
}

/** Fake `self.clients`: records every message posted to each page. */
function fakeClients(present: (id: string) => boolean | 'throws' = () => true) {
  const posted: Array<[string, unknown]> = [];
  const clients: ClientsLike = {
    get: async (id) => {
      const p = present(id);
      if (p === 'throws') throw new Error('clients.get failed');
      return p ? { postMessage: (m: unknown) => void posted.push([id, m]) } : undefined;
    },
  };
  return { clients, posted };
}

function track<T>(p: Promise<T>) {
  const state: { settled: boolean; value?: T } = { settled: false };
  void p.then((value) => Object.assign(state, { settled: true, value }));
  return state;
}

/** Lets the fake clients' promise chains run (no time passes). */
const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => void vi.useFakeTimers());
afterEach(() => {
  vi.useRealTimers();
  for (const p of opened.splice(0)) p.close();
});

describe('AgentPorts', () => {
  it('without a port: asks the page once for one (need-port), and every waiter gets the agent the page posts', async () => {
    const { clients, posted } = fakeClients();
    const ports = new AgentPorts(clients);
    const first = track(ports.get('page1', 1000));
    const second = track(ports.get('page1', 1000));
    await flush();
    expect(posted).toEqual([['page1', { type: 'swarmfetch:need-port', version: CONTRACT_VERSION }]]);
    expect(isWorkerToPageMessage(posted[0]![1])).toBe(true);
    expect(first.settled || second.settled).toBe(false);

    ports.set('page1', pageAgent('one').port);
    await flush();
    expect(first.settled && second.settled).toBe(true);
    expect(first.value).toBe(second.value);
    expect(await first.value!.hello(CONTRACT_VERSION)).toEqual({ version: CONTRACT_VERSION, name: 'one' });
    await flush();
    // both wait timers cleared (and the deadline of the worker's own hello on the new port, answered before ours)
    expect(vi.getTimerCount()).toBe(0);
    // known now: answered without asking the page again
    expect(await ports.get('page1', 1000)).toBe(first.value);
    expect(posted).toHaveLength(1);
    expect(ports.size).toBe(1);
  });

  it('never waits longer than waitMs: null when the page sends no port in time', async () => {
    const { clients, posted } = fakeClients();
    const ports = new AgentPorts(clients);
    const w = track(ports.get('page1', 500));
    await vi.advanceTimersByTimeAsync(499);
    expect(w.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(w).toEqual({ settled: true, value: null });
    // the next request asks again (the first question may have been lost)
    void ports.get('page1', 500);
    await flush();
    expect(posted).toHaveLength(2);
    // a port that comes late is still registered for later requests
    ports.set('page1', pageAgent('late').port);
    expect(ports.size).toBe(1);
  });

  it('answers null at once, asking nobody, for waitMs <= 0 or no client id', async () => {
    const { clients, posted } = fakeClients();
    const ports = new AgentPorts(clients);
    expect(await ports.get('page1', 0)).toBeNull();
    expect(await ports.get('', 1000)).toBeNull();
    await flush();
    expect(posted).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a page that is gone (or clients.get failing) ends the wait at once with null', async () => {
    for (const present of [() => false, () => 'throws' as const]) {
      const { clients, posted } = fakeClients(present);
      const ports = new AgentPorts(clients);
      const w = track(ports.get('gone', 60_000));
      await flush();
      expect(w).toEqual({ settled: true, value: null });
      expect(posted).toEqual([]);
      expect(vi.getTimerCount()).toBe(0);
    }
  });

  it('a new port for a page replaces (and releases) the old proxy', async () => {
    const ports = new AgentPorts(fakeClients().clients);
    const old = pageAgent('old');
    ports.set('page1', old.port);
    ports.set('page1', pageAgent('new').port);
    await old.released;
    const agent = await ports.get('page1', 0);
    expect(await agent!.hello(1)).toEqual({ version: 1, name: 'new' });
    expect(ports.size).toBe(1);
  });

  it('keeps a page\'s direct word with its port: none without a port, and a new port starts without it', () => {
    const ports = new AgentPorts(fakeClients().clients);
    ports.setDirect('page1', true); // no port yet: nothing to keep it with (the page says it again after its port)
    expect(ports.isDirect('page1')).toBe(false);
    ports.set('page1', pageAgent('a').port);
    expect(ports.isDirect('page1')).toBe(false);
    ports.setDirect('page1', true);
    expect(ports.isDirect('page1')).toBe(true);
    expect(ports.isDirect('page2')).toBe(false);
    ports.set('page1', pageAgent('b').port);
    expect(ports.isDirect('page1')).toBe(false);
    ports.setDirect('page1', true);
    ports.drop('page1');
    expect(ports.isDirect('page1')).toBe(false);
  });

  it('drop forgets and releases a page\'s proxy; drop of an unknown page is harmless', async () => {
    const ports = new AgentPorts(fakeClients().clients);
    const a = pageAgent('a');
    ports.set('page1', a.port);
    ports.drop('page1');
    ports.drop('page1');
    ports.drop('never');
    await a.released;
    expect(ports.size).toBe(0);
    expect(await ports.get('page1', 0)).toBeNull();
  });

  it('holds at most 64 pages: the oldest is released first', async () => {
    const ports = new AgentPorts(fakeClients().clients);
    const agents = Array.from({ length: 65 }, (_, i) => pageAgent(`p${i}`));
    agents.forEach((a, i) => ports.set(`page${i}`, a.port));
    expect(ports.size).toBe(64);
    await agents[0]!.released;
    expect(await ports.get('page0', 0)).toBeNull();
    expect(await (await ports.get('page64', 0))!.hello(1)).toEqual({ version: 1, name: 'p64' });
    expect(await (await ports.get('page1', 0))!.hello(1)).toEqual({ version: 1, name: 'p1' });
  });

  it('destroy releases every proxy and ends every wait with null', async () => {
    const ports = new AgentPorts(fakeClients().clients);
    const a = pageAgent('a');
    ports.set('page1', a.port);
    const w = track(ports.get('page2', 60_000));
    await flush();
    ports.destroy();
    await flush();
    await a.released;
    expect(w).toEqual({ settled: true, value: null });
    expect(ports.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
