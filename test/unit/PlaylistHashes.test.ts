import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_HASH_WAITERS, MAX_PLAYLIST_HASHES, PlaylistHashes } from '../../client/PlaylistHashes';

const hex = (n: number) => n.toString(16).padStart(64, '0');

/** A promise's outcome so far, read after advancing the fake clock. */
function track<T>(p: Promise<T>) {
  const state: { settled: boolean; value?: T } = { settled: false };
  void p.then((value) => Object.assign(state, { settled: true, value }));
  return state;
}

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('PlaylistHashes', () => {
  it('holds at most its bound, the key set longest ago leaving first; a key set again is fresh', () => {
    const h = new PlaylistHashes(3);
    h.set('a', hex(1));
    h.set('b', hex(2));
    h.set('c', hex(3));
    h.set('a', hex(11)); // a live playlist reloaded: its window set again
    h.set('d', hex(4));
    expect(h.size).toBe(3);
    expect(h.get('b')).toBeUndefined();
    expect([h.get('a'), h.get('c'), h.get('d')]).toEqual([hex(11), hex(3), hex(4)]);
  });

  it('whenListed: waits for a hash a tagged playlist has not brought yet, never for untagged streams', async () => {
    const h = new PlaylistHashes();
    // nothing known of this directory: no wait, even with a long timeout
    expect(await h.whenListed('http://cdn/live/s2.ts', 60_000)).toBeUndefined();
    h.set('http://cdn/live/s1.ts', hex(1));
    expect(await h.whenListed('http://cdn/live/s1.ts', 60_000)).toBe(hex(1));
    // the playlist listing s2 arrives after the request: the waiter gets its hash
    const waiting = h.whenListed('http://cdn/live/s2.ts', 60_000);
    const alsoWaiting = h.whenListed('http://cdn/live/s2.ts', 60_000);
    setTimeout(() => h.set('http://cdn/live/s2.ts', hex(2)), 5);
    await vi.advanceTimersByTimeAsync(5);
    expect(await Promise.all([waiting, alsoWaiting])).toEqual([hex(2), hex(2)]);
    // it never comes: undefined once the wait is over, not before; another directory: no wait
    const never = track(h.whenListed('http://cdn/live/s9.ts', 20));
    await vi.advanceTimersByTimeAsync(19);
    expect(never.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(never).toEqual({ settled: true, value: undefined });
    expect(await h.whenListed('http://cdn/vod/s2.ts', 60_000)).toBeUndefined();
    // byte-range keys wait on their file's directory too
    const range = h.whenListed('http://cdn/live/all.ts#0-99', 60_000);
    h.set('http://cdn/live/all.ts#0-99', hex(3));
    expect(await range).toBe(hex(3));
  });

  it('whenListed: at most MAX_HASH_WAITERS wait at once; clear() releases them', async () => {
    const h = new PlaylistHashes();
    h.set('http://cdn/live/s0.ts', hex(1));
    const waits = Array.from({ length: MAX_HASH_WAITERS }, (_, i) => h.whenListed(`http://cdn/live/w${i}.ts`, 60_000));
    // one more: answered at once
    expect(await h.whenListed('http://cdn/live/extra.ts', 60_000)).toBeUndefined();
    h.clear();
    expect(new Set(await Promise.all(waits))).toEqual(new Set([undefined]));
    expect(vi.getTimerCount()).toBe(0); // every wait's timer went with it
  });

  it('keeps 4096 by default, and no more however many playlists pass', () => {
    const h = new PlaylistHashes();
    expect(MAX_PLAYLIST_HASHES).toBe(4096);
    for (let i = 0; i < 10_000; i++) h.set(`k${i}`, hex(i));
    expect(h.size).toBe(4096);
    expect(h.get('k5903')).toBeUndefined();
    expect(h.get('k5904')).toBe(hex(5904));
  });

  it('ignores anything that is not a lowercase hex SHA-256', () => {
    const h = new PlaylistHashes();
    for (const bad of ['', 'x', hex(1).toUpperCase().replace(/0/g, 'A'), `${hex(1)}0`, undefined, 42]) h.set('k', bad as string);
    expect(h.size).toBe(0);
    h.set('k', hex(1));
    h.clear();
    expect(h.get('k')).toBeUndefined();
  });
});
