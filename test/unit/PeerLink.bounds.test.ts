/**
 * Issue 9 §3, "bound every peer": what one untrusted peer can make a link hold or do. The peer's side is driven by
 * hand (a FakeConnection whose outgoing data is captured), time is fake.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PeerLink, type PeerLinkDeps, type PeerLinkLimits } from '../../client/PeerLink';
import { decodeControl, encodeControl, encodeDataFrame, PROTOCOL_VERSION, type ControlMessage } from '../../client/protocol';
import type { StoredSegment } from '../../client/SegmentStore';
import { SwarmError } from '../../core/SwarmError';
import { FakeConnection } from './fakes/FakeConnection';

const SWARM = 'http://site|http://cdn/v/';
const KEY = 'http://cdn/v/seg1.ts';

const limits: PeerLinkLimits = {
  segmentMaxBytes: 4 * 1024 * 1024,
  stallMs: 2000,
  sendHighWaterBytes: 1024 * 1024,
  maxRequestsInFlight: 4,
  maxRequestsPerSec: 50,
  maxRemoteKeys: 20_000,
  drainTimeoutMs: 10_000,
  pingIntervalMs: 60_000,
};

const stored = (key: string, size: number): StoredSegment => ({
  key, swarm: SWARM, body: new Blob([new Uint8Array(size).fill(9)]), totalBytes: size, contentType: 'video/mp2t',
});

/** What the tests read inside a link: its uploads (client/peer/Uploads) and the keys its peer announced (RemoteHaves). */
interface Internals {
  uploads: { size: number };
  haves: { keys: Iterable<string> & { size: number } };
}

/** An open link whose peer is played by hand: `deliver` what the peer says, `said()` what the link sent it. */
async function rogueLink(over: Partial<PeerLinkDeps> = {}) {
  vi.useFakeTimers();
  const closes: string[] = [];
  const conn = new FakeConnection('rogue');
  conn.intercept = () => {};
  const link = new PeerLink(conn, {
    limits,
    provide: () => undefined,
    throttle: () => 0,
    uploadWaitMs: () => 0,
    initialHaves: () => new Map(),
    onOpen: () => {},
    onClose: (_l, reason) => closes.push(reason),
    onUpload: () => {},
    now: () => Date.now(),
    ...over,
  });
  conn.open = true;
  conn.emit('open');
  conn.deliver(encodeControl({ t: 'hello', v: PROTOCOL_VERSION }));
  await vi.advanceTimersByTimeAsync(0);
  expect(link.isOpen).toBe(true);
  const said = (): ControlMessage[] =>
    conn.sent.filter((d): d is string => typeof d === 'string').map((d) => decodeControl(d));
  const deliver = (m: ControlMessage) => conn.deliver(encodeControl(m));
  return { link, conn, closes, said, deliver, inner: link as unknown as Internals };
}

/** `n` distinct keys of the swarm, each `len` characters long. */
function longKeys(n: number, len: number, from = 0): string[] {
  const prefix = 'http://cdn/v/';
  return Array.from({ length: n }, (_, i) => {
    const tail = `-${from + i}.ts`;
    return prefix + 'k'.repeat(len - prefix.length - tail.length) + tail;
  });
}

const keyChars = (inner: Internals) => [...inner.haves.keys].reduce((n, k) => n + k.length, 0);

afterEach(() => vi.useRealTimers());

describe('have/lost/fetching announcements are bounded', () => {
  it('keeps at most 1 MiB of key text per link, forgetting the oldest, without closing an honest-paced peer', async () => {
    const { link, closes, deliver, inner } = await rogueLink();
    // 2000 keys of 2000 characters = 4 M characters, 20 per message, one message a second (well under the rate)
    const keys = longKeys(2000, 2000);
    for (let i = 0; i < keys.length; i += 20) {
      deliver({ t: 'have', swarm: SWARM, keys: keys.slice(i, i + 20) });
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(closes).toEqual([]);
    expect(keyChars(inner)).toBeLessThanOrEqual(1024 * 1024);
    expect(link.has(keys.at(-1)!)).toBe(true);
    expect(link.has(keys[0]!)).toBe(false);
    // `lost` gives the characters back
    deliver({ t: 'lost', swarm: SWARM, keys: keys.slice(-20) });
    expect(keyChars(inner)).toBeLessThanOrEqual(1024 * 1024 - 20 * 2000);
    link.close();
  });

  it('accepts a whole store announced at once (the initial announcement)', async () => {
    const { closes, deliver, inner } = await rogueLink();
    const keys = longKeys(1000, 1000); // ~1 M characters in one burst
    for (let i = 0; i < keys.length; i += 40) deliver({ t: 'have', swarm: SWARM, keys: keys.slice(i, i + 40) });
    expect(closes).toEqual([]);
    expect(inner.haves.keys.size).toBe(1000);
  });

  it('ends the link of a peer flooding announcements (rate-exceeded) and forgets what it announced', async () => {
    const { link, closes, deliver, inner } = await rogueLink();
    const keys = longKeys(24, 2000);
    // the same 48 K characters again and again, as fast as the channel delivers: 100 messages in 100 ms
    for (let i = 0; i < 100 && !closes.length; i++) {
      deliver({ t: i % 2 ? 'have' : 'fetching', swarm: SWARM, keys });
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(closes).toEqual(['rate-exceeded']);
    expect(link.isOpen).toBe(false);
    expect(inner.haves.keys.size).toBe(0);
  });

  it('counts empty announcements too', async () => {
    const { closes, deliver } = await rogueLink();
    for (let i = 0; i < 100_000 && !closes.length; i++) deliver({ t: 'have', swarm: SWARM, keys: [] });
    expect(closes).toEqual(['rate-exceeded']);
  });
});

describe('cancelled uploads', () => {
  it('a cancelled upload stuck behind a full channel ends at once (drops its bytes, its wait, its place)', async () => {
    const { conn, closes, deliver, inner } = await rogueLink({ provide: () => stored(KEY, 300_000) });
    conn.dataChannel.bufferedAmount = limits.sendHighWaterBytes + 1; // a peer that never drains
    deliver({ t: 'req', id: 1, key: KEY, waitMs: 0 });
    await vi.advanceTimersByTimeAsync(10);
    expect(inner.uploads.size).toBe(1);
    deliver({ t: 'cancel', id: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(inner.uploads.size).toBe(0);
    // its wait for the channel is gone too: nothing closes the link 10 s later for a drain nobody needs
    await vi.advanceTimersByTimeAsync(limits.drainTimeoutMs + 1000);
    expect(closes).toEqual([]);
  });

  it('req+cancel at 48/s against a peer that never drains never holds more than maxRequestsInFlight uploads', async () => {
    let reads = 0;
    const { link, conn, closes, deliver, inner } = await rogueLink({
      provide: () => {
        reads++;
        return stored(KEY, 4 * 1024 * 1024);
      },
    });
    conn.dataChannel.bufferedAmount = limits.sendHighWaterBytes + 1;
    let most = 0;
    for (let id = 1; id <= 144; id++) {
      deliver({ t: 'req', id, key: KEY, waitMs: 0 });
      await vi.advanceTimersByTimeAsync(10);
      deliver({ t: 'cancel', id });
      most = Math.max(most, inner.uploads.size);
      await vi.advanceTimersByTimeAsync(1000 / 48 - 10);
      most = Math.max(most, inner.uploads.size);
    }
    expect(most).toBeLessThanOrEqual(limits.maxRequestsInFlight);
    expect(inner.uploads.size).toBe(0);
    expect(reads).toBe(144);
    expect(closes).toEqual([]);
    expect(link.isOpen).toBe(true);
    link.close();
  });

  it('a cancelled upload still counts against the in-flight limit until it is gone (the request over it is absent)', async () => {
    // a read of the segment that takes 1 s: a cancel abandons it (its bytes are dropped when they come)
    const slow = {
      ...stored(KEY, 1000),
      body: { size: 1000, arrayBuffer: () => new Promise<ArrayBuffer>((r) => setTimeout(() => r(new ArrayBuffer(1000)), 1000)) },
    } as unknown as StoredSegment;
    const { closes, said, deliver, inner } = await rogueLink({
      limits: { ...limits, maxRequestsInFlight: 2 },
      provide: () => slow,
    });
    deliver({ t: 'req', id: 1, key: KEY, waitMs: 0 });
    deliver({ t: 'req', id: 2, key: KEY, waitMs: 0 });
    await vi.advanceTimersByTimeAsync(10);
    expect(inner.uploads.size).toBe(2); // both reading
    // the cancel and the next request in one go: upload 1 has not wound down yet, so it still holds its place
    deliver({ t: 'cancel', id: 1 });
    deliver({ t: 'req', id: 3, key: KEY, waitMs: 0 });
    expect(closes).toEqual([]); // an honest asker sends its next request right after a cancel: not a violation
    await vi.advanceTimersByTimeAsync(0);
    expect(said().filter((m) => m.t === 'absent').map((m) => (m as { id: number }).id)).toEqual([3, 1]); // 3 at once; 1 as it winds down
    // upload 1 is gone at once, its read abandoned; its place is free for the next request
    expect(inner.uploads.size).toBe(1);
    deliver({ t: 'req', id: 4, key: KEY, waitMs: 0 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(said().filter((m) => m.t === 'done').map((m) => (m as { id: number }).id)).toEqual([2, 4]);
    expect(inner.uploads.size).toBe(0);
    expect(closes).toEqual([]);
  });

  it('a late cancel tells the uplink what was handed on and how long ago, once; a plain cancel, or one before sending, does not', async () => {
    const late: Array<[number, number]> = [];
    let pending = false;
    const { said, deliver } = await rogueLink({
      provide: () => (pending ? new Promise(() => {}) : stored(KEY, 100_000)),
      uplinkLate: (bytes, ms) => void late.push([bytes, ms]),
    });
    // sent whole at once (the channel drains), given up as late 900 ms later: the transport was still sending it
    deliver({ t: 'req', id: 1, key: KEY, waitMs: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(said().some((m) => m.t === 'done' && m.id === 1)).toBe(true);
    await vi.advanceTimersByTimeAsync(900);
    deliver({ t: 'cancel', id: 1, late: true });
    deliver({ t: 'cancel', id: 1, late: true }); // again: no news
    expect(late).toEqual([[100_000, 900]]);
    // a plain cancel (the asker got it elsewhere) says nothing of the uplink
    deliver({ t: 'req', id: 2, key: KEY, waitMs: 0 });
    await vi.advanceTimersByTimeAsync(100);
    deliver({ t: 'cancel', id: 2 });
    // nor does a late one while the segment was still awaited (nothing was sent), nor one for a request never made
    pending = true;
    deliver({ t: 'req', id: 3, key: KEY, waitMs: 5000 });
    await vi.advanceTimersByTimeAsync(100);
    deliver({ t: 'cancel', id: 3, late: true });
    deliver({ t: 'cancel', id: 99, late: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(late).toEqual([[100_000, 900]]);
  });

  it('a cancel during the wait for a download in progress ends that upload at once', async () => {
    const { said, deliver, inner } = await rogueLink({ provide: () => new Promise(() => {}) });
    deliver({ t: 'req', id: 1, key: KEY, waitMs: 10_000 });
    await vi.advanceTimersByTimeAsync(10);
    expect(inner.uploads.size).toBe(1);
    deliver({ t: 'cancel', id: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(inner.uploads.size).toBe(0);
    expect(said().some((m) => m.t === 'absent' && m.id === 1)).toBe(true);
  });

  it('still drops a peer with more live requests than allowed (too-many-requests)', async () => {
    const { conn, closes, deliver } = await rogueLink({ provide: () => stored(KEY, 300_000) });
    conn.dataChannel.bufferedAmount = limits.sendHighWaterBytes + 1;
    for (let id = 1; id <= limits.maxRequestsInFlight + 1; id++) deliver({ t: 'req', id, key: KEY, waitMs: 0 });
    expect(closes).toEqual(['too-many-requests']);
  });
});

describe('a peer that announces fetching and never sends', () => {
  const lastReq = (said: () => ControlMessage[]) => said().filter((m) => m.t === 'req').at(-1) as { id: number };

  it('after 3 requests made on its fetching news end with nothing, its fetching news is ignored for the session', async () => {
    const { link, closes, said, deliver } = await rogueLink();
    for (let i = 0; i < 3; i++) {
      deliver({ t: 'fetching', swarm: SWARM, keys: [KEY] });
      expect(link.isFetching(KEY)).toBe(true);
      const p = link.request(KEY, 5000, 3000).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(5);
      if (i === 1) {
        await vi.advanceTimersByTimeAsync(6000); // a timeout with no bytes counts too
      } else deliver({ t: 'absent', id: lastReq(said).id });
      expect(SwarmError.is(await p)).toBe(true);
    }
    deliver({ t: 'fetching', swarm: SWARM, keys: [KEY, 'http://cdn/v/seg2.ts'] });
    expect(link.isFetching(KEY)).toBe(false);
    expect(link.isFetching('http://cdn/v/seg2.ts')).toBe(false);
    expect(closes).toEqual([]);
    // what it holds still counts: it is not dropped
    deliver({ t: 'have', swarm: SWARM, keys: [KEY] });
    expect(link.has(KEY)).toBe(true);
    link.close();
  });

  it('a delivery on its fetching news clears its strikes; a request for a key it announced as held never strikes', async () => {
    const { link, said, deliver } = await rogueLink();
    const fail = async (viaHave: boolean) => {
      deliver({ t: viaHave ? 'have' : 'fetching', swarm: SWARM, keys: [KEY] });
      const p = link.request(KEY, 5000, 3000).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(5);
      deliver({ t: 'absent', id: lastReq(said).id });
      await p;
    };
    await fail(false);
    await fail(false);
    // the third fetching request delivers
    deliver({ t: 'fetching', swarm: SWARM, keys: [KEY] });
    const p = link.request(KEY, 5000, 3000);
    await vi.advanceTimersByTimeAsync(5);
    const id = lastReq(said).id;
    deliver({ t: 'send', id, bytes: 10, totalBytes: 10, contentType: null });
    conn(link).deliver(encodeDataFrame(id, new Uint8Array(10)));
    deliver({ t: 'done', id });
    expect((await p).body.size).toBe(10);
    await fail(false);
    await fail(false);
    for (let i = 0; i < 5; i++) await fail(true);
    deliver({ t: 'fetching', swarm: SWARM, keys: [KEY] });
    expect(link.isFetching(KEY)).toBe(true);
    link.close();
  });
});

/** The FakeConnection behind a link made by rogueLink. */
function conn(link: PeerLink): FakeConnection {
  return (link as unknown as { conn: FakeConnection }).conn;
}

describe('request(…, signal)', () => {
  it('an abort cancels on the wire, rejects with the SwarmError given, and tolerates the frames still coming', async () => {
    const { link, closes, said, deliver } = await rogueLink();
    const ac = new AbortController();
    const p = link.request(KEY, 60_000, 0, ac.signal).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1);
    const id = (said().find((m) => m.t === 'req') as { id: number }).id;
    deliver({ t: 'send', id, bytes: 20_000, totalBytes: 20_000, contentType: null });
    conn(link).deliver(encodeDataFrame(id, new Uint8Array(5000)));
    ac.abort(new SwarmError('integrity-unavailable', 'no hash'));
    expect(said().some((m) => m.t === 'cancel' && m.id === id)).toBe(true);
    const err = await p;
    expect(SwarmError.is(err, 'integrity-unavailable')).toBe(true);
    // the rest of the declared bytes, then done: tolerated
    conn(link).deliver(encodeDataFrame(id, new Uint8Array(15_000)));
    deliver({ t: 'done', id });
    expect(closes).toEqual([]);
    expect(link.isOpen).toBe(true);
    expect(link.activeDownloads).toBe(0);
    link.close();
  });

  it('an abort whose reason is not a SwarmError rejects with peer-timeout (no received count); one before the call sends nothing', async () => {
    const { link, said } = await rogueLink();
    const ac = new AbortController();
    const p = link.request(KEY, 60_000, 0, ac.signal).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1);
    ac.abort();
    expect(said().some((m) => m.t === 'cancel')).toBe(true);
    const err = await p;
    expect(SwarmError.is(err, 'peer-timeout')).toBe(true);
    expect((err as SwarmError).details.received).toBeUndefined();
    expect((err as SwarmError).details.aborted).toBe(true);
    const reqs = said().filter((m) => m.t === 'req').length;
    const gone = new AbortController();
    gone.abort(new SwarmError('integrity-unavailable', 'gone'));
    await expect(link.request(KEY, 60_000, 0, gone.signal)).rejects.toMatchObject({ code: 'integrity-unavailable' });
    expect(said().filter((m) => m.t === 'req').length).toBe(reqs);
    link.close();
  });

  it('aborts never strike a peer, nor slow its throughput estimate', async () => {
    const { link, closes, deliver } = await rogueLink();
    for (let i = 0; i < 5; i++) {
      deliver({ t: 'fetching', swarm: SWARM, keys: [KEY] });
      const ac = new AbortController();
      const p = link.request(KEY, 5000, 3000, ac.signal).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(5);
      ac.abort();
      await p;
    }
    deliver({ t: 'fetching', swarm: SWARM, keys: [KEY] });
    expect(link.isFetching(KEY)).toBe(true);
    expect(link.throughput).toBeNull();
    expect(closes).toEqual([]);
    link.close();
  });
});
