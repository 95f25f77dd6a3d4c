import { describe, expect, it } from 'vitest';
import { PeerPool, type PeerLike } from '../../client/PeerPool';
import { SegmentStore } from '../../client/SegmentStore';
import type { TrackerClient } from '../../client/TrackerClient';
import { whenPlayerStarts } from '../../client/whenPlayerStarts';
import { mergeConfig } from '../../core/mergeConfig';
import { FakeConnection } from './fakes/FakeConnection';
import { manualTimers } from './helpers/manualTimers';

describe('whenPlayerStarts', () => {
  it('fires once the player has the buffer asked for, not before', () => {
    const timers = manualTimers();
    let ahead: number | null = null;
    let fired = 0;
    whenPlayerStarts({ bufferAhead: () => ahead, ...timers }, 4, 5000, () => fired++);
    timers.advance(1000);
    ahead = 2;
    timers.advance(1000);
    expect(fired).toBe(0);
    ahead = 4.2;
    timers.advance(200);
    expect(fired).toBe(1);
    timers.advance(10_000);
    expect(fired).toBe(1);
    expect(timers.pending).toBe(0);
  });

  it('a player told to play is waited for until it plays, not only until it has buffered; one not told to, its buffer', () => {
    const timers = manualTimers();
    let playing: boolean | null = false; // play() called, waiting for data
    let ahead = 2;
    let fired = 0;
    whenPlayerStarts({ bufferAhead: () => ahead, playing: () => playing, ...timers }, 1, 5000, () => fired++);
    timers.advance(1000);
    expect(fired).toBe(0); // 2 s buffered: its first segment appended, its first frame still coming
    playing = true;
    timers.advance(50);
    expect(fired).toBe(1);
    // autoplay blocked: no element told to play — the buffer decides, as without `playing`
    playing = null;
    ahead = 0;
    whenPlayerStarts({ bufferAhead: () => ahead, playing: () => playing, ...timers }, 1, 5000, () => fired++);
    timers.advance(500);
    expect(fired).toBe(1);
    ahead = 1.5;
    timers.advance(50);
    expect(fired).toBe(2);
    // one that never plays: maxWaitMs
    playing = false;
    whenPlayerStarts({ bufferAhead: () => 30, playing: () => playing, ...timers }, 1, 3000, () => fired++);
    timers.advance(2950);
    expect(fired).toBe(2);
    timers.advance(50);
    expect(fired).toBe(3);
    expect(timers.pending).toBe(0);
  });

  it('fires after maxWaitMs when the player never gets there (or the page has no media element)', () => {
    const timers = manualTimers();
    let fired = 0;
    whenPlayerStarts({ bufferAhead: () => null, ...timers }, 4, 3000, () => fired++);
    timers.advance(2900);
    expect(fired).toBe(0);
    timers.advance(100);
    expect(fired).toBe(1);
  });

  it('fires at once with maxWaitMs 0, and never once cancelled', () => {
    const timers = manualTimers();
    let fired = 0;
    whenPlayerStarts({ bufferAhead: () => 0, ...timers }, 4, 0, () => fired++);
    expect(fired).toBe(1);
    const cancel = whenPlayerStarts({ bufferAhead: () => 0, ...timers }, 4, 1000, () => fired++);
    cancel();
    timers.advance(5000);
    expect(fired).toBe(1);
    expect(timers.pending).toBe(0);
  });
});

/** A PeerJS Peer stand-in that opens at once and records dials. */
function fakePeer(id: string) {
  const listeners = new Map<string, Array<(arg?: unknown) => void>>();
  const dialled: string[] = [];
  const peer = {
    id, destroyed: false, disconnected: false, dialled,
    on(event: string, l: (arg?: unknown) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), l]);
      if (event === 'open') l(id);
      return peer;
    },
    connect(remote: string) {
      dialled.push(remote);
      return new FakeConnection(remote);
    },
    reconnect() {},
    destroy() {},
  };
  return peer;
}

function poolWith(holdJoins: boolean, now: () => number = () => 0) {
  const joins: string[] = [];
  const peer = fakePeer('me');
  let answer: (peers: string[]) => void = () => {};
  const tracker = {
    join: (_id: string, _token: string, swarm: string) => {
      joins.push(swarm);
      return new Promise<string[]>((r) => (answer = r));
    },
  } as unknown as TrackerClient;
  const pool = new PeerPool({
    config: mergeConfig({ trackerRefreshMs: 600_000, iceServers: [] }),
    createPeer: () => peer as unknown as PeerLike,
    tracker,
    store: new SegmentStore(1_000_000),
    provide: () => undefined,
    events: { peer() {}, ready() {}, upload() {}, error() {} },
    now,
    random: Math.random,
    holdJoins,
  });
  pool.start();
  return { pool, joins, peer, answer: (peers: string[]) => answer(peers) };
}

describe('PeerPool joins held until the player starts', () => {
  it('tells the tracker nothing and dials nobody before release(); then joins every swarm asked for', async () => {
    const { pool, joins, peer, answer } = poolWith(true);
    pool.join('site|http://cdn/a/');
    pool.join('site|http://cdn/b/');
    expect(joins).toEqual([]);
    expect(pool.connecting).toBe(false);
    pool.release();
    expect(joins).toEqual(['site|http://cdn/a/', 'site|http://cdn/b/']);
    expect(pool.connecting).toBe(true); // the tracker has not answered
    answer(['p1']);
    await new Promise((r) => setTimeout(r, 0));
    expect(peer.dialled).toEqual(['p1']);
    expect(pool.connecting).toBe(true); // p1's connection is not open yet
    pool.destroy();
  });

  it('held joins with the player\'s first segment in (expectRelease) count as peers coming, for a bounded time', () => {
    let now = 0;
    const { pool, joins } = poolWith(true, () => now);
    pool.join('site|http://cdn/a/');
    expect(pool.joinsHeld).toBe(true); // the player has not started: no peer can be linked yet
    expect(pool.connecting).toBe(false);
    pool.expectRelease();
    expect(pool.joinsHeld).toBe(false);
    expect(pool.connecting).toBe(true); // its next requests wait for them
    now = 2900;
    expect(pool.connecting).toBe(true);
    now = 3000;
    expect(pool.connecting).toBe(false); // a release that does not come is not waited for
    expect(joins).toEqual([]);
    pool.release();
    expect(joins).toEqual(['site|http://cdn/a/']);
    expect(pool.joinsHeld).toBe(false);
    pool.expectRelease(); // once released, nothing more is expected
    pool.destroy();
  });

  it('without holding, a swarm is joined at once', () => {
    const { pool, joins } = poolWith(false);
    pool.join('site|http://cdn/a/');
    expect(joins).toEqual(['site|http://cdn/a/']);
    expect(pool.joinsHeld).toBe(false);
    pool.destroy();
  });
});
