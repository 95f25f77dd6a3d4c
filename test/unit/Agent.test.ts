import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Agent } from '../../client/Agent';
import { electFetcher } from '../../client/electFetcher';
import { SegmentStore, type StoredSegment } from '../../client/SegmentStore';
import type { PeerLink, Received } from '../../client/PeerLink';
import type { SegmentQuery, SegmentReport } from '../../core/contract';
import { SwarmError } from '../../core/SwarmError';
import { mergeConfig } from '../../core/mergeConfig';

// Fake time throughout: the agent's waits (for connections, for an elected peer, the budget) run on the fake clock,
// so every outcome below is the same on a loaded machine, and no test sleeps.
beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

/** Runs the fake clock in 10 ms steps until `p` settles (throws past `maxMs`: the agent waited longer than any budget). */
async function settle<T>(p: Promise<T>, maxMs = 30_000): Promise<T> {
  let done = false;
  const mark = () => void (done = true);
  p.then(mark, mark);
  await vi.advanceTimersByTimeAsync(0);
  for (let waited = 0; !done && waited < maxMs; waited += 10) await vi.advanceTimersByTimeAsync(10);
  if (!done) throw new Error(`still pending after ${maxMs} ms of fake time`);
  return p;
}

const SWARM = 'http://site|http://cdn/v/';
const KEY = 'http://cdn/v/seg1.ts';

type FakeLink = Pick<PeerLink, 'remoteId'> & {
  keys: Set<string>;
  fetching: Set<string>;
  calls: Array<{ key: string; waitMs: number }>;
  request(key: string, timeoutMs: number, waitMs?: number): Promise<Received>;
};

function fakeLink(remoteId: string, keys: string[], answer: (key: string) => Promise<Received>, fetching: string[] = []): FakeLink {
  const link: FakeLink = {
    remoteId,
    keys: new Set(keys),
    fetching: new Set(fetching),
    calls: [],
    request: (key: string, _timeoutMs: number, waitMs = 0) => {
      link.calls.push({ key, waitMs });
      return answer(key);
    },
  };
  return link;
}

interface SetupOptions {
  segmentMaxBytes?: number;
  bufferAhead?: number | null;
  peerId?: string;
  /** Whether the fake pool says peer connections are being made. */
  connecting?: () => boolean;
  /** Whether the fake pool's joins are held with the player not started (PeerPool.joinsHeld). */
  joinsHeld?: () => boolean;
  /** The fake pool answers peerHolds (which segments a given peer announced), as PeerPool does. */
  peerHolds?: boolean;
}

function setup(links: FakeLink[] = [], opts: SetupOptions = {}) {
  const store = new SegmentStore(10_000_000);
  const joined: string[] = [];
  const storedEvents: StoredSegment[] = [];
  const reports: SegmentReport[] = [];
  const announced: Array<{ type: string; keys: string[] }> = [];
  const seeded: string[] = [];
  const direct: boolean[] = [];
  const pool = {
    peerId: opts.peerId ?? 'me',
    get connecting() {
      return opts.connecting?.() ?? false;
    },
    get joinsHeld() {
      return opts.joinsHeld?.() ?? false;
    },
    join: (s: string) => void joined.push(s),
    linkFor: (key: string, exclude: ReadonlySet<string> = new Set()) =>
      links.find((l) => l.keys.has(key) && !exclude.has(l.remoteId)) as unknown as PeerLink | undefined,
    fetchersOf: (key: string) => links.filter((l) => l.fetching.has(key)) as unknown as PeerLink[],
    openPeerIds: () => links.map((l) => l.remoteId),
    linkOf: (id: string) => links.find((l) => l.remoteId === id) as unknown as PeerLink | undefined,
    ...(opts.peerHolds
      ? {
          peerHolds: (id: string, keys: readonly string[]) =>
            links.some((l) => l.remoteId === id && keys.some((k) => l.keys.has(k) || l.fetching.has(k))),
        }
      : {}),
    announce: (type: 'have' | 'lost' | 'fetching', segs: Array<{ key: string }>) =>
      void announced.push({ type, keys: segs.map((x) => x.key) }),
  };
  const agent = new Agent({
    config: mergeConfig({ segmentMaxBytes: opts.segmentMaxBytes ?? 1_000_000 }),
    store, pool, onReport: (r) => reports.push(r), onStored: (s) => storedEvents.push(s),
    bufferAhead: () => (opts.bufferAhead === undefined ? 20 : opts.bufferAhead),
    // as the worker does: download, then hand the segment to the agent
    seed: async (url) => {
      seeded.push(url);
      agent.putSegment({ key: url.split('?')[0]!, swarm: SWARM, url, body: blobOf(2), totalBytes: 2, contentType: null });
    },
    canSeed: () => true,
    now: () => Date.now(), // the fake clock
    onDirect: (on) => void direct.push(on),
  });
  // every answer is awaited as the worker would, while the (fake) clock runs
  const getSegment = agent.getSegment.bind(agent);
  agent.getSegment = (q: SegmentQuery) => settle(getSegment(q));
  return { agent, store, joined, storedEvents, reports, announced, seeded, direct };
}

const query = (over: Partial<SegmentQuery> = {}): SegmentQuery => ({
  key: KEY, wholeKey: null, range: null, swarm: SWARM, url: KEY, budgetMs: 1000, ...over,
});
const blobOf = (n: number) => new Blob([new Uint8Array(n).map((_, i) => i & 0xff)]);
const text = async (b: Blob) => [...new Uint8Array(await b.arrayBuffer())];

describe('Agent', () => {
  it('answers from the store and joins the swarm of what is played', async () => {
    const { agent, store, joined } = setup();
    store.put({ key: KEY, swarm: SWARM, body: blobOf(10), totalBytes: null, contentType: 'video/mp2t' });
    const a = await agent.getSegment(query());
    expect(a).toMatchObject({ kind: 'hit', source: 'store', totalBytes: 10, start: 0, contentType: 'video/mp2t' });
    expect(joined).toEqual([SWARM]);
  });

  it('slices a byte range out of a stored whole segment, and says 416 past its end', async () => {
    const { agent, store } = setup();
    store.put({ key: KEY, swarm: SWARM, body: blobOf(100), totalBytes: null, contentType: null });
    const a = await agent.getSegment(query({ key: `${KEY}#10-19`, wholeKey: KEY, range: { start: 10, end: 19 } }));
    expect(a.kind === 'hit' && (await text(a.body))).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(a).toMatchObject({ start: 10, totalBytes: 100 });
    const suffix = await agent.getSegment(query({ key: `${KEY}#-5`, wholeKey: KEY, range: { suffix: 5 } }));
    expect(suffix).toMatchObject({ kind: 'hit', start: 95 });
    expect(await agent.getSegment(query({ key: `${KEY}#100-`, wholeKey: KEY, range: { start: 100 } }))).toEqual({
      kind: 'unsatisfiable', totalBytes: 100,
    });
  });

  it('a stored byte range answers at its own offset in the file', async () => {
    const { agent, store } = setup();
    store.put({ key: `${KEY}#500-509`, swarm: SWARM, body: blobOf(10), totalBytes: 4000, contentType: null });
    const a = await agent.getSegment(query({ key: `${KEY}#500-509`, wholeKey: KEY, range: { start: 500, end: 509 } }));
    expect(a).toMatchObject({ kind: 'hit', start: 500, totalBytes: 4000 });
  });

  it('fetches from a peer that holds it, stores it and announces it', async () => {
    const link = fakeLink('p1', [KEY], async () => ({ body: blobOf(50), totalBytes: 50, contentType: 'video/mp2t' }));
    const { agent, store, storedEvents } = setup([link]);
    const a = await agent.getSegment(query());
    expect(a).toMatchObject({ kind: 'hit', source: 'p2p', peerId: 'p1' });
    expect(store.get(KEY)?.body.size).toBe(50);
    expect(storedEvents.map((s) => s.key)).toEqual([KEY]);
  });

  it('tries another peer when the first fails, then gives up with the last reason', async () => {
    const bad = fakeLink('bad', [KEY], async () => {
      throw new SwarmError('peer-stall', 'slow');
    });
    const good = fakeLink('good', [KEY], async () => ({ body: blobOf(5), totalBytes: 5, contentType: null }));
    expect(await setup([bad, good]).agent.getSegment(query())).toMatchObject({ kind: 'hit', peerId: 'good' });

    const bad2 = fakeLink('bad2', [KEY], async () => {
      throw new SwarmError('peer-closed', 'gone');
    });
    const bad3 = fakeLink('bad3', [KEY], async () => {
      throw new SwarmError('peer-stall', 'slow');
    });
    expect(await setup([bad2, bad3]).agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'peer-stall' });
  });

  it('says no-peer at once when nobody holds the segment', async () => {
    expect(await setup([fakeLink('p', ['other'], async () => ({ body: blobOf(1), totalBytes: 1, contentType: null }))]).agent.getSegment(query())).toEqual({
      kind: 'miss', reason: 'no-peer',
    });
  });

  it('never stores a peer answer larger than segmentMaxBytes', async () => {
    const link = fakeLink('p1', [KEY], async () => ({ body: blobOf(70_001), totalBytes: 70_001, contentType: null }));
    const { agent, store } = setup([link], { segmentMaxBytes: 70_000 });
    expect(await agent.getSegment(query())).toMatchObject({ kind: 'miss', reason: 'size-exceeded' });
    expect(store.has(KEY)).toBe(false);
  });

  it('drops bad input from the worker: malformed queries and puts outside their swarm', async () => {
    const { agent, store } = setup();
    expect(await agent.getSegment({ key: 5 } as unknown as SegmentQuery)).toEqual({ kind: 'miss', reason: 'protocol-violation' });
    agent.putSegment({ key: 'http://evil/x.ts', swarm: SWARM, url: 'x', body: blobOf(5), totalBytes: 5, contentType: null });
    agent.putSegment({ key: KEY, swarm: SWARM, url: KEY, body: 'nope' as unknown as Blob, totalBytes: 5, contentType: null });
    expect(store.size).toBe(0);
    agent.putSegment({ key: KEY, swarm: SWARM, url: KEY, body: blobOf(5), totalBytes: 5, contentType: null });
    expect(store.size).toBe(1);
  });
});

describe('Agent scheduling', () => {
  const entries = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ key: `http://cdn/v/seg${i}.ts`, url: `http://cdn/v/seg${i}.ts?tok=1`, durationSec: 2, seq: i }));

  it('a miss tells peers this page is fetching the segment, and the next asker waits for that download', async () => {
    const { agent, announced } = setup([]);
    expect(await agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(announced).toContainEqual({ type: 'fetching', keys: [KEY] });
    // a peer asks while our HTTP download runs: it gets the segment once the worker hands it over
    const served = agent.provide(KEY, 1000);
    agent.putSegment({ key: KEY, swarm: SWARM, url: KEY, body: blobOf(9), totalBytes: 9, contentType: null });
    expect((await served)?.body.size).toBe(9);
  });

  it('an HTTP download that brought nothing to share frees the key at once and tells peers', async () => {
    const { agent, announced } = setup([]);
    await agent.getSegment(query());
    const waiting = agent.provide(KEY, 5000);
    agent.report({ url: KEY, key: KEY, source: 'http', peerId: null, bytes: 10, ms: 5, fallback: 'no-peer', error: null });
    expect(await waiting).toBeUndefined();
    expect(announced).toContainEqual({ type: 'lost', keys: [KEY] });
  });

  it('a worker that lost our port (stopped by the browser) took its downloads with it: nobody waits for them', async () => {
    const { agent, announced } = setup([]);
    expect(await agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'no-peer' });
    const waiting = agent.provide(KEY, 60_000);
    agent.workerLost();
    expect(await waiting).toBeUndefined();
    expect(announced).toContainEqual({ type: 'lost', keys: [KEY] });
    // the browser sends the same request to the restarted worker: no wait for the dead download, a fresh miss
    expect(agent.provide(KEY, 60_000)).toBeUndefined();
    expect(await agent.getSegment(query({ budgetMs: 60_000 }))).toEqual({ kind: 'miss', reason: 'no-peer' });
  });

  it('waits for a peer that is downloading the segment now when the buffer allows, not when starving', async () => {
    const answer = async () => ({ body: blobOf(7), totalBytes: 7, contentType: null });
    const relaxed = fakeLink('f', [], answer, [KEY]);
    expect(await setup([relaxed], { bufferAhead: 20 }).agent.getSegment(query())).toMatchObject({ kind: 'hit', source: 'p2p', peerId: 'f' });
    expect(relaxed.calls[0]!.waitMs).toBeGreaterThan(0);

    const starving = fakeLink('f', [], answer, [KEY]);
    expect(await setup([starving], { bufferAhead: 0.5 }).agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(starving.calls).toHaveLength(0);

    // a fetcher measured too slow to bring it within the budget (100 KB at 20 B/ms: 5 s against 1 s) is not waited for
    const slow = Object.assign(fakeLink('f', [], answer, [KEY]), { throughput: 20, activeDownloads: 0 });
    const { agent } = setup([slow], { bufferAhead: 20 });
    const other = `${KEY.slice(0, KEY.lastIndexOf('/') + 1)}seg0.ts`;
    agent.report({ url: other, key: other, source: 'http', peerId: null, bytes: 100_000, ms: 1000, fallback: 'peer-timeout', error: null });
    expect(await agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(slow.calls).toHaveLength(0);
  });

  it('a fed player waits for peer connections being made; one that turns up holding the segment serves it', async () => {
    const links: FakeLink[] = [];
    let connecting = true;
    const { agent } = setup(links, { bufferAhead: 20, connecting: () => connecting });
    setTimeout(() => {
      links.push(fakeLink('late', [KEY], async () => ({ body: blobOf(6), totalBytes: 6, contentType: null })));
      connecting = false;
    }, 100);
    expect(await agent.getSegment(query())).toMatchObject({ kind: 'hit', source: 'p2p', peerId: 'late' });
  });

  it('a request that waited for connections and whose first peer fails asks the next holder within its budget', async () => {
    // the page's first connections came while the player's request waited for them; the holder found first closes
    // mid-transfer: the other one brings the segment (before: one peer only, then HTTP with most of the budget left)
    const links: FakeLink[] = [];
    let connecting = true;
    const { agent } = setup(links, { bufferAhead: 20, connecting: () => connecting });
    const closing = fakeLink('closing', [KEY], async () => {
      throw new SwarmError('peer-closed', 'closed mid-transfer');
    });
    const other = fakeLink('other', [KEY], async () => ({ body: blobOf(4), totalBytes: 4, contentType: null }));
    setTimeout(() => {
      links.push(closing, other);
      connecting = false;
    }, 100);
    expect(await agent.getSegment(query({ budgetMs: 5000 }))).toMatchObject({ kind: 'hit', source: 'p2p', peerId: 'other' });
    expect(closing.calls).toHaveLength(1);
    expect(other.calls).toHaveLength(1);
    // two tries in all: a third holder is not asked after both failed
    const links2: FakeLink[] = [];
    let connecting2 = true;
    const failing = (id: string) => fakeLink(id, [KEY], async () => {
      throw new SwarmError('peer-stall', 'silent');
    });
    const three = [failing('f1'), failing('f2'), failing('f3')];
    const second = setup(links2, { bufferAhead: 20, connecting: () => connecting2 });
    setTimeout(() => {
      links2.push(...three);
      connecting2 = false;
    }, 100);
    expect(await second.agent.getSegment(query({ budgetMs: 5000 }))).toEqual({ kind: 'miss', reason: 'peer-stall' });
    expect(three.map((l) => l.calls.length)).toEqual([1, 1, 0]);
  });

  it('a starving player never waits for connections being made; nor a fed one once nothing turns up', async () => {
    const starving = setup([], { bufferAhead: 0, connecting: () => true });
    const t0 = Date.now(); // fake clock
    expect(await starving.agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(Date.now() - t0, 'fake ms the starving player waited').toBeLessThanOrEqual(10);
    // connections that bring nobody: the wait ends within the budget (1 s here), then HTTP
    const fed = setup([], { bufferAhead: 20, connecting: () => true });
    const t1 = Date.now();
    expect(await fed.agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(Date.now() - t1, 'fake ms the fed player waited').toBeGreaterThan(100);
    expect(Date.now() - t1, 'fake ms the fed player waited').toBeLessThanOrEqual(1000);
  });

  it('a fed player that asked the peers it has waits neither for a connection being made nor for an elected peer it asked', async () => {
    // its one peer, which it asked, is the elected one (of two members) or it is: no wait either way, connections on
    // their way or not (before: up to 0.8 s for the connections, then up to 1.2 s for the elected peer)
    const waited = async (connecting: boolean) => {
      const failing = fakeLink('open', [KEY], async () => {
        throw new SwarmError('peer-absent', 'no');
      });
      const { agent } = setup([failing], { bufferAhead: 20, connecting: () => connecting });
      const t0 = Date.now(); // fake clock
      expect(await agent.getSegment(query({ budgetMs: 5000 }))).toEqual({ kind: 'miss', reason: 'peer-absent' });
      expect(failing.calls).toHaveLength(1);
      return Date.now() - t0;
    };
    expect(await waited(false), 'fake ms without connections being made').toBeLessThan(100);
    expect(await waited(true), 'fake ms with connections being made').toBeLessThan(100);
  });

  it('a starving player with its first segment buffered waits briefly for connections being made', async () => {
    const links: FakeLink[] = [];
    let connecting = true;
    const { agent } = setup(links, { bufferAhead: 2, connecting: () => connecting });
    setTimeout(() => {
      links.push(fakeLink('early', [KEY], async () => ({ body: blobOf(5), totalBytes: 5, contentType: null })));
      connecting = false;
    }, 60);
    expect(await agent.getSegment(query())).toMatchObject({ kind: 'hit', source: 'p2p', peerId: 'early' });
    // connections that bring nobody: HTTP once the short wait is over; and no wait for the elected peer
    const alone = setup([fakeLink('other', [], async () => ({ body: blobOf(1), totalBytes: 1, contentType: null }))], {
      bufferAhead: 2, connecting: () => true,
    });
    expect(await alone.agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'no-peer' });
    // a starving player that has not started never waits, even with connections on their way
    const links2: FakeLink[] = [];
    const fresh = setup(links2, { bufferAhead: 0.5, connecting: () => true });
    setTimeout(() => links2.push(fakeLink('late', [KEY], async () => ({ body: blobOf(5), totalBytes: 5, contentType: null }))), 30);
    expect(await fresh.agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'no-peer' });
  });

  it('a starving player still takes a segment a peer already holds', async () => {
    const holder = fakeLink('h', [KEY], async () => ({ body: blobOf(3), totalBytes: 3, contentType: null }));
    expect(await setup([holder], { bufferAhead: 0 }).agent.getSegment(query())).toMatchObject({ kind: 'hit', peerId: 'h' });
  });

  it('prefetches upcoming segments from peers into the store, never over HTTP unless elected to seed', async () => {
    const list = entries(6);
    const holder = fakeLink('h', list.map((e) => e.key), async () => ({ body: blobOf(4), totalBytes: 4, contentType: null }));
    const { agent, store, seeded } = setup([holder]);
    agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
    await agent.getSegment(query({ key: list[0]!.key, url: list[0]!.url }));
    agent.prefetch();
    await vi.advanceTimersByTimeAsync(10);
    agent.prefetch();
    await vi.advanceTimersByTimeAsync(10);
    expect(store.has(list[1]!.key) && store.has(list[2]!.key)).toBe(true);
    expect(seeded).toEqual([]);
  });

  it('when most peer transfers fail, from two peers, asking peers pauses: misses at once, no prefetch; asked again after the pause', async () => {
    const list = entries(12);
    let failing = true;
    const answer = async () => {
      if (failing) throw new SwarmError('peer-stall', 'slow uplink');
      return { body: blobOf(4), totalBytes: 4, contentType: null };
    };
    const a = fakeLink('a', list.map((e) => e.key), answer);
    const b = fakeLink('b', list.map((e) => e.key), answer);
    const { agent, store } = setup([a, b]);
    agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
    // each segment tries both peers; three segments: six failures from two peers (tries given over 1 s: judged)
    for (let i = 0; i < 3; i++) expect(await agent.getSegment(query({ key: list[i]!.key, url: list[i]!.url, budgetMs: 2000 }))).toMatchObject({ kind: 'miss' });
    expect(a.calls.length + b.calls.length).toBe(6);
    expect(agent.payoff.paused).toBe(true);
    failing = false;
    const t0 = Date.now();
    expect(await agent.getSegment(query({ key: list[3]!.key, url: list[3]!.url }))).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(Date.now() - t0).toBeLessThan(20); // at once (fake clock): no peer tried, none waited for
    agent.prefetch();
    await vi.advanceTimersByTimeAsync(10);
    expect(a.calls.length + b.calls.length).toBe(6);
    expect(store.size).toBe(0);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(agent.payoff.paused).toBe(false);
    expect(await agent.getSegment(query({ key: list[4]!.key, url: list[4]!.url }))).toMatchObject({ kind: 'hit', source: 'p2p' });
  });

  it('timeouts of peers tried before (rate 0: failed, never delivered) are judged, only their first tries are not: asking pauses', async () => {
    const list = entries(12);
    const links: Array<FakeLink & { throughput: number | null }> = [];
    // every transfer times out; the link then knows the peer failed before ever delivering (as Throughput does: 0)
    const timingOut = (i: number) => async (): Promise<Received> => {
      links[i]!.throughput = 0;
      throw new SwarmError('peer-timeout', 'late', { received: -1 }); // never started sending: no strike
    };
    for (const [i, id] of ['a', 'b'].entries()) links.push(Object.assign(fakeLink(id, list.map((e) => e.key), timingOut(i)), { throughput: null }));
    const { agent } = setup(links);
    agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
    const ask = (i: number) => agent.getSegment(query({ key: list[i]!.key, url: list[i]!.url, budgetMs: 2000 }));
    // the first segment's two tries are each peer's first (not judged); the next two segments' four are: 4 of 6
    for (let i = 0; i < 3; i++) expect(await ask(i)).toMatchObject({ kind: 'miss' });
    expect(agent.payoff.paused).toBe(false);
    expect(await ask(3)).toMatchObject({ kind: 'miss' });
    expect(agent.payoff.paused).toBe(true);
    expect(links[0]!.calls.length + links[1]!.calls.length).toBe(8);
  });

  it("while the line carries under 3× what the player plays, peers are neither asked nor served, and nothing is prefetched", async () => {
    const list = entries(6);
    const holder = fakeLink('h', list.map((e) => e.key), async () => ({ body: blobOf(4), totalBytes: 4, contentType: null }));
    const { agent, store } = setup([holder]);
    agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
    // a 1 Mbit/s line: 124 KB in 1070 ms; segments of 2 s
    agent.report({ url: list[0]!.url, key: list[0]!.key, source: 'http', peerId: null, bytes: 124_000, ms: 1070, fallback: 'no-peer', error: null });
    store.put({ key: list[0]!.key, swarm: SWARM, body: blobOf(4), totalBytes: 4, contentType: null });
    expect(await agent.getSegment(query({ key: list[1]!.key, url: list[1]!.url }))).toEqual({ kind: 'miss', reason: 'no-peer' });
    agent.prefetch();
    await vi.advanceTimersByTimeAsync(10);
    expect(holder.calls).toHaveLength(0);
    expect(agent.provide(list[0]!.key, 0)).toBeUndefined();
    // the same segments on a line 4× as fast: asked, served
    const fast = setup([holder]);
    fast.agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
    fast.agent.report({ url: list[0]!.url, key: list[0]!.key, source: 'http', peerId: null, bytes: 124_000, ms: 267, fallback: 'no-peer', error: null });
    fast.store.put({ key: list[0]!.key, swarm: SWARM, body: blobOf(4), totalBytes: 4, contentType: null });
    expect(await fast.agent.getSegment(query({ key: list[1]!.key, url: list[1]!.url }))).toMatchObject({ kind: 'hit', source: 'p2p' });
    expect(fast.agent.provide(list[0]!.key, 0)).toBeDefined();
  });

  it("a master playlist's rung above the one played counts: the line must carry 3× that rung's rate to be shared", async () => {
    const list = entries(6);
    const holder = fakeLink('h', list.map((e) => e.key), async () => ({ body: blobOf(4), totalBytes: 4, contentType: null }));
    // 124 KB in 267 ms (464 B/ms, ~3.7 Mbit/s) playing 62 B/ms: 7.5× the rendition played
    const run = async (nextUpBitsPerSec: number | undefined) => {
      const { agent, store } = setup([holder]);
      agent.manifest([{ swarm: SWARM, live: false, entries: [], ...(nextUpBitsPerSec ? { nextUpBitsPerSec } : {}) }]);
      agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
      agent.report({ url: list[0]!.url, key: list[0]!.key, source: 'http', peerId: null, bytes: 124_000, ms: 267, fallback: 'no-peer', error: null });
      store.put({ key: list[0]!.key, swarm: SWARM, body: blobOf(4), totalBytes: 4, contentType: null });
      const answer = await agent.getSegment(query({ key: list[1]!.key, url: list[1]!.url }));
      return { answer, served: agent.provide(list[0]!.key, 0) !== undefined };
    };
    // the rung above plays at 1.5 Mbit/s (187.5 B/ms): 464 is under 3× that — the line is the player's, to switch up
    expect(await run(1_500_000)).toEqual({ answer: { kind: 'miss', reason: 'no-peer' }, served: false });
    // at 1 Mbit/s (125 B/ms) it is over 3×; and with no rung above, only the rendition played counts
    expect(await run(1_000_000)).toMatchObject({ answer: { kind: 'hit', source: 'p2p' }, served: true });
    expect(await run(undefined)).toMatchObject({ answer: { kind: 'hit', source: 'p2p' }, served: true });
  });

  it('is direct while the pool\'s joins are held with the player not started (no peer can be linked), not once they are due', async () => {
    let held = true;
    const list = entries(3);
    const { agent, direct } = setup([], { joinsHeld: () => held, bufferAhead: 0 });
    agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
    expect(agent.direct).toBe(true);
    agent.checkDirect();
    expect(direct).toEqual([true]); // the worker fetches the player's first segment at once
    expect(agent.peersPaused).toBe(false); // the line is not the player's: that is not why
    held = false; // its first segment in: the joins are due (PeerPool.expectRelease)
    agent.checkDirect();
    expect(direct).toEqual([true, false]);
    agent.checkDirect();
    expect(direct).toEqual([true, false]); // changes only
  });

  it('tells the worker when it would answer no-peer at once (the line is the player\'s), and answers its direct queries so', async () => {
    const list = entries(6);
    const holder = fakeLink('h', list.map((e) => e.key), async () => ({ body: blobOf(4), totalBytes: 4, contentType: null }));
    const { agent, store, direct, announced } = setup([holder]);
    agent.manifest([{ swarm: SWARM, live: false, entries: [], nextUpBitsPerSec: 1_500_000 }]);
    agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
    expect(direct).toEqual([]); // the line's pace unknown: not direct (the worker asks, as before)
    expect(agent.direct).toBe(false);
    // 124 KB in 267 ms (464 B/ms): under 3× the 1.5 Mbit/s rung above (187.5 B/ms) — the line is the player's
    agent.report({ url: list[0]!.url, key: list[0]!.key, source: 'http', peerId: null, bytes: 124_000, ms: 267, fallback: 'no-peer', error: null });
    expect(direct).toEqual([]); // the rate played not known yet
    store.put({ key: list[1]!.key, swarm: SWARM, body: blobOf(4), totalBytes: 4, contentType: null });
    const asked = await agent.getSegment(query({ key: list[1]!.key, url: list[1]!.url }));
    expect(asked).toMatchObject({ kind: 'hit', source: 'store' }); // a query waited for still gets the store
    expect(direct).toEqual([true]);
    // a direct query: the worker is fetching it already — no store, no peer; peers hear it is on its way
    const d = await agent.getSegment(query({ key: list[2]!.key, url: list[2]!.url, direct: true }));
    expect(d).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(holder.calls).toEqual([]);
    expect(announced).toContainEqual({ type: 'fetching', keys: [list[2]!.key] });
    // the line found faster (a few quick loads): no longer the player's, and the worker hears it once
    for (let i = 2; i < 5; i++) {
      agent.report({ url: list[i]!.url, key: list[i]!.key, source: 'http', peerId: null, bytes: 124_000, ms: 40, fallback: 'no-peer', error: null });
    }
    expect(direct).toEqual([true, false]);
  });

  it("under a rung above, a player's request waits for peers no longer than its ABR can take as the network's time", async () => {
    const list = entries(6);
    // a holder that answers after 600 ms, within the timeout it is given (as PeerLink does)
    const slowHolder = () => {
      const link = fakeLink('h', list.map((e) => e.key), async () => ({ body: blobOf(4), totalBytes: 4, contentType: null }));
      link.request = (key: string, timeoutMs: number) => {
        link.calls.push({ key, waitMs: 0 });
        return new Promise((resolve, reject) => {
          setTimeout(() => resolve({ body: blobOf(4), totalBytes: 4, contentType: null }), 600);
          setTimeout(() => reject(new SwarmError('peer-timeout', 'timed out')), timeoutMs);
        });
      };
      return link;
    };
    const run = async (nextUpBitsPerSec: number | undefined, lineKnown = true) => {
      const holder = slowHolder();
      const { agent } = setup([holder]);
      if (nextUpBitsPerSec) agent.manifest([{ swarm: SWARM, live: false, entries: [], nextUpBitsPerSec }]);
      agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
      // 124 KB in 267 ms: 464 B/ms, over 3× a 1 Mbit/s rung (125 B/ms), so the line is shared
      if (lineKnown) agent.report({ url: list[0]!.url, key: list[0]!.key, source: 'http', peerId: null, bytes: 124_000, ms: 267, fallback: 'no-peer', error: null });
      const t0 = Date.now();
      const answer = await agent.getSegment(query({ key: list[1]!.key, url: list[1]!.url, budgetMs: 3000 }));
      return { kind: answer.kind, ms: Date.now() - t0, asked: holder.calls.length };
    };
    // hls.js needs 125 ÷ 0.7 = 179 B/ms to climb: 124 KB within 694 ms, of which the network takes 267: 427 ms for peers
    const under = await run(1_000_000);
    expect(under).toMatchObject({ kind: 'miss', asked: 1 });
    expect(under.ms).toBeLessThan(600);
    // no rung above: the budget is the buffer's, and the peer's 600 ms answer is taken
    expect(await run(undefined)).toMatchObject({ kind: 'hit', asked: 1 });
    // a rung above but the line's pace not known yet: the wait could not be bounded, so peers are not asked
    expect(await run(1_000_000, false)).toMatchObject({ kind: 'miss', asked: 0 });
  });

  it("the line's pace leaves out what the agent waited before a miss (connections being made, an elected peer)", async () => {
    const list = entries(6);
    const { agent, store } = setup([], { connecting: () => true });
    agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
    store.put({ key: list[0]!.key, swarm: SWARM, body: blobOf(4), totalBytes: 4, contentType: null });
    const t0 = Date.now();
    expect(await agent.getSegment(query({ key: list[1]!.key, url: list[1]!.url }))).toEqual({ kind: 'miss', reason: 'no-peer' });
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(700); // it waited for the connections being made
    // the worker's report counts that wait: 124 KB in waited + 100 ms, a fast line, not a 1 Mbit/s one
    agent.report({ url: list[1]!.url, key: list[1]!.key, source: 'http', peerId: null, bytes: 124_000, ms: waited + 100, fallback: 'no-peer', error: null });
    expect(agent.provide(list[0]!.key, 0)).toBeDefined();
  });

  it('does not prefetch while the player is starting or starving', async () => {
    const list = entries(6);
    const holder = fakeLink('h', list.map((e) => e.key), async () => ({ body: blobOf(4), totalBytes: 4, contentType: null }));
    const { agent, store } = setup([holder], { bufferAhead: 1 });
    agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
    agent.playlists.played(SWARM, list[0]!.key);
    agent.prefetch();
    await vi.advanceTimersByTimeAsync(10);
    expect(holder.calls).toHaveLength(0);
    expect(store.size).toBe(0);
  });

  it('VOD waits for the peer elected to fetch a segment; live only briefly: the first viewer to ask fetches it', async () => {
    const list = entries(4);
    const q = query({ key: list[1]!.key, url: list[1]!.url, budgetMs: 600 });
    // pick a peer id the election prefers to 'me' for this key
    const other = ['a', 'b', 'c', 'd', 'e', 'f'].find((id) => electFetcher(list[1]!.key, ['me', id]) === id)!;
    const outcome = async (live: boolean) => {
      const link = fakeLink(other, [], async () => ({ body: blobOf(3), totalBytes: 3, contentType: null }));
      const { agent } = setup([link], { bufferAhead: 20 });
      agent.manifest([{ swarm: SWARM, live, entries: list }]);
      // the elected peer announces its download 150 ms after our player asked
      setTimeout(() => link.fetching.add(list[1]!.key), 150);
      return agent.getSegment(q);
    };
    expect(await outcome(false)).toMatchObject({ kind: 'hit', source: 'p2p', peerId: other });
    expect(await outcome(true)).toEqual({ kind: 'miss', reason: 'no-peer' });
    // live: a download another viewer announces within the short wait (two asking at nearly the same moment) is used
    const link = fakeLink(other, [], async () => ({ body: blobOf(3), totalBytes: 3, contentType: null }));
    const { agent } = setup([link], { bufferAhead: 20 });
    agent.manifest([{ swarm: SWARM, live: true, entries: list }]);
    setTimeout(() => link.fetching.add(list[1]!.key), 30);
    expect(await agent.getSegment(q)).toMatchObject({ kind: 'hit', source: 'p2p', peerId: other });
  });

  it("a started player whose buffer only covers the network's own time for the segment asks no peer", async () => {
    const answer = async () => ({ body: blobOf(5), totalBytes: 5, contentType: null });
    const other = `${KEY.slice(0, KEY.lastIndexOf('/') + 1)}seg0.ts`;
    // unknown pace: the peer gets its short try
    const a = fakeLink('a', [KEY], answer);
    expect(await setup([a], { bufferAhead: 1.2 }).agent.getSegment(query())).toMatchObject({ kind: 'hit', source: 'p2p' });
    // this page's HTTP brought the rendition's last segment (100 KB) in 1 s: 1.2 s buffered leave no time for a peer
    const b = fakeLink('b', [KEY], answer);
    const { agent } = setup([b], { bufferAhead: 1.2 });
    agent.report({ url: other, key: other, source: 'http', peerId: null, bytes: 100_000, ms: 1000, fallback: 'no-peer', error: null });
    expect(await agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(b.calls).toEqual([]);
  });

  it('asks no holder measured at less than half the pace the budget needs (the next is asked); one a little slow, or at 0, is asked', async () => {
    const answer = async () => ({ body: blobOf(5), totalBytes: 5, contentType: null });
    const other = `${KEY.slice(0, KEY.lastIndexOf('/') + 1)}seg0.ts`;
    const sized = (links: FakeLink[]) => {
      const s = setup(links);
      // the rendition's segments are 100 KB (a load after a peer try: its size only)
      s.agent.report({ url: other, key: other, source: 'http', peerId: null, bytes: 100_000, ms: 1000, fallback: 'peer-timeout', error: null });
      return s;
    };
    // 20 B/ms: 5 s for 100 KB, against a 1 s budget
    const slow = Object.assign(fakeLink('slow', [KEY], answer), { throughput: 20, activeDownloads: 0 });
    const fast = Object.assign(fakeLink('fast', [KEY], answer), { throughput: 1000, activeDownloads: 0 });
    expect(await sized([slow, fast]).agent.getSegment(query())).toMatchObject({ kind: 'hit', peerId: 'fast' });
    expect(slow.calls).toEqual([]);
    expect(await sized([Object.assign(fakeLink('slow', [KEY], answer), { throughput: 20, activeDownloads: 0 })]).agent.getSegment(query())).toEqual({
      kind: 'miss', reason: 'no-peer',
    });
    // 70 B/ms: 1.4 s against 1 s — a rate from a busy moment must not shut it out: asked
    const busy = Object.assign(fakeLink('busy', [KEY], answer), { throughput: 70, activeDownloads: 2 });
    expect(await sized([busy]).agent.getSegment(query())).toMatchObject({ kind: 'hit', peerId: 'busy' });
    // failed before ever delivering (0): still asked by a fed player
    const zero = Object.assign(fakeLink('zero', [KEY], answer), { throughput: 0, activeDownloads: 0 });
    expect(await sized([zero]).agent.getSegment(query())).toMatchObject({ kind: 'hit', peerId: 'zero' });
  });

  it('serves peers nothing while its own player runs short: absent at once, served again once fed', async () => {
    let playing: number | null = 1.5;
    const store = new SegmentStore(1_000_000);
    const agent = new Agent({
      config: mergeConfig({}), store, pool: { peerId: 'me', connecting: false, join: () => undefined, linkFor: () => undefined, fetchersOf: () => [], openPeerIds: () => [], announce: () => undefined },
      onReport: () => undefined, onStored: () => undefined, bufferAhead: () => playing, seed: () => undefined, canSeed: () => false,
      now: () => Date.now(), playingBufferSec: () => playing,
    });
    store.put({ key: KEY, swarm: SWARM, body: blobOf(10), totalBytes: 10, contentType: null });
    expect(agent.provide(KEY, 0)).toBeUndefined(); // 1.5 s of a 4 s urgent buffer
    playing = 3; // below urgent, but the line's pace is unknown (no HTTP load yet): serves
    expect((agent.provide(KEY, 0) as StoredSegment | undefined)?.body.size).toBe(10);
    // its last HTTP load took 1 s: a third of the 3 s buffered, a slow line
    agent.report({ url: KEY, key: KEY, source: 'http', peerId: null, bytes: 100_000, ms: 1000, fallback: 'no-peer', error: null });
    expect(agent.provide(KEY, 0)).toBeUndefined();
    playing = null; // paused
    expect((agent.provide(KEY, 0) as StoredSegment | undefined)?.body.size).toBe(10);
  });

  it('VOD waits for the elected peer only when it is at this position (it announced a segment right before); one behind is not waited for', async () => {
    const list = entries(6);
    const q = query({ key: list[3]!.key, url: list[3]!.url, budgetMs: 3000 });
    const other = ['a', 'b', 'c', 'd', 'e', 'f'].find((id) => electFetcher(list[3]!.key, ['me', id]) === id)!;
    const outcome = async (holds: string[]) => {
      const link = fakeLink(other, holds, async () => ({ body: blobOf(3), totalBytes: 3, contentType: null }));
      const { agent } = setup([link], { bufferAhead: 20, peerHolds: true });
      agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
      setTimeout(() => link.fetching.add(list[3]!.key), 300);
      const t0 = Date.now();
      const a = await agent.getSegment(q);
      return { a, waitedMs: Date.now() - t0 };
    };
    // at our position (holds the segment before): its download, announced 300 ms later, is waited for and used
    const near = await outcome([list[2]!.key]);
    expect(near.a).toMatchObject({ kind: 'hit', source: 'p2p', peerId: other });
    // behind (holds only the first): nobody waited for, the segment goes to the network at once (fake clock)
    const behind = await outcome([list[0]!.key]);
    expect(behind.a).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(behind.waitedMs).toBeLessThan(100);
  });

  it('VOD does not wait for an elected peer whose measured rate could not bring the segment within the budget', async () => {
    const list = entries(6);
    const q = query({ key: list[3]!.key, url: list[3]!.url, budgetMs: 3000 });
    const other = ['a', 'b', 'c', 'd', 'e', 'f'].find((id) => electFetcher(list[3]!.key, ['me', id]) === id)!;
    const outcome = async (bytesPerMs: number) => {
      const link = Object.assign(fakeLink(other, [list[2]!.key], async () => ({ body: blobOf(3), totalBytes: 3, contentType: null })), {
        throughput: bytesPerMs, activeDownloads: 0,
      });
      const { agent } = setup([link], { bufferAhead: 20, peerHolds: true });
      agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
      // the rendition's segments are 100 KB
      agent.report({ url: list[0]!.url, key: list[0]!.key, source: 'http', peerId: null, bytes: 100_000, ms: 100, fallback: 'peer-absent', error: null });
      setTimeout(() => link.fetching.add(list[3]!.key), 300);
      const t0 = Date.now();
      const a = await agent.getSegment(q);
      return { a, waitedMs: Date.now() - t0 };
    };
    // 1000 B/ms: 100 ms for it — waited for, and used
    expect((await outcome(1000)).a).toMatchObject({ kind: 'hit', source: 'p2p', peerId: other });
    // 20 B/ms: 5 s against a 3 s budget — nobody waited for
    const slow = await outcome(20);
    expect(slow.a).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(slow.waitedMs).toBeLessThan(100);
  });

  it('seeds over HTTP only the next segments nobody holds, and only those this page is elected for', async () => {
    const list = entries(40);
    const other = fakeLink('other', [], async () => {
      throw new SwarmError('peer-absent', 'no');
    });
    const mine = setup([other], { peerId: 'me' });
    const theirs = setup([fakeLink('me', [], async () => { throw new SwarmError('peer-absent', 'no'); })], { peerId: 'other' });
    for (const { agent } of [mine, theirs]) {
      agent.manifest([{ swarm: SWARM, live: false, entries: list }]);
      agent.playlists.played(SWARM, list[0]!.key);
    }
    // walk the position along the list; each time the next two segments may be seeded by exactly one of the two
    for (let i = 0; i < 30; i++) {
      for (const { agent } of [mine, theirs]) {
        agent.playlists.played(SWARM, list[i]!.key);
        agent.prefetch();
      }
      await vi.advanceTimersByTimeAsync(2);
    }
    const both = [...mine.seeded, ...theirs.seeded];
    expect(both.length).toBeGreaterThan(0);
    expect(new Set(both).size).toBe(both.length); // never the same segment twice
    expect(mine.seeded.length).toBeGreaterThan(0);
    expect(theirs.seeded.length).toBeGreaterThan(0);
    for (const url of both) expect(url).toMatch(/\?tok=1$/); // the manifest's own URL, token kept
  });
});
