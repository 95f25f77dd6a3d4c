/**
 * VOD prefetch by lead time (issue 14): the player's pace (RequestPace) says when it will ask for each upcoming
 * segment; a peer is asked only for segments it can bring by then at its measured rate, with that long to do it; a
 * prefetch the player asks for before it can end is given up, and the player's segment goes to the network; a
 * transfer we give up still says how fast the peer sends. Fake time throughout.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InflightDownloads } from '../../client/InflightDownloads';
import type { PeerLink } from '../../client/PeerLink';
import { Prefetcher, type PrefetcherDeps } from '../../client/Prefetcher';
import { RequestPace } from '../../client/RequestPace';
import { SegmentResolver } from '../../client/SegmentResolver';
import type { StoredSegment } from '../../client/SegmentStore';
import { Downloads } from '../../client/peer/Downloads';
import type { RemoteHaves } from '../../client/peer/RemoteHaves';
import { Throughput } from '../../client/peer/Throughput';
import type { SegmentQuery } from '../../core/contract';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const SWARM = 'http://site|http://cdn/v/';
const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `http://cdn/v/seg${i}.ts`, url: `http://cdn/v/seg${i}.ts`, durationSec: 2, seq: i }));
const SEGMENT_BYTES = 375_000;

interface Asked {
  key: string;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  settle(s: StoredSegment | Error): void;
}

/** A link with a measured rate (bytes per ms) and a projection for our requests under way. */
function slowLink(id: string, bytesPerMs: number | null, projected: () => number | null = () => null) {
  return { remoteId: id, throughput: bytesPerMs, activeDownloads: 0, projectedDoneAt: projected } as unknown as PeerLink;
}

/** A playlist's entries after the player's position (the first), covering `aheadSec` (as Playlists.upcoming). */
function upcomingOf(list: ReturnType<typeof entries>, aheadSec: number) {
  const out = [];
  for (let i = 1, sec = 0; i < list.length && sec < aheadSec; i++) {
    out.push(list[i]!);
    sec += list[i]!.durationSec;
  }
  return out;
}

type PrefetcherOpts = {
  live?: boolean;
  leads?: number[] | null;
  left?: boolean;
  /** A playlist of `n` 2 s entries whose window follows the seconds asked for, the player asking every `intervalMs`. */
  paced?: { n: number; intervalMs: number };
  storeMaxBytes?: number;
  /** Seconds the player has buffered (20 when not said). */
  ahead?: number;
};

function prefetcher(link: PeerLink, opts: PrefetcherOpts = {}) {
  const asked: Asked[] = [];
  const list = entries(opts.paced?.n ?? 12);
  const deps: PrefetcherDeps = {
    config: { urgentBufferSec: 4, prefetchAheadSec: 30, p2pTimeoutMs: 2000, storeMaxBytes: opts.storeMaxBytes ?? 64 * 1024 * 1024 },
    store: { has: () => false },
    pool: { linkFor: () => link, fetchersOf: () => [], openPeerIds: () => [link.remoteId], announce: () => {}, peerId: 'me' },
    playlists: {
      activeSwarms: () => [SWARM],
      upcoming: (_s, aheadSec) => (opts.paced ? upcomingOf(list, aheadSec) : list.slice(1)),
      isLive: () => opts.live === true,
    },
    inflight: new InflightDownloads(15_000),
    fromPeer: (_l, key, _s, timeoutMs, _w, signal) =>
      new Promise<StoredSegment>((resolve, reject) => {
        const a: Asked = { key, timeoutMs, signal, settle: (s) => (s instanceof Error ? reject(s) : resolve(s)) };
        signal?.addEventListener('abort', () => reject(new Error('aborted')));
        asked.push(a);
      }),
    refuses: () => false,
    bufferAhead: () => opts.ahead ?? 20,
    seed: () => {},
    canSeed: () => false,
    leadsMs: (_s, durations) =>
      opts.leads === undefined ? durations.map((_, i) => (i + 1) * (opts.paced?.intervalMs ?? 2000)) : opts.leads,
    expectedBytes: () => SEGMENT_BYTES,
    now: () => Date.now(),
    left: () => opts.left === true,
  };
  return { p: new Prefetcher(deps), asked, list };
}

const segment = (key: string): StoredSegment => ({ key, swarm: SWARM, body: new Blob([new Uint8Array(4)]), totalBytes: 4, contentType: null, from: 'p2p', delivered: false });

describe('RequestPace', () => {
  it('knows nothing before two requests; then the time until each upcoming one, at the player pace, never slower than it plays', () => {
    const pace = new RequestPace();
    pace.note(SWARM, 0);
    expect(pace.leadsMs(SWARM, [2, 2], 100)).toBeNull();
    // filling its buffer: a request every 250 ms
    pace.note(SWARM, 250);
    pace.note(SWARM, 500);
    expect(pace.leadsMs(SWARM, [2, 2, 2], 600)).toEqual([150, 400, 650]);
    // full: one per segment played (2 s); a long pause between two requests counts at most the segment's duration
    const steady = new RequestPace();
    steady.note(SWARM, 0);
    steady.note(SWARM, 60_000);
    expect(steady.leadsMs(SWARM, [2, 2, 4], 60_500)).toEqual([1500, 3500, 7500]);
    steady.forget(SWARM);
    expect(steady.leadsMs(SWARM, [2], 60_500)).toBeNull();
  });

  it('a rendition the player switched away from is left: once another went on twice (asked for once), else two of its intervals overdue', () => {
    const LOW = 'http://site|http://cdn/180p/';
    const MID = 'http://site|http://cdn/360p/';
    const TOP = 'http://site|http://cdn/540p/';
    const pace = new RequestPace();
    expect(pace.left(LOW, 0)).toBe(false); // never asked for
    pace.note(LOW, 0); // hls.js's start level: one segment…
    expect(pace.left(LOW, 5000)).toBe(false); // …and nothing else asked for since
    pace.note(MID, 1000);
    expect(pace.left(LOW, 1000)).toBe(false); // one of another (demuxed audio after video, as a player starts)
    pace.note(MID, 1300); // …then two of the next level (300 ms apart)…
    expect(pace.left(LOW, 1300)).toBe(true);
    expect(pace.left(MID, 1300)).toBe(false);
    pace.note(TOP, 1600); // …then the top one
    expect(pace.left(MID, 1900)).toBe(false); // 600 ms: two intervals, not more
    expect(pace.left(MID, 1901)).toBe(true);
    expect(pace.left(TOP, 60_000)).toBe(false); // the latest asked for is never left
    pace.note(MID, 61_000); // switched back down: the top, asked for once, is left at the second request of this one
    expect(pace.left(TOP, 61_000)).toBe(false);
    pace.note(MID, 63_000);
    expect(pace.left(TOP, 63_000)).toBe(true);
    expect(pace.left(MID, 63_000)).toBe(false);
  });

  it('demuxed audio and video, asked for in turns, both stay current', () => {
    const VIDEO = 'http://site|http://cdn/video/';
    const AUDIO = 'http://site|http://cdn/audio/';
    const pace = new RequestPace();
    for (let t = 0; t <= 20_000; t += 2000) {
      pace.note(VIDEO, t);
      pace.note(AUDIO, t + 50);
      for (const at of [t + 60, t + 1000, t + 2049]) {
        expect(pace.left(VIDEO, at)).toBe(false);
        expect(pace.left(AUDIO, at)).toBe(false);
      }
    }
  });
});

describe('Prefetcher: VOD by lead time', () => {
  it('a peer on a 1 Mbit/s uplink (375 KB: 3 s) is asked only for segments the player wants in ≥ 4.5 s, with that long', () => {
    const { p, asked, list } = prefetcher(slowLink('slow', 125));
    p.tick();
    // leads 2, 4, 6, 8 s: the first two are too close; the next three are asked (MAX_PREFETCH), each with its lead
    expect(asked.map((a) => a.key)).toEqual([list[3]!.key, list[4]!.key, list[5]!.key]);
    expect(asked.map((a) => a.timeoutMs)).toEqual([6000, 8000, 10_000]);
  });

  it('a fast peer is asked for the next segments; an unmeasured one is taken for a slow uplink', () => {
    const fast = prefetcher(slowLink('fast', 10_000));
    fast.p.tick();
    expect(fast.asked.map((a) => a.key)).toEqual(fast.list.slice(1, 4).map((e) => e.key));
    expect(fast.asked[0]!.timeoutMs).toBe(4000); // at least twice the worker's P2P budget
    const unknown = prefetcher(slowLink('new', null));
    unknown.p.tick();
    expect(unknown.asked[0]!.key).toBe(unknown.list[3]!.key);
  });

  it('a peer measured too slow more than 6 s ago, with nothing of ours under way, is asked as an unmeasured one (measured again)', () => {
    // 10 B/ms: 375 KB in 37.5 s, too slow for every lead (2–22 s)
    const slowAt = (throughputAgeMs: number, activeDownloads: number) =>
      Object.assign(slowLink('slow', 10), { throughputAgeMs, activeDownloads }) as PeerLink;
    const fresh = prefetcher(slowAt(5999, 0));
    fresh.p.tick();
    expect(fresh.asked).toEqual([]);
    // 6 s old: taken for a 1 Mbit/s uplink, as an unmeasured peer
    const stale = prefetcher(slowAt(6000, 0));
    stale.p.tick();
    expect(stale.asked.map((a) => a.key)).toEqual([stale.list[3]!.key, stale.list[4]!.key, stale.list[5]!.key]);
    // something of ours under way with it renews the rate soon: its figure holds meanwhile
    const busy = prefetcher(slowAt(60_000, 1));
    busy.p.tick();
    expect(busy.asked).toEqual([]);
    // a fast peer's old rate is its own (not lowered to the unmeasured one's)
    const fast = prefetcher(Object.assign(slowLink('fast', 10_000), { throughputAgeMs: 60_000 }) as PeerLink);
    fast.p.tick();
    expect(fast.asked[0]!.key).toBe(fast.list[1]!.key);
  });

  it('a player loading faster than it plays: the window reaches what it asks for within prefetchAheadSec (≤ 4× the media)', () => {
    // 40 B/ms: 375 KB in 9.4 s, asked only with ≥ 14.1 s of lead
    const bursting = prefetcher(slowLink('slow', 40), { paced: { n: 80, intervalMs: 500 } });
    bursting.p.tick();
    // a segment every 0.5 s: the 28th ahead is asked for in 14 s, the 29th in 14.5 s — 58 s of media ahead
    expect(bursting.asked.map((a) => a.key)).toEqual([29, 30, 31].map((i) => bursting.list[i]!.key));
    // never further than 4 × 30 s of media (60 segments), even at a pace that asks for more within 30 s: at 0.1 s a
    // segment, a peer at 93 B/ms (4 s; asked with ≥ 6.05 s of lead) could only bring the 61st ahead (6.1 s)
    const fastest = prefetcher(slowLink('slow', 93), { paced: { n: 80, intervalMs: 100 } });
    fastest.p.tick();
    expect(fastest.asked).toEqual([]);
    const wider = prefetcher(slowLink('slow', 94), { paced: { n: 80, intervalMs: 100 } }); // 3.99 s: ≥ 5.98 s
    wider.p.tick();
    expect(wider.asked.map((a) => a.key)).toEqual([60].map((i) => wider.list[i]!.key));
  });

  it('the window holds no more than half the store by the segments’ expected sizes', () => {
    // 100 B/ms: 375 KB in 3.75 s, asked with ≥ 5.63 s of lead — at a segment every 0.5 s, the 12th ahead (6 s)
    const MiB = 1024 * 1024;
    const roomy = prefetcher(slowLink('slow', 100), { paced: { n: 80, intervalMs: 500 }, storeMaxBytes: 9 * MiB });
    roomy.p.tick(); // 4.5 MiB: 12 segments of 375 KB, the last of them far enough
    expect(roomy.asked.map((a) => a.key)).toEqual([roomy.list[12]!.key]);
    const small = prefetcher(slowLink('slow', 100), { paced: { n: 80, intervalMs: 500 }, storeMaxBytes: 8 * MiB });
    small.p.tick(); // 4 MiB: 11 segments, all too near for this peer
    expect(small.asked).toEqual([]);
    // the same bound when the pace is unknown (live): a fast peer is asked for the next ones, up to the bound
    const live = prefetcher(slowLink('fast', 10_000), { live: true, storeMaxBytes: 750_000 * 2 });
    live.p.tick(); // 750 KB: 2 segments
    expect(live.asked.map((a) => a.key)).toEqual([1, 2].map((i) => live.list[i]!.key));
  });

  it('a player asking at the pace it plays: the window is prefetchAheadSec of media, nothing asked for later', () => {
    // 15 B/ms: 375 KB in 25 s, so only a segment asked for in ≥ 37.5 s would do — beyond the window's 30 s
    const { p, asked } = prefetcher(slowLink('slow', 15), { paced: { n: 80, intervalMs: 2000 } });
    p.tick();
    expect(asked).toEqual([]);
    // at 20 B/ms (28.1 s of lead), the 15th segment ahead, asked for in 30 s, is the window's last
    const edge = prefetcher(slowLink('slow', 20), { paced: { n: 80, intervalMs: 2000 } });
    edge.p.tick();
    expect(edge.asked.map((a) => a.key)).toEqual([edge.list[15]!.key]);
  });

  it('a swarm the player left is neither prefetched nor seeded', () => {
    const stays = prefetcher(slowLink('fast', 10_000));
    stays.p.tick();
    expect(stays.asked.length).toBe(3);
    for (const opts of [{ left: true }, { left: true, live: true }, { left: true, leads: null }]) {
      const { p, asked } = prefetcher(slowLink('fast', 10_000), opts);
      p.tick();
      expect(asked).toEqual([]);
    }
  });

  it('a pace not known yet: the next segments, with twice the worker budget — from a peer not measured too slow for that', () => {
    for (const rate of [null, 1000]) {
      const { p, asked, list } = prefetcher(slowLink('peer', rate), { leads: null });
      p.tick();
      expect(asked.map((a) => a.key)).toEqual(list.slice(1, 4).map((e) => e.key));
      expect(asked.every((a) => a.timeoutMs === 4000)).toBe(true);
    }
    const slow = prefetcher(slowLink('slow', 80), { leads: null }); // 375 KB: 4.7 s
    slow.p.tick();
    expect(slow.asked).toEqual([]);
  });

  it('live: the next segments, with the budget the player’s own request gets — from a peer not measured too slow for that', () => {
    // 20 s buffered: the worker's whole budget; 4.5 s (just over urgentBufferSec): the 800 ms a live player's
    // request gets (the player asks for a new live segment as soon as its playlist lists it)
    for (const [ahead, timeoutMs] of [[20, 2000], [4.5, 800], [5.5, 1500]] as const) {
      for (const rate of [null, 1000]) {
        const { p, asked, list } = prefetcher(slowLink('peer', rate), { live: true, ahead });
        p.tick();
        expect(asked.map((a) => a.key)).toEqual(list.slice(1, 4).map((e) => e.key));
        expect(asked.map((a) => a.timeoutMs)).toEqual([timeoutMs, timeoutMs, timeoutMs]);
      }
    }
    // 375 KB at 400 B/ms: 0.94 s — in time for 2 s, not for 800 ms
    const fed = prefetcher(slowLink('peer', 400), { live: true, ahead: 20 });
    fed.p.tick();
    expect(fed.asked.length).toBe(3);
    const edge = prefetcher(slowLink('peer', 400), { live: true, ahead: 4.5 });
    edge.p.tick();
    expect(edge.asked).toEqual([]);
    // under urgentBufferSec nothing is prefetched at all
    const starving = prefetcher(slowLink('peer', null), { live: true, ahead: 3 });
    starving.p.tick();
    expect(starving.asked).toEqual([]);
  });

  it('a prefetch the player asks for is given up when it would end later than the wait allows: at once when projected late, else at the wait', async () => {
    let end: number | null = null;
    const { p, asked, list } = prefetcher(slowLink('slow', 125, () => end));
    p.tick();
    const first = asked[0]!;
    end = Date.now() + 3000;
    expect(await p.coming(first.key, 500)).toBeUndefined();
    expect(first.signal?.aborted).toBe(true);
    // projected in time: waited for
    const second = asked[1]!;
    end = Date.now() + 200;
    const got = p.coming(second.key, 500)!;
    await vi.advanceTimersByTimeAsync(200);
    second.settle(segment(second.key));
    expect((await got)?.key).toBe(second.key);
    // nothing to project from: given up at the wait
    const third = asked[2]!;
    end = null;
    const late = p.coming(third.key, 500)!;
    await vi.advanceTimersByTimeAsync(500);
    expect(await late).toBeUndefined();
    expect(third.signal?.aborted).toBe(true);
    expect(p.coming(list[11]!.key, 500)).toBeUndefined(); // not prefetched
    p.destroy();
  });
});

describe('SegmentResolver with a prefetch and measured peers', () => {
  const KEY = 'http://cdn/v/seg1.ts';
  const query: SegmentQuery = { key: KEY, wholeKey: null, range: null, swarm: SWARM, url: KEY, budgetMs: 2000 };

  function resolver(
    prefetched: (key: string, withinMs: number) => Promise<StoredSegment | undefined> | undefined,
    link: PeerLink & { asked?: number },
    httpMs = 200,
    ahead = 30,
  ) {
    const inflight = new InflightDownloads(15_000);
    return new SegmentResolver({
      urgentBufferSec: 4, store: { has: () => false }, inflight,
      pool: { linkFor: (_k, tried) => (tried?.has(link.remoteId) ? undefined : link), fetchersOf: () => [], openPeerIds: () => [], announce: () => {}, peerId: 'me', connecting: false },
      prefetched,
      fromPeer: async (_l, key) => {
        link.asked = (link.asked ?? 0) + 1;
        return segment(key);
      },
      isLive: () => false, bufferAhead: () => ahead, now: () => Date.now(),
      expectedHttpMs: () => httpMs,
    });
  }

  it('a request with a budget too short to be judged asks no peer when it is under twice the line’s own time for the segment: its bytes come down that line', async () => {
    // 3.5 s buffered, under the 4 s urgent mark: an 800 ms budget; the line takes 500 ms for the segment, so a peer
    // would need ≥ 1000 ms
    const slowLine: PeerLink & { asked?: number } = slowLink('peer', 10_000);
    expect(await resolver(() => undefined, slowLine, 500, 3.5).resolve(query)).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(slowLine.asked ?? 0).toBe(0);
    // 350 ms: 800 is enough
    const fasterLine: PeerLink & { asked?: number } = slowLink('peer', 10_000);
    expect((await resolver(() => undefined, fasterLine, 350, 3.5).resolve(query)).kind).toBe('hit');
    expect(fasterLine.asked).toBe(1);
    // a fed player at a live edge (4.6 s buffered: 800 ms of budget) is bound the same way
    const edge: PeerLink & { asked?: number } = slowLink('peer', 10_000);
    expect(await resolver(() => undefined, edge, 500, 4.6).resolve(query)).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(edge.asked ?? 0).toBe(0);
    // so is one a little further from it (4.9 s: 900 ms), whose failure PeerPayoff would not judge either
    const nearEdge: PeerLink & { asked?: number } = slowLink('peer', 10_000);
    expect(await resolver(() => undefined, nearEdge, 500, 4.9).resolve(query)).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(nearEdge.asked ?? 0).toBe(0);
    // one with a budget that is judged (5.3 s buffered: 1300 ms) tries, even under twice the line's 700 ms
    const judged: PeerLink & { asked?: number } = slowLink('peer', 10_000);
    expect((await resolver(() => undefined, judged, 700, 5.3).resolve(query)).kind).toBe('hit');
    expect(judged.asked).toBe(1);
    // a player with more buffered (30 s, a 1950 ms budget) still tries a peer on a line that takes 1000 ms for it
    const fed: PeerLink & { asked?: number } = slowLink('peer', 10_000);
    expect((await resolver(() => undefined, fed, 1000).resolve(query)).kind).toBe('hit');
    expect(fed.asked).toBe(1);
  });

  it('a prefetch that does not come within the wait sends the segment to the network, asking no peer again', async () => {
    const link: PeerLink & { asked?: number } = slowLink('slow', 10_000);
    let within = -1;
    const r = resolver((_k, w) => {
      within = w;
      return Promise.resolve(undefined);
    }, link);
    expect(await r.resolve(query)).toEqual({ kind: 'miss', reason: 'peer-timeout' });
    expect(within).toBe(1950); // the budget: the worker's 2000 ms less the answer's margin
    expect(link.asked ?? 0).toBe(0);
  });
});

describe('Downloads: projection and a transfer we give up', () => {
  it('projects the end of a transfer from its rate, and a transfer we abort still measures the peer', async () => {
    const throughput = new Throughput(() => Date.now());
    const haves = { onlyFetching: () => false, absent: () => {}, delivered: () => {}, strike: () => {} } as unknown as RemoteHaves;
    const d = new Downloads({
      peer: 'b', limits: { segmentMaxBytes: 8 * 1024 * 1024, stallMs: 750, maxRequestsInFlight: 4 }, haves, throughput,
      send: () => {}, isOpen: () => true, now: () => Date.now(),
    });
    const stop = new AbortController();
    const got = d.request('k', 20_000, 0, stop.signal).catch((e: { details: { aborted?: boolean } }) => e.details.aborted);
    expect(d.projectedDoneAt('k')).toBeNull();
    d.onSend({ t: 'send', id: 1, bytes: 400_000, totalBytes: 400_000, contentType: null });
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(100);
      d.onFrame(1, new Uint8Array(12_500)); // 125 B/ms
    }
    const t = Date.now();
    expect(d.projectedDoneAt('k')).toBeCloseTo(t + (400_000 - 50_000) / 125, -2);
    stop.abort();
    expect(await got).toBe(true);
    expect(throughput.bytesPerMs).toBeCloseTo(125, 0);
  });
});
