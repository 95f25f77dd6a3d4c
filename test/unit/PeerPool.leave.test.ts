/**
 * Issue 10, long sessions, pool side: leave(swarm) tells the tracker, stops announcing and serving the swarm, and
 * closes the links met only there; a 17th swarm leaves the least recently used one. Fake timers throughout.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PeerPool, type PeerPoolDeps } from '../../client/PeerPool';
import { MAX_SWARMS } from '../../client/peer/Discovery';
import { decodeControl, encodeControl, PROTOCOL_VERSION, type ControlMessage } from '../../client/protocol';
import { SegmentStore, type StoredSegment } from '../../client/SegmentStore';
import type { TrackerClient } from '../../client/TrackerClient';
import { mergeConfig } from '../../core/mergeConfig';
import { FakeConnection } from './fakes/FakeConnection';
import { FakePeer } from './fakes/FakePeer';

const A = 'http://site|http://cdn/a/720p/';
const B = 'http://site|http://cdn/b/720p/';
const KEY_A = 'http://cdn/a/720p/seg1.ts';
const KEY_B = 'http://cdn/b/720p/seg1.ts';
const swarm = (i: number) => `http://site|http://cdn/s${i}/`;

/** A remote peer's end that answers hellos and pings. `dialledByUs`: it accepted, so it says hello first. */
function remote(id: string, dialledByUs: boolean): FakeConnection {
  const conn = new FakeConnection(id);
  let helloed = false;
  conn.intercept = (d) => {
    if (typeof d !== 'string') return;
    const m = decodeControl(d);
    if (m.t === 'hello' && !helloed && !dialledByUs) {
      helloed = true;
      queueMicrotask(() => conn.deliver(encodeControl({ t: 'hello', v: PROTOCOL_VERSION })));
    }
    if (m.t === 'ping') queueMicrotask(() => conn.deliver(encodeControl({ t: 'pong' })));
  };
  if (dialledByUs) {
    setTimeout(() => {
      conn.open = true;
      conn.emit('open');
      conn.deliver(encodeControl({ t: 'hello', v: PROTOCOL_VERSION }));
    }, 1);
  } else conn.open = true;
  return conn;
}

const segment = (key: string, swarmId: string): StoredSegment => ({
  key, swarm: swarmId, body: new Blob([new Uint8Array(100).fill(1)]), totalBytes: 100, contentType: 'video/mp2t',
});

function messages(conn: FakeConnection): ControlMessage[] {
  return conn.sent.filter((d): d is string => typeof d === 'string').map((d) => decodeControl(d));
}

const pools: PeerPool[] = [];
afterEach(() => {
  pools.splice(0).forEach((p) => p.destroy());
  vi.useRealTimers();
});

function setup(over: Partial<PeerPoolDeps> = {}) {
  vi.useFakeTimers();
  const peer = new FakePeer((id) => remote(id, true));
  const offers = new Map<string, string[]>();
  const joins: string[] = [];
  const leaves: Array<[string, string, string]> = [];
  const tracker = {
    join: async (_id: string, _token: string, s: string) => {
      joins.push(s);
      return offers.get(s) ?? [];
    },
    leave: async (id: string, token: string, s: string) => void leaves.push([id, token, s]),
  } as unknown as TrackerClient;
  const store = new SegmentStore(64 * 1024 * 1024);
  let token = '';
  const pool = new PeerPool({
    config: mergeConfig({ trackerRefreshMs: 600_000, maxPeers: 8 }),
    createPeer: (t) => ((token = t), peer),
    tracker,
    store,
    provide: (key) => store.get(key),
    events: { peer: () => {}, ready: () => {}, upload: () => {}, error: () => {} },
    now: () => Date.now(),
    random: Math.random,
    ...over,
  });
  pools.push(pool);
  pool.start();
  peer.emit('open', 'me');
  const dialIn = (id: string) => {
    const c = remote(id, false);
    peer.emit('connection', c);
    return c;
  };
  const dialled = (id: string) => peer.dials.find((c) => c.peer === id)!;
  return { pool, peer, store, joins, leaves, offers, dialIn, dialled, token: () => token };
}

describe('PeerPool.leave', () => {
  it('tells the tracker (its peer id and token), once, and only for a swarm joined', async () => {
    const { pool, leaves, token } = setup();
    pool.join(A);
    await vi.advanceTimersByTimeAsync(0); // the tracker answered the join
    pool.leave(A);
    pool.leave(A);
    pool.leave(B);
    await vi.advanceTimersByTimeAsync(0);
    expect(leaves).toEqual([['me', token(), A]]);
  });

  it('closes the links met only in that swarm; links also in a swarm still joined, or in none known, stay', async () => {
    const { pool, offers, dialIn, dialled } = setup();
    offers.set(A, ['onlyA']);
    offers.set(B, ['onlyB']);
    pool.join(A);
    pool.join(B);
    const announcesA = dialIn('announcesA');
    const both = dialIn('both');
    const quiet = dialIn('quiet');
    await vi.advanceTimersByTimeAsync(10);
    announcesA.deliver(encodeControl({ t: 'have', swarm: A, keys: [KEY_A] }));
    both.deliver(encodeControl({ t: 'have', swarm: A, keys: [KEY_A] }));
    both.deliver(encodeControl({ t: 'have', swarm: B, keys: [KEY_B] }));
    expect(pool.openPeerIds().sort()).toEqual(['announcesA', 'both', 'onlyA', 'onlyB', 'quiet']);
    pool.leave(A);
    await vi.advanceTimersByTimeAsync(10);
    expect(pool.openPeerIds().sort()).toEqual(['both', 'onlyB', 'quiet']);
    expect(dialled('onlyA').closed).toBe(true);
    expect(announcesA.closed).toBe(true);
    expect(both.closed || quiet.closed || dialled('onlyB').closed).toBe(false);
    expect(pool.bannedCount).toBe(0);
  });

  it('a peer dialled in that the tracker lists for the swarm left is closed with it', async () => {
    const { pool, offers, dialIn } = setup({ config: mergeConfig({ trackerRefreshMs: 5000, maxPeers: 8 }) });
    pool.join(A);
    const listed = dialIn('listed');
    await vi.advanceTimersByTimeAsync(10);
    offers.set(A, ['listed']);
    await vi.advanceTimersByTimeAsync(5000); // a refresh: the tracker names it in A
    pool.leave(A);
    await vi.advanceTimersByTimeAsync(10);
    expect(listed.closed).toBe(true);
  });

  it('stops serving and announcing the swarm: peers are told lost, its requests answered absent', async () => {
    const { pool, store, dialIn } = setup();
    store.put(segment(KEY_A, A));
    store.put(segment(KEY_B, B));
    pool.join(A);
    pool.join(B);
    const c = dialIn('p');
    await vi.advanceTimersByTimeAsync(10);
    c.deliver(encodeControl({ t: 'have', swarm: B, keys: [KEY_B] })); // met in B: stays
    expect(messages(c).filter((m) => m.t === 'have')).toEqual([
      { t: 'have', swarm: A, keys: [KEY_A] },
      { t: 'have', swarm: B, keys: [KEY_B] },
    ]);
    pool.leave(A);
    expect(messages(c).at(-1)).toEqual({ t: 'lost', swarm: A, keys: [KEY_A] });
    pool.announce('have', [{ key: 'http://cdn/a/720p/seg2.ts', swarm: A }]);
    expect(messages(c).filter((m) => m.t === 'have')).toHaveLength(2); // nothing more of A
    c.deliver(encodeControl({ t: 'req', id: 1, key: KEY_A, waitMs: 0 }));
    c.deliver(encodeControl({ t: 'req', id: 2, key: KEY_B, waitMs: 0 }));
    await vi.advanceTimersByTimeAsync(10);
    const answers = new Map(messages(c).filter((m) => 'id' in m).map((m) => [(m as { id: number }).id, m.t]));
    expect(answers.get(1)).toBe('absent');
    expect(answers.get(2)).toBe('done');
    // a new link is not told of A either
    const later = dialIn('later');
    await vi.advanceTimersByTimeAsync(10);
    expect(messages(later).filter((m) => m.t === 'have')).toEqual([{ t: 'have', swarm: B, keys: [KEY_B] }]);
  });

  it('joined again, the swarm is announced again to the links already open', async () => {
    const { pool, store, dialIn } = setup();
    store.put(segment(KEY_A, A));
    pool.join(A);
    pool.join(B);
    const c = dialIn('p');
    await vi.advanceTimersByTimeAsync(10);
    c.deliver(encodeControl({ t: 'have', swarm: B, keys: [KEY_B] }));
    pool.leave(A);
    pool.join(A);
    expect(messages(c).at(-1)).toEqual({ t: 'have', swarm: A, keys: [KEY_A] });
  });
});

describe(`PeerPool with ${MAX_SWARMS} swarms joined`, () => {
  it('a new swarm leaves the least recently used one instead of being refused', async () => {
    const { pool, joins, leaves } = setup();
    for (let i = 0; i < MAX_SWARMS; i++) pool.join(swarm(i));
    pool.join(swarm(0)); // used again: swarm(1) is now the least recently used
    await vi.advanceTimersByTimeAsync(0);
    expect(joins).toHaveLength(MAX_SWARMS);
    expect(leaves).toEqual([]);
    pool.join(swarm(MAX_SWARMS));
    await vi.advanceTimersByTimeAsync(0);
    expect(leaves.map(([, , s]) => s)).toEqual([swarm(1)]);
    expect(joins.at(-1)).toBe(swarm(MAX_SWARMS));
    // a use keeps a swarm joined: the next to go is the least recently used
    pool.join(swarm(2));
    pool.join(swarm(MAX_SWARMS + 1));
    await vi.advanceTimersByTimeAsync(0);
    expect(leaves.map(([, , s]) => s)).toEqual([swarm(1), swarm(3)]);
  });
});
