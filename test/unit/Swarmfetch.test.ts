/**
 * client/Swarmfetch, the page object, with every collaborator faked through its deps: a fake service worker
 * container (the port it hands the worker is driven with Comlink, as the worker does), a fake PeerJS peer, a fake
 * fetch (tracker, integrity) and fake media elements. Fake time throughout.
 */
import { wrap, type Remote } from 'comlink';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PeerLike } from '../../client/PeerPool';
import { Swarmfetch, type SegmentEvent, type SwarmfetchDeps } from '../../client/Swarmfetch';
import type { MediaLike } from '../../client/urgency';
import type { SwarmfetchConfig } from '../../core/config';
import { CONTRACT_VERSION, type AgentApi, type PortMessage, type SegmentReport } from '../../core/contract';
import { thrownCode } from './helpers/thrownCode';
import { configFromScript } from '../../client/configFromScript';
import { LINE_WAIT_MS } from '../../client/JoinGate';

const PAGE = 'http://site.example/watch';
const SWARM = 'http://site.example|http://cdn.example/v/';
const KEY = 'http://cdn.example/v/seg1.ts';

/** A ServiceWorkerContainer that registers at once and is controlled by a worker that records what it is sent. */
function fakeContainer(opts: { controlled?: boolean; registerFails?: boolean } = {}) {
  const listeners = new Map<string, (e: unknown) => void>();
  const posted: unknown[] = [];
  const registered: Array<{ url: string; options: unknown }> = [];
  const worker = { scriptURL: '/swarmfetch-sw.js', postMessage: (m: unknown) => void posted.push(m) };
  const container = {
    controller: opts.controlled === false ? null : worker,
    addEventListener: (type: string, fn: (e: unknown) => void) => void listeners.set(type, fn),
    removeEventListener: (type: string) => void listeners.delete(type),
    startMessages: () => {},
    register: async (url: string, options?: unknown) => {
      registered.push({ url, options });
      if (opts.registerFails) throw new Error('SecurityError: insecure origin');
      return { active: worker };
    },
    getRegistration: async () => undefined,
  };
  return { container: container as unknown as ServiceWorkerContainer, listeners, posted, registered, worker };
}

/** A PeerJS Peer stand-in: records listeners (the test opens it), dials and destroy. */
function fakePeer() {
  const listeners = new Map<string, Array<(arg?: unknown) => void>>();
  const state = { destroyed: false, tokens: [] as string[] };
  const peer = {
    id: null as string | null,
    get destroyed() {
      return state.destroyed;
    },
    disconnected: false,
    options: { config: {} as { iceServers?: unknown } },
    on(event: string, fn: (arg?: unknown) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn]);
      return peer;
    },
    connect: () => undefined,
    reconnect: () => {},
    destroy: () => void (state.destroyed = true),
    emit(event: string, arg?: unknown) {
      for (const fn of listeners.get(event) ?? []) fn(arg);
    },
  };
  return { peer, state };
}

/** A <video> with `ahead` seconds buffered past its playhead. */
const video = (ahead: number): MediaLike => ({
  currentTime: 10, paused: false, readyState: 4,
  buffered: { length: 1, start: () => 0, end: () => 10 + ahead },
});

function setup(options: Partial<SwarmfetchConfig> = {}, over: Partial<SwarmfetchDeps> & { controlled?: boolean; registerFails?: boolean } = {}) {
  const sw = fakeContainer(over);
  const { peer, state } = fakePeer();
  const peersMade: Array<{ token: string; pageUrl: string; serverBase: string; id: string | undefined }> = [];
  const fetched: string[] = [];
  const media: MediaLike[] = [];
  const deps: Partial<SwarmfetchDeps> = {
    createPeer: (_config, token, pageUrl, serverBase, id) => {
      peersMade.push({ token, pageUrl, serverBase, id });
      return peer as unknown as PeerLike;
    },
    fetch: (async (input: string | URL | Request) => {
      const url = String(input);
      fetched.push(url);
      if (url.includes('/swarmfetch/v1/join')) return Response.json({ peers: [] });
      if (url.includes('/swarmfetch/v1/ice')) return Response.json({ iceServers: [{ urls: 'stun:site.example:8080' }], ttlSec: 3600 });
      return new Response('not here', { status: 404 });
    }) as typeof fetch,
    serviceWorker: sw.container,
    hasWebRTC: true,
    pageUrl: PAGE,
    media: () => media,
    now: () => Date.now(), // faked
    random: () => 0.5,
    ...over,
  };
  // signalling and joins at once, unless a test holds them (peerJoinMaxDelayMs > 0: until the player loads and starts)
  const sf = new Swarmfetch({ peerJoinMaxDelayMs: 0, ...options }, deps);
  const errors: Array<{ code: string; message: string }> = [];
  sf.on('error', (e) => errors.push(e));
  return { sf, sw, peer, peerState: state, peersMade, fetched, media, errors };
}

/** The agent as the worker sees it: through the port the page posted to it. */
function workerSide(posted: unknown[]): Remote<AgentApi> {
  const message = posted.find((m): m is PortMessage => (m as PortMessage)?.type === 'swarmfetch:port');
  if (!message) throw new Error(`no port posted to the worker: ${JSON.stringify(posted)}`);
  const port = message.port as MessagePort; // the page posts a real MessagePort
  ports.push(port);
  return wrap<AgentApi>(port);
}

const ports: MessagePort[] = [];
const report = (over: Partial<SegmentReport>): SegmentReport => ({
  url: KEY, key: KEY, source: 'http', peerId: null, bytes: 0, ms: 5, fallback: null, error: null, ...over,
});

let instances: Swarmfetch[] = [];
beforeEach(() => void vi.useFakeTimers());
afterEach(() => {
  for (const sf of instances.splice(0)) sf.destroy();
  for (const p of ports.splice(0)) p.close();
  vi.useRealTimers();
});
const track = <T extends { sf: Swarmfetch }>(s: T): T => (instances.push(s.sf), s);

describe('Swarmfetch', () => {
  it('refuses an invalid config at construction (config-invalid), before touching anything', () => {
    const createPeer = vi.fn();
    const bad = { maxPeers: 'many' } as unknown as Partial<SwarmfetchConfig>;
    expect(thrownCode(() => new Swarmfetch(bad, { createPeer, pageUrl: PAGE }))).toBe('config-invalid');
    expect(createPeer).not.toHaveBeenCalled();
  });

  it('without service workers: one unsupported error, no peer, no request to anybody, and it stays out of the way', async () => {
    const t = track(setup({}, { serviceWorker: undefined }));
    await t.sf.start();
    expect(t.errors.map((e) => e.code)).toEqual(['unsupported']);
    expect(t.errors[0]!.message).toMatch(/service workers/);
    expect(t.peersMade).toEqual([]);
    expect(t.fetched).toEqual([]);
    expect(t.sf.stats()).toMatchObject({ active: false, peers: 0, peerId: null, httpBytes: 0, p2pBytes: 0 });
  });

  it('without WebRTC: registers the worker (HTTP through it still works) but makes no peer, and says why', async () => {
    const t = track(setup({}, { hasWebRTC: false }));
    await t.sf.start();
    expect(t.errors.map((e) => e.code)).toEqual(['unsupported']);
    expect(t.errors[0]!.message).toMatch(/WebRTC/);
    expect(t.peersMade).toEqual([]);
    expect(t.sw.registered).toHaveLength(1);
    expect(t.sf.stats().active).toBe(true);
  });

  it('a failed registration is an error event, never a throw', async () => {
    const t = track(setup({}, { registerFails: true }));
    await expect(t.sf.start()).resolves.toBeUndefined();
    expect(t.errors.map((e) => e.code)).toEqual(['unsupported']);
    expect(t.errors[0]!.message).toMatch(/registration failed.*insecure origin/);
  });

  it('a failed registration turns P2P off for good: no peer, no join, no upload (nothing could reach the player)', async () => {
    const t = track(setup({ peerJoinMaxDelayMs: 0 }, { registerFails: true }));
    await t.sf.start();
    expect(t.peer.destroyed).toBe(true); // the signalling made at start is closed
    expect(t.sf.stats().p2pEnabled).toBe(false);
    t.sf.setP2pEnabled(true);
    expect(t.sf.stats().p2pEnabled).toBe(false);
    t.sf.prepare('http://cdn.example/v/seg1.ts');
    await vi.advanceTimersByTimeAsync(6000);
    expect(t.fetched.filter((u) => u.endsWith('/swarmfetch/v1/join'))).toEqual([]);
  });

  it('start: registers swUrl (its config in the script URL) on the page\'s origin, hands the worker a port, makes one peer', async () => {
    const t = track(setup({ swUrl: '/sw/swarmfetch-sw.js', p2pTimeoutMs: 7000 }));
    await t.sf.start();
    await t.sf.start(); // twice: nothing more
    expect(t.sw.registered).toHaveLength(1);
    const url = new URL(t.sw.registered[0]!.url);
    expect(url.origin + url.pathname).toBe('http://site.example/sw/swarmfetch-sw.js');
    expect(url.searchParams.get('p2pTimeoutMs')).toBe('7000');
    expect(t.peersMade).toHaveLength(1);
    expect(t.peersMade[0]!.pageUrl).toBe(PAGE);
    expect(t.peersMade[0]!.token).toMatch(/^[0-9a-f]{16,}$/);
    const agent = workerSide(t.sw.posted);
    expect(await agent.hello(CONTRACT_VERSION)).toEqual({ version: CONTRACT_VERSION });
    expect(t.errors).toEqual([]);
  });

  it('signals through the server given, by default the page\'s origin', async () => {
    const t = track(setup({ serverUrl: '/p2p' }));
    await t.sf.start();
    expect(t.peersMade.map((p) => [p.serverBase, p.id])).toEqual([['http://site.example/p2p/', undefined]]);
  });

  it('several servers: signals through one picked at random; on its loss, the next one under the same id, and the tracker follows', async () => {
    const t = track(setup({ serverUrl: 'http://p1.example, http://p2.example' }, { random: () => 0.5 }));
    await t.sf.start();
    expect(t.peersMade.map((p) => p.serverBase)).toEqual(['http://p2.example/']);
    t.peer.emit('open', 'me');
    await vi.advanceTimersByTimeAsync(0);
    expect(t.fetched.filter((u) => u.endsWith('/swarmfetch/v1/ice'))).toEqual(['http://p2.example/swarmfetch/v1/ice']);
    t.peer.emit('error', { type: 'network', message: 'Lost connection to server.' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.peersMade.slice(1)).toEqual([{ token: t.peersMade[0]!.token, pageUrl: PAGE, serverBase: 'http://p1.example/', id: 'me' }]);
    expect(t.peerState.destroyed).toBe(false); // kept for its links
    t.peer.emit('open', 'me');
    await vi.advanceTimersByTimeAsync(0);
    expect(t.fetched.filter((u) => u.endsWith('/swarmfetch/v1/ice')).at(-1)).toBe('http://p1.example/swarmfetch/v1/ice');
    expect(t.sf.stats().peerId).toBe('me');
  });

  it('the signalling peer opening is the ready event and stats().peerId', async () => {
    const t = track(setup());
    const ready: string[] = [];
    t.sf.on('ready', (e) => ready.push(e.peerId));
    await t.sf.start();
    expect(t.sf.stats().peerId).toBeNull();
    t.peer.emit('open', 'peer-abc');
    expect(t.sf.stats().peerId).toBe('peer-abc');
    // ready once the server said which ICE servers to use (TURN credentials are tied to the peer id)
    expect(ready).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.fetched.filter((u) => u.endsWith('/swarmfetch/v1/ice'))).toHaveLength(1);
    expect(t.peer.options.config.iceServers).toEqual([{ urls: ['stun:site.example:8080'] }]);
    expect(ready).toEqual(['peer-abc']);
  });

  it('with iceServers given, is ready at once and never asks the server for them', async () => {
    const t = track(setup({ iceServers: [{ urls: 'stun:stun.site.example:3478' }] }));
    const ready: string[] = [];
    t.sf.on('ready', (e) => ready.push(e.peerId));
    await t.sf.start();
    t.peer.emit('open', 'peer-abc');
    expect(ready).toEqual(['peer-abc']);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.fetched.filter((u) => u.includes('/swarmfetch/v1/ice'))).toEqual([]);
  });

  it('when the server cannot say its ICE servers, is ready anyway (host candidates) and reports it once', async () => {
    const t = track(setup({}, {
      fetch: (async () => new Response('old server', { status: 404 })) as typeof fetch,
    }));
    const ready: string[] = [];
    t.sf.on('ready', (e) => ready.push(e.peerId));
    await t.sf.start();
    t.peer.emit('open', 'peer-abc');
    await vi.advanceTimersByTimeAsync(0);
    expect(ready).toEqual(['peer-abc']);
    expect(t.peer.options.config.iceServers).toBeUndefined();
    expect(t.errors.filter((e) => e.code === 'server-unreachable' && /ICE/.test(e.message))).toHaveLength(1);
  });

  it('counts what the worker reports by source, as segment and seed events; junk byte counts count as 0', async () => {
    const t = track(setup());
    const segments: SegmentEvent[] = [];
    const seeds: Array<{ url: string; bytes: number }> = [];
    t.sf.on('segment', (e) => segments.push(e));
    t.sf.on('seed', (e) => seeds.push(e));
    await t.sf.start();
    const agent = workerSide(t.sw.posted);
    await agent.report(report({ source: 'http', bytes: 1000, fallback: 'no-peer' }));
    await agent.report(report({ source: 'p2p', bytes: 500, peerId: 'p1' }));
    await agent.report(report({ source: 'store', bytes: 200 }));
    await agent.report(report({ source: 'http', bytes: 300, seed: true }));
    await agent.report(report({ source: 'http', bytes: -5 }));
    await agent.report(report({ source: 'p2p', bytes: Number.NaN }));
    expect(t.sf.stats()).toMatchObject({ httpBytes: 1000, p2pBytes: 500, storeHitBytes: 200, seedBytes: 300 });
    expect(segments.map((s) => [s.source, s.bytes, s.fallback, s.peerId])).toEqual([
      ['http', 1000, 'no-peer', null],
      ['p2p', 500, null, 'p1'],
      ['store', 200, null, null],
      ['http', 0, null, null],
      ['p2p', 0, null, null],
    ]);
    // nothing in the store came from a checked peer: no segment claims to be verified
    expect(segments.every((s) => s.verified === false && s.verifiedBy === null)).toBe(true);
    expect(seeds).toEqual([{ url: KEY, bytes: 300, ms: 5 }]);
  });

  it('a segment the worker puts is stored and counted in stats', async () => {
    const t = track(setup());
    await t.sf.start();
    const agent = workerSide(t.sw.posted);
    await agent.putSegment({ key: KEY, swarm: SWARM, url: KEY, body: new Blob([new Uint8Array(1234)]), totalBytes: 1234, contentType: 'video/mp2t' });
    expect(t.sf.stats()).toMatchObject({ storeSegments: 1, storeBytes: 1234 });
  });

  it('holds tracker joins until the player shows its first frame: its first segment goes direct, the next waits for the joins', async () => {
    const t = track(setup({ peerJoinMaxDelayMs: 5000 }));
    await t.sf.start();
    const agent = workerSide(t.sw.posted);
    const directs = () => t.sw.posted.filter((m) => (m as { type?: string }).type === 'swarmfetch:direct').map((m) => (m as { on: boolean }).on);
    const v = { ...video(0), currentTime: 0, readyState: 1 }; // told to play, nothing loaded yet
    t.media.push(v);
    const playlist = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nseg1.ts\n#EXTINF:2,\nseg1-2.ts\n#EXT-X-ENDLIST\n';
    await agent.manifestText({ text: playlist, url: 'http://cdn.example/v/index.m3u8', contentType: null, siteOrigin: 'http://site.example' });
    await vi.advanceTimersByTimeAsync(300);
    // no peer can be linked before the player starts: the worker fetches its first segment without asking the page
    expect(directs()).toEqual([true]);
    void agent.getSegment({ key: KEY, wholeKey: null, range: null, swarm: SWARM, url: KEY, budgetMs: 200, direct: true });
    await vi.advanceTimersByTimeAsync(1000);
    const joins = () => t.fetched.filter((u) => u.endsWith('/swarmfetch/v1/join'));
    expect(joins()).toEqual([]); // the first segment is on its way: the page's line and CPU are the player's
    // nor does the page ask the P2P server anything yet (signalling, ICE servers): its connections are the player's
    expect(t.peersMade).toEqual([]);
    expect(t.fetched.filter((u) => u.includes('swarmfetch'))).toEqual([]); // nor its integrity manifest
    await agent.report(report({ bytes: 100_000, ms: 50, fallback: 'no-peer' })); // in, on a fast line
    expect(t.peersMade).toHaveLength(1); // signalling now, ready before the first frame
    await vi.advanceTimersByTimeAsync(0);
    expect(t.fetched).toContain('http://cdn.example/v/swarmfetch-integrity.json');
    t.peer.emit('open', 'me');
    expect(directs()).toEqual([true, false]); // the next ones are asked of the page: peers are coming
    // the player appends it (2 s buffered) and waits for its first frame: the main thread is still the player's
    Object.assign(v, { readyState: 2, buffered: { length: 1, start: () => 0, end: () => 2 } });
    const next = `${KEY.replace(/\.ts$/, '')}-2.ts`;
    let answered = false;
    void agent.getSegment({ key: next, wholeKey: null, range: null, swarm: SWARM, url: next, budgetMs: 2000 }).then(() => (answered = true));
    await vi.advanceTimersByTimeAsync(300);
    expect(joins()).toEqual([]);
    expect(answered).toBe(false); // the next request waits for the peers about to come
    v.readyState = 4; // its first frame is up
    await vi.advanceTimersByTimeAsync(60);
    expect(joins()).toEqual(['http://site.example/swarmfetch/v1/join']);
  });

  it('a page without a media element (nothing to show a frame) joins once the player\'s first segment is in', async () => {
    const t = track(setup({ peerJoinMaxDelayMs: 5000 }));
    await t.sf.start();
    const agent = workerSide(t.sw.posted);
    void agent.getSegment({ key: KEY, wholeKey: null, range: null, swarm: SWARM, url: KEY, budgetMs: 200, direct: true });
    await vi.advanceTimersByTimeAsync(1000);
    const joins = () => t.fetched.filter((u) => u.endsWith('/swarmfetch/v1/join'));
    expect(joins()).toEqual([]);
    await agent.report(report({ bytes: 100_000, ms: 50, fallback: 'no-peer' }));
    t.peer.emit('open', 'me');
    await vi.advanceTimersByTimeAsync(10);
    expect(joins()).toEqual(['http://site.example/swarmfetch/v1/join']);
  });

  it('once the player has started and the worker serves the page, fetches again the manifests the agent did not get, each once', async () => {
    const master = 'http://cdn.example/v/master.m3u8';
    const rendition = 'http://cdn.example/v/180p/index.m3u8';
    const loaded = [{ name: master }, { name: rendition }, { name: KEY }];
    const t = track(setup({}, { loaded: () => loaded }));
    await t.sf.start();
    const agent = workerSide(t.sw.posted);
    const manifests = () => t.fetched.filter((u) => u.endsWith('.m3u8'));
    await agent.hello(CONTRACT_VERSION);
    await agent.manifestText({ text: '#EXTM3U\n', url: rendition, contentType: null, siteOrigin: 'http://site.example' });
    await vi.advanceTimersByTimeAsync(500);
    expect(manifests()).toEqual([]); // the player has not started: what it loads is still coming
    t.media.push(video(2));
    await vi.advanceTimersByTimeAsync(200);
    expect(manifests()).toEqual([master]); // the one the agent got is not fetched again
    // a restarted worker's hello: only what is new
    loaded.push({ name: 'http://cdn.example/v/360p/index.m3u8' });
    const before = t.sw.posted.length;
    t.sw.listeners.get('message')!({ data: { type: 'swarmfetch:need-port', version: CONTRACT_VERSION }, source: t.sw.worker });
    await workerSide(t.sw.posted.slice(before)).hello(CONTRACT_VERSION);
    expect(manifests()).toEqual([master, 'http://cdn.example/v/360p/index.m3u8']);
  });

  it('while the line is the player\'s (it cannot carry the rung above), tells the worker, and holds the joins until it can', async () => {
    const t = track(setup({ peerJoinMaxDelayMs: 5000 }));
    await t.sf.start();
    const agent = workerSide(t.sw.posted);
    const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=300000\nlow/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=1500000\nhigh/index.m3u8\n';
    const media = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n' + [1, 2, 3, 4, 5].map((i) => `#EXTINF:2,\nseg${i}.ts\n`).join('') + '#EXT-X-ENDLIST\n';
    const site = 'http://site.example';
    await agent.manifestText({ text: master, url: 'http://cdn.example/v/master.m3u8', contentType: null, siteOrigin: site });
    await agent.manifestText({ text: media, url: 'http://cdn.example/v/low/index.m3u8', contentType: null, siteOrigin: site });
    const low = 'http://site.example|http://cdn.example/v/low/';
    const seg = (i: number) => `http://cdn.example/v/low/seg${i}.ts`;
    await agent.getSegment({ key: seg(1), wholeKey: null, range: null, swarm: low, url: seg(1), budgetMs: 200 });
    // 75 KB in 600 ms: 125 B/ms, under 3× the 1.5 Mbit/s rung above (562 B/ms)
    await agent.report(report({ url: seg(1), key: seg(1), bytes: 75_000, ms: 600, fallback: 'no-peer' }));
    t.peer.emit('open', 'me'); // signalling, once the player's first segment is in
    const directs = () => t.sw.posted.filter((m) => (m as { type?: string }).type === 'swarmfetch:direct');
    expect(directs()).toEqual([{ type: 'swarmfetch:direct', version: CONTRACT_VERSION, on: true }]);
    t.media.push(video(2)); // the player has started
    await vi.advanceTimersByTimeAsync(2000);
    const joins = () => t.fetched.filter((u) => u.endsWith('/swarmfetch/v1/join'));
    expect(joins()).toEqual([]); // nor after peerJoinMaxDelayMs: peers would only take from the player's line
    await vi.advanceTimersByTimeAsync(5000);
    expect(joins()).toEqual([]);
    // the line found fast: P2P may use it — the worker hears it, and the page joins
    for (const i of [2, 3, 4]) await agent.report(report({ url: seg(i), key: seg(i), bytes: 75_000, ms: 25, fallback: 'no-peer' }));
    await vi.advanceTimersByTimeAsync(100);
    expect(directs().at(-1)).toMatchObject({ on: false });
    expect(joins()).toHaveLength(2); // the swarms of both renditions
  });

  it('with neither a segment in nor anything buffered, waits peerJoinMaxDelayMs, then up to LINE_WAIT_MS for the line\'s pace', async () => {
    const t = track(setup({ peerJoinMaxDelayMs: 3000 }));
    await t.sf.start();
    const agent = workerSide(t.sw.posted);
    void agent.getSegment({ key: KEY, wholeKey: null, range: null, swarm: SWARM, url: KEY, budgetMs: 200 });
    // a seeding download is not the player's: neither its start nor its line
    await agent.report(report({ bytes: 100_000, ms: 50, fallback: 'no-peer', seed: true }));
    const joins = () => t.fetched.filter((u) => u.endsWith('/swarmfetch/v1/join'));
    expect(t.peersMade).toEqual([]);
    await vi.advanceTimersByTimeAsync(3100);
    expect(t.peersMade).toHaveLength(1); // the wait ran out: signalling goes
    t.peer.emit('open', 'me');
    expect(joins()).toEqual([]);
    await vi.advanceTimersByTimeAsync(LINE_WAIT_MS - 400); // the wait for the pace began at 3000 ms
    expect(joins()).toEqual([]);
    await vi.advanceTimersByTimeAsync(400);
    expect(joins()).toHaveLength(1);
  });

  it('prepare(url) joins the swarm of a stream at once, before the player asks for anything and whatever peerJoinMaxDelayMs; junk URLs are refused', async () => {
    const bodies: unknown[] = [];
    const t = track(setup({ peerJoinMaxDelayMs: 30_000 }, {
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        if (String(input).endsWith('/swarmfetch/v1/join')) bodies.push(JSON.parse(String(init?.body)));
        return Response.json({ peers: [] });
      }) as typeof fetch,
    }));
    await t.sf.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(bodies).toEqual([]); // nothing played, nothing prepared: no swarm to join
    for (const junk of ['javascript:alert(1)', 'data:video/mp4,xx', `http://cdn.example/${'x'.repeat(5000)}.mp4`, 42 as unknown as string]) {
      expect(t.sf.prepare(junk)).toBe(false);
    }
    expect(t.sf.prepare('http://cdn.example/v/movie.mp4?token=abc')).toBe(true);
    t.peer.emit('open', 'me'); // signalling went with it
    await vi.advanceTimersByTimeAsync(100);
    expect(bodies).toEqual([expect.objectContaining({ swarm: SWARM })]);
    t.sf.destroy();
    expect(t.sf.prepare('http://cdn.example/v/movie.mp4')).toBe(false);
  });

  it('destroy: closes the peer and the worker port, drops the store, hears nothing more; start after it does nothing', async () => {
    const t = setup();
    const segments: SegmentEvent[] = [];
    t.sf.on('segment', (e) => segments.push(e));
    await t.sf.start();
    const agent = workerSide(t.sw.posted);
    await agent.putSegment({ key: KEY, swarm: SWARM, url: KEY, body: new Blob([new Uint8Array(10)]), totalBytes: 10, contentType: null });
    t.sf.destroy();
    t.sf.destroy();
    expect(t.peerState.destroyed).toBe(true);
    expect(t.sw.listeners.size).toBe(0); // no more need-port / controllerchange handling
    expect(t.sf.stats()).toMatchObject({ storeSegments: 0, storeBytes: 0 });
    await t.sf.start();
    expect(t.peersMade).toHaveLength(1);
    expect(t.sw.registered).toHaveLength(1);
    expect(segments).toEqual([]);
  });

  it('the worker restarting (need-port) gets a fresh port that works', async () => {
    const t = track(setup());
    await t.sf.start();
    const ports = () => t.sw.posted.filter((m) => (m as { type?: string }).type === 'swarmfetch:port');
    expect(ports()).toHaveLength(1);
    t.sw.listeners.get('message')!({ data: { type: 'swarmfetch:need-port', version: CONTRACT_VERSION }, source: t.sw.worker });
    expect(ports()).toHaveLength(2);
    const fresh = workerSide([ports()[1]]);
    expect(await fresh.hello(CONTRACT_VERSION)).toEqual({ version: CONTRACT_VERSION });
  });
});

describe('Swarmfetch switches (issue 12 §3)', () => {
  const query = { key: KEY, wholeKey: null, range: null, swarm: SWARM, url: KEY, budgetMs: 2000 };
  const serverRequests = (fetched: string[]) => fetched.filter((u) => u.startsWith('http://site.example/swarmfetch/'));

  it('p2pEnabled false: no peer, no request to the P2P server, each segment a miss at once; stats say so', async () => {
    const t = track(setup({ p2pEnabled: false, peerJoinMaxDelayMs: 0 }));
    await t.sf.start();
    t.media.push(video(10));
    const agent = workerSide(t.sw.posted);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await agent.getSegment({ ...query, key: `${KEY}?${i}`, url: `${KEY}?${i}` }));
    expect(answers.map((a) => a.kind)).toEqual(['miss', 'miss', 'miss']);
    // the hash oracle is not probed for them either (the probe would go 1 s after the first request)
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.peersMade).toEqual([]);
    expect(serverRequests(t.fetched)).toEqual([]);
    expect(t.sf.stats()).toMatchObject({ p2pEnabled: false, uploadEnabled: true, active: true, peers: 0, peerId: null });
  });

  it('drop-in: data-p2p="off" is p2pEnabled false, "on" and a bare attribute are true', () => {
    const of = (p2p: string) => new Swarmfetch(configFromScript({ p2p }) as Partial<SwarmfetchConfig>, { pageUrl: PAGE }).config.p2pEnabled;
    expect(of('off')).toBe(false);
    expect(of('false')).toBe(false);
    expect(of('on')).toBe(true);
    expect(of('')).toBe(true);
  });

  it('setP2pEnabled(true) after consent: a peer is made and the swarm asked; false again: the peer goes, the server hears nothing more', async () => {
    const t = track(setup({ p2pEnabled: false, peerJoinMaxDelayMs: 0 }));
    await t.sf.start();
    const agent = workerSide(t.sw.posted);
    await agent.getSegment(query);
    t.sf.setP2pEnabled(true);
    expect(t.peersMade).toHaveLength(1);
    t.peer.emit('open', 'me');
    await vi.advanceTimersByTimeAsync(0);
    expect(serverRequests(t.fetched)).toEqual(['http://site.example/swarmfetch/v1/ice', 'http://site.example/swarmfetch/v1/join']);
    expect(t.sf.stats()).toMatchObject({ p2pEnabled: true, peerId: 'me' });

    t.sf.setP2pEnabled(false);
    expect(t.peerState.destroyed).toBe(true);
    expect(t.sf.stats()).toMatchObject({ p2pEnabled: false, peerId: null, peers: 0 });
    const asked = serverRequests(t.fetched).length;
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(serverRequests(t.fetched).length).toBe(asked);
    expect((await agent.getSegment(query)).kind).toBe('miss');
  });

  it('setUploadEnabled: stats follow, and a page that does not serve is never elected to seed', async () => {
    const t = track(setup());
    await t.sf.start();
    expect(t.sf.stats().uploadEnabled).toBe(true);
    t.sf.setUploadEnabled(false);
    expect(t.sf.stats().uploadEnabled).toBe(false);
    const canSeed = (t.sf as unknown as { agent: { deps: { canSeed(): boolean } } }).agent.deps.canSeed;
    expect(canSeed()).toBe(false);
    t.sf.setUploadEnabled(true);
    expect(canSeed()).toBe(true);
  });

  it('offload beacons: deltas every offloadBeaconIntervalMs while P2P is on (peer id and token), one last on destroy', async () => {
    const beacons: Array<{ body: Record<string, unknown>; keepalive: boolean }> = [];
    const t = setup({ offloadBeaconIntervalMs: 10_000, iceServers: [] }, {
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        if (String(input).endsWith('/swarmfetch/v1/beacon')) {
          beacons.push({ body: JSON.parse(String(init?.body)), keepalive: init?.keepalive === true });
          return new Response(null, { status: 204 });
        }
        return Response.json({ peers: [] });
      }) as typeof fetch,
    });
    await t.sf.start();
    t.peer.emit('open', 'me');
    const agent = workerSide(t.sw.posted);
    await agent.report(report({ source: 'http', bytes: 1000 }));
    await vi.advanceTimersByTimeAsync(10_000);
    await agent.report(report({ source: 'p2p', bytes: 400, peerId: 'x' }));
    t.sf.destroy();
    await vi.advanceTimersByTimeAsync(0);
    const token = t.peersMade[0]!.token;
    expect(beacons).toEqual([
      { body: { peerId: 'me', token, httpBytes: 1000, p2pBytes: 0, uploadedBytes: 0 }, keepalive: false },
      { body: { peerId: 'me', token, httpBytes: 0, p2pBytes: 400, uploadedBytes: 0 }, keepalive: true },
    ]);
  });

  it('isSupported is on the instance too (the drop-in\'s window.swarmfetch)', () => {
    const t = track(setup());
    expect(t.sf.isSupported()).toBe(false); // node: no service workers, no WebRTC
  });
});
