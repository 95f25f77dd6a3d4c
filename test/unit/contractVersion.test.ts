/**
 * Contract versions, both ways: a worker meeting a page of another version (an old page under a new worker) sends
 * all of that page's requests to the network and tells it once; a page meeting a worker of another version (an
 * old installed worker under a new page) hears it as exactly one `contract-mismatch` error and stops talking to
 * that worker. Fakes and fake time; the page's port is a real MessageChannel where a test says so.
 */
import { wrap, type Remote } from 'comlink';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentPorts, type ClientsLike } from '../../sw/AgentPorts';
import { SwarmfetchWorker } from '../../sw/SwarmfetchWorker';
import { WorkerBridge } from '../../client/WorkerBridge';
import { mergeConfig } from '../../core/mergeConfig';
import { CONTRACT_VERSION, type AgentApi, type PortMessage, type WorkerError } from '../../core/contract';

// workbox-core (imported by the worker) reads `self` when it loads; in Node that is globalThis
vi.hoisted(() => {
  (globalThis as { self?: unknown }).self ??= globalThis;
});

const SEGMENT = 'http://site.test/vod/360p/seg_001.ts';
const OLD = CONTRACT_VERSION - 1;

function track<T>(p: Promise<T>) {
  const state: { settled: boolean; value?: T } = { settled: false };
  void p.then((value) => Object.assign(state, { settled: true, value }));
  return state;
}
const flush = () => vi.advanceTimersByTimeAsync(0);

/** A page agent of this version that records what the worker asks; `version` is what its hello answers. */
function pageAgent(helloAnswer: (v: number) => { version: number } | Promise<{ version: number }>) {
  const getSegment = vi.fn(async () => ({ kind: 'miss', reason: 'no-peer' }) as const);
  const agent = {
    hello: helloAnswer,
    getSegment,
    putSegment: () => {},
    report: () => {},
    manifestText: () => {},
  } as unknown as Remote<AgentApi>;
  return { agent, getSegment };
}

/** Fake `self.clients`: records what is posted to each page; `present` says whether a page is still there. */
function fakeClients(present: () => boolean = () => true) {
  const posted: Array<[string, unknown]> = [];
  const clients: ClientsLike & { claim: ReturnType<typeof vi.fn>; matchAll: ReturnType<typeof vi.fn> } = {
    get: async (id) => (present() ? { postMessage: (m: unknown) => void posted.push([id, m]) } : undefined),
    claim: vi.fn(async () => undefined),
    matchAll: vi.fn(async () => []),
  };
  return { clients, posted };
}

describe('a worker meeting a page of another contract version', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  function worker() {
    const { clients, posted } = fakeClients();
    const fetch = vi.fn(async () => new Response('from the network', { status: 200 }));
    const scope = Object.assign(new EventTarget(), { clients, fetch, location: new URL('http://site.test/sw.js') });
    const w = new SwarmfetchWorker({ portWaitMs: 150, p2pTimeoutMs: 2000 }, scope as unknown as ServiceWorkerGlobalScope);
    const message = (data: unknown) =>
      ({ data, source: { id: 'page-1' }, waitUntil: vi.fn() }) as unknown as ExtendableMessageEvent;
    return { w, clients, posted, fetch, message };
  }

  it('an old page\'s port: the page is told once, and every request of it goes to the network at once', async () => {
    const { w, posted, fetch, message } = worker();
    const { port1, port2 } = new MessageChannel();
    expect(w.acceptMessage(message({ type: 'swarmfetch:port', version: OLD, port: port2 }))).toBe(true);
    await flush();
    expect(posted).toEqual([['page-1', { type: 'swarmfetch:version-mismatch', version: CONTRACT_VERSION, pageVersion: OLD }]]);
    expect(w.ports.size).toBe(0);

    // no port asked for, no wait (no time passes here), no agent: the network
    const res = track(w.handle(new Request(SEGMENT), 'page-1'));
    await flush();
    expect(res.settled).toBe(true);
    expect(await res.value!.text()).toBe('from the network');
    expect(fetch).toHaveBeenCalledTimes(1);

    // whatever else it says: nothing seeded, not told again
    expect(w.acceptMessage(message({ type: 'swarmfetch:seed', version: OLD, url: SEGMENT }))).toBe(true);
    await flush();
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(posted).toHaveLength(1);
    port1.close();
    port2.close();
  });

  it('an old page asking to be claimed is still claimed (its requests then reach the network through us)', async () => {
    const { w, clients, posted, message } = worker();
    expect(w.acceptMessage(message({ type: 'swarmfetch:claim', version: OLD }))).toBe(true);
    expect(clients.claim).toHaveBeenCalledTimes(1);
    await flush();
    expect(posted).toEqual([['page-1', { type: 'swarmfetch:version-mismatch', version: CONTRACT_VERSION, pageVersion: OLD }]]);
  });

  it('hello on every port: an agent answering another version (a version 1 agent answers -1) is a mismatch', async () => {
    const { clients, posted } = fakeClients();
    const old = pageAgent((v) => ({ version: v === OLD ? OLD : -1 }));
    const ports = new AgentPorts(clients, { connect: () => old.agent });
    ports.set('page-1', {} as MessagePort);
    await flush();
    expect(ports.isMismatched('page-1')).toBe(true);
    expect(ports.size).toBe(0);
    expect(posted).toEqual([['page-1', { type: 'swarmfetch:version-mismatch', version: CONTRACT_VERSION, pageVersion: -1 }]]);
    const got = track(ports.get('page-1', 150));
    await flush();
    expect(got).toEqual({ settled: true, value: null }); // at once, without asking for a port
    expect(posted).toHaveLength(1);
  });

  it('an agent of this version keeps its port; a page told it mismatched is trusted again with a port of ours', async () => {
    const { clients, posted } = fakeClients();
    const current = pageAgent((v) => ({ version: v }));
    const ports = new AgentPorts(clients, { connect: () => current.agent });
    ports.mismatch('page-1', OLD);
    ports.set('page-1', {} as MessagePort);
    await flush();
    expect(ports.isMismatched('page-1')).toBe(false);
    expect(await ports.get('page-1', 0)).toBe(current.agent);
    expect(posted).toHaveLength(1); // the one notice of the earlier mismatch
    expect(vi.getTimerCount()).toBe(0); // the hello's deadline cleared
  });

  it('a hello that misses its deadline is dropped: the port is kept while its page lives, dropped when it is gone', async () => {
    let present = true;
    const { clients, posted } = fakeClients(() => present);
    let answer!: (a: { version: number }) => void;
    const slow = pageAgent(() => new Promise((r) => (answer = r)));
    const ports = new AgentPorts(clients, { helloTimeoutMs: 500, connect: () => slow.agent });
    ports.set('page-1', {} as MessagePort);
    expect(await ports.get('page-1', 0)).toBe(slow.agent); // used meanwhile: its message said our version
    await vi.advanceTimersByTimeAsync(500);
    expect(ports.size).toBe(1);
    answer({ version: 99 }); // too late: ignored
    await flush();
    expect(ports.isMismatched('page-1')).toBe(false);
    expect(posted).toEqual([]);

    present = false;
    ports.set('page-2', {} as MessagePort);
    await vi.advanceTimersByTimeAsync(500);
    expect(await ports.get('page-2', 0)).toBeNull();
    expect(ports.size).toBe(1);
  });
});

describe('a page meeting a worker of another contract version', () => {
  /** A container controlled by `controller`; records what each worker was posted. */
  function setup() {
    const listeners = new Map<string, (e: unknown) => void>();
    const worker = (name: string) => {
      const posted: unknown[] = [];
      return { name, scriptURL: `/${name}.js`, posted, postMessage: (m: unknown) => void posted.push(m) };
    };
    const old = worker('old');
    const container = {
      controller: old as ReturnType<typeof worker> | null,
      addEventListener: (type: string, fn: (e: unknown) => void) => void listeners.set(type, fn),
      removeEventListener: (type: string) => void listeners.delete(type),
      startMessages: () => {},
      register: async () => ({ active: container.controller }),
    };
    const errors: WorkerError[] = [];
    let lost = 0;
    const agent: AgentApi = {
      hello: (v) => ({ version: v }),
      getSegment: async () => ({ kind: 'miss', reason: 'no-peer' }),
      putSegment: () => {},
      report: () => {},
      manifestText: () => {},
      workerError: (e) => void errors.push(e), // Swarmfetch makes each an `error` event
    };
    const bridge = new WorkerBridge(mergeConfig({}), agent, container as unknown as ServiceWorkerContainer, 'http://site.test/', () => lost++);
    const send = (data: unknown, source: unknown = container.controller) => listeners.get('message')!({ data, source });
    return { bridge, container, listeners, old, worker, errors, lost: () => lost, send };
  }
  const ports: MessagePort[] = [];
  afterEach(() => ports.splice(0).forEach((p) => p.close()));
  const portOf = (message: unknown) => {
    const port = (message as PortMessage).port as MessagePort; // the page posts a real MessagePort
    ports.push(port);
    return port;
  };

  it('an old worker asking for a port: exactly one contract-mismatch error; no port, no seeding, not controlled', async () => {
    const { bridge, container, listeners, old, worker, errors, lost, send } = setup();
    await bridge.start();
    expect(old.posted).toHaveLength(1); // the first port: nothing tells the page yet
    portOf(old.posted[0]);
    expect(bridge.controlled).toBe(true);

    send({ type: 'swarmfetch:need-port', version: OLD });
    send({ type: 'swarmfetch:need-port', version: OLD });
    send({ type: 'swarmfetch:anything', version: OLD });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('contract-mismatch');
    expect(errors[0]!.message).toContain(`contract version ${OLD} and this page ${CONTRACT_VERSION}`);
    expect(old.posted).toHaveLength(1);
    expect(lost()).toBe(0);
    expect(bridge.controlled).toBe(false);
    bridge.seed(SEGMENT);
    expect(old.posted).toHaveLength(1);

    // a worker of this release takes over (the browser updated it): talked to again, nothing more reported
    const next = worker('next');
    container.controller = next;
    listeners.get('controllerchange')!({});
    expect(next.posted).toMatchObject([{ type: 'swarmfetch:port', version: CONTRACT_VERSION }]);
    portOf(next.posted[0]);
    expect(bridge.controlled).toBe(true);
    bridge.seed(SEGMENT);
    expect(next.posted[1]).toEqual({ type: 'swarmfetch:seed', version: CONTRACT_VERSION, url: SEGMENT });
    expect(errors).toHaveLength(1);
    bridge.destroy();
  });

  it('a newer worker saying hello with its version on our port: one error; hello answers the page\'s version', async () => {
    const { bridge, old, errors } = setup();
    await bridge.start();
    const remote = wrap<Required<AgentApi>>(portOf(old.posted[0]));
    expect(await remote.hello(CONTRACT_VERSION + 1)).toEqual({ version: CONTRACT_VERSION });
    expect(await remote.hello(CONTRACT_VERSION + 1)).toEqual({ version: CONTRACT_VERSION });
    expect(errors).toEqual([
      expect.objectContaining({ code: 'contract-mismatch', message: expect.stringContaining(`contract version ${CONTRACT_VERSION + 1}`) }),
    ]);
    expect(bridge.controlled).toBe(false);
    bridge.destroy();
  });

  it('a worker of this version: hello matches, no error; its need-port gets a new port as before', async () => {
    const { bridge, old, errors, lost, send } = setup();
    await bridge.start();
    const remote = wrap<Required<AgentApi>>(portOf(old.posted[0]));
    expect(await remote.hello(CONTRACT_VERSION)).toEqual({ version: CONTRACT_VERSION });
    send({ type: 'swarmfetch:need-port', version: CONTRACT_VERSION });
    expect(lost()).toBe(1);
    expect(old.posted).toHaveLength(2);
    portOf(old.posted[1]);
    expect(errors).toEqual([]);
    bridge.destroy();
  });

  it('the worker saying it cannot talk to this page (version-mismatch) is one error too', async () => {
    const { bridge, errors, send } = setup();
    await bridge.start();
    send({ type: 'swarmfetch:version-mismatch', version: CONTRACT_VERSION, pageVersion: -1 });
    send({ type: 'swarmfetch:version-mismatch', version: CONTRACT_VERSION, pageVersion: -1 });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('contract-mismatch');
    bridge.destroy();
  });

  it('workerError from the worker reaches the agent checked: a known code, a bounded message', async () => {
    const { bridge, old, errors } = setup();
    await bridge.start();
    const remote = wrap<Required<AgentApi>>(portOf(old.posted[0]));
    await remote.workerError({ code: 'agent-timeout', message: 'no answer for piece 3' });
    await remote.workerError({ code: 'not-a-code' as never, message: 'ignored' });
    await remote.workerError({ code: 'size-exceeded', message: 'x'.repeat(1000) });
    expect(errors).toEqual([
      { code: 'agent-timeout', message: 'no answer for piece 3' },
      { code: 'size-exceeded', message: 'x'.repeat(300) },
    ]);
    bridge.destroy();
  });
});
