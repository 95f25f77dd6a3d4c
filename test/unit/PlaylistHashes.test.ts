import { describe, expect, it } from 'vitest';
import { MAX_PLAYLIST_HASHES, PlaylistHashes } from '../../client/PlaylistHashes';

const hex = (n: number) => n.toString(16).padStart(64, '0');

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
