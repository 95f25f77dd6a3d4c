import { describe, expect, it } from 'vitest';
import { budgetFor, bufferAheadSec, mediaPlaying, playingBufferSec, servingEndangers, STARVING_BUDGET_MS, STARVING_CONNECT_WAIT_MS, type MediaLike } from '../../client/urgency';
import { electFetcher } from '../../client/electFetcher';
import { Playlists } from '../../client/Playlists';
import { TokenBucket } from '../../client/TokenBucket';

const media = (currentTime: number, ranges: Array<[number, number]>): MediaLike => ({
  currentTime,
  paused: false,
  readyState: 4,
  buffered: { length: ranges.length, start: (i) => ranges[i]![0], end: (i) => ranges[i]![1] },
});

describe('urgency', () => {
  it('measures the buffer ahead of the playhead in the range that holds it', () => {
    expect(bufferAheadSec([media(10, [[0, 4], [8, 25]])])).toBe(15);
    expect(bufferAheadSec([media(5, [[0, 4], [8, 25]])])).toBe(0); // in a hole
    expect(bufferAheadSec([media(0, [])])).toBe(0); // not started
    expect(bufferAheadSec([])).toBeNull();
    expect(bufferAheadSec([media(0, []), media(3, [[0, 9]])])).toBe(6); // the best-fed element
  });

  it('playingBufferSec: the least-fed playing element; paused and ended ones do not count', () => {
    expect(playingBufferSec([media(10, [[0, 13]])])).toBe(3);
    expect(playingBufferSec([media(0, [])])).toBe(0); // playing, nothing buffered yet
    expect(playingBufferSec([{ ...media(0, []), paused: true }])).toBeNull(); // not started
    expect(playingBufferSec([{ ...media(30, [[0, 30]]), ended: true }])).toBeNull(); // played to the end
    expect(playingBufferSec([media(10, [[0, 30]]), media(3, [[0, 4]])])).toBe(1);
    expect(playingBufferSec([])).toBeNull();
  });

  it('mediaPlaying: true once an element told to play can (its first frame is up), false while it waits, null when none was told to', () => {
    expect(mediaPlaying([media(0, [[0, 2]])])).toBe(true);
    expect(mediaPlaying([{ ...media(0, [[0, 2]]), readyState: 2 }])).toBe(false); // play() called, data coming
    expect(mediaPlaying([{ ...media(0, [[0, 30]]), paused: true }])).toBeNull(); // autoplay blocked: not told to play
    expect(mediaPlaying([{ ...media(30, [[0, 30]]), ended: true }])).toBeNull();
    expect(mediaPlaying([])).toBeNull();
    expect(mediaPlaying([{ ...media(0, []), readyState: 1 }, media(0, [[0, 2]])])).toBe(true); // any element that plays
  });

  it('serving endangers playback below half the urgent buffer, or below it on a line whose last load took a quarter of the buffer', () => {
    expect(servingEndangers(null, 4, 5000)).toBe(false); // nothing plays
    expect(servingEndangers(4, 4, 5000)).toBe(false); // fed
    expect(servingEndangers(1.9, 4, 10)).toBe(true); // short whatever the line
    expect(servingEndangers(3, 4, 10)).toBe(false); // a fast line (a live edge a few seconds ahead)
    expect(servingEndangers(3, 4, null)).toBe(false); // pace unknown
    expect(servingEndangers(3, 4, 800)).toBe(true); // a slow line: 0.8 s of 3 s
  });

  it("a started player's buffer must cover the try and then the network's expected time for this segment and the next", () => {
    // 3 s buffered, HTTP expected to take 1 s a segment: 700 ms left for a peer after two segments and the 300 ms margin
    expect(budgetFor(3, 4, 3000, 1000)).toMatchObject({ budgetMs: 700, starving: true });
    // the network alone would not make it in time: no peer try at all
    expect(budgetFor(1.8, 4, 3000, 1200).budgetMs).toBe(0);
    // fed, with plenty buffered: the buffer rule decides, as without an expectation
    expect(budgetFor(20, 4, 3000, 1200)).toEqual(budgetFor(20, 4, 3000));
    // not started (nothing buffered) or no expectation: unchanged
    expect(budgetFor(0, 4, 3000, 1200)).toEqual(budgetFor(0, 4, 3000));
    expect(budgetFor(1.8, 4, 3000, null)).toEqual(budgetFor(1.8, 4, 3000));
    expect(budgetFor(3, 4, 3000, 1000).connectWaitMs).toBeLessThanOrEqual(700);
  });

  it('a starving player that has started may wait for connections with half its buffer beyond 1 s, capped', () => {
    expect(budgetFor(0, 4, 3000).connectWaitMs).toBe(0); // not started: the first segment goes to HTTP at once
    expect(budgetFor(0.9, 4, 3000).connectWaitMs).toBe(0);
    expect(budgetFor(1.6, 4, 3000).connectWaitMs).toBe(300);
    expect(budgetFor(2, 4, 3000).connectWaitMs).toBe(500);
    expect(budgetFor(3.9, 4, 3000).connectWaitMs).toBe(STARVING_CONNECT_WAIT_MS);
    expect(budgetFor(3.9, 4, 200)).toEqual({ budgetMs: 200, starving: true, connectWaitMs: 200 }); // never past the budget
  });

  it('a starving player gets a short budget and no waiting; a fed one may spend its spare buffer', () => {
    expect(budgetFor(1, 4, 3000)).toEqual({ budgetMs: STARVING_BUDGET_MS, starving: true, connectWaitMs: 0 });
    expect(budgetFor(0, 4, 500)).toEqual({ budgetMs: 500, starving: true, connectWaitMs: 0 });
    expect(budgetFor(6, 4, 3000)).toEqual({ budgetMs: 2000, starving: false, connectWaitMs: 0 });
    expect(budgetFor(30, 4, 3000)).toEqual({ budgetMs: 3000, starving: false, connectWaitMs: 0 });
    expect(budgetFor(null, 4, 3000).starving).toBe(false);
  });
});

describe('electFetcher', () => {
  it('elects the same member whatever the order, and spreads keys over members', () => {
    const members = ['a1', 'b2', 'c3', 'd4'];
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const key = `http://cdn/v/seg_${i}.ts`;
      const one = electFetcher(key, members);
      expect(electFetcher(key, [...members].reverse())).toBe(one);
      counts.set(one!, (counts.get(one!) ?? 0) + 1);
    }
    expect(counts.size).toBe(4);
    for (const n of counts.values()) expect(n).toBeGreaterThan(50);
    expect(electFetcher('k', [])).toBeNull();
  });
});

describe('Playlists', () => {
  const e = (i: number) => ({ key: `k${i}`, url: `u${i}`, durationSec: 2, seq: i });

  it('lists what comes after the player position, for the seconds asked', () => {
    const p = new Playlists();
    p.update('s', [0, 1, 2, 3, 4, 5].map(e), false);
    expect(p.upcoming('s', 10)).toEqual([]); // no position yet
    p.played('s', 'k1');
    expect(p.upcoming('s', 5).map((x) => x.key)).toEqual(['k2', 'k3', 'k4']);
    expect(p.isBehind('s', 'k0')).toBe(true);
    expect(p.isBehind('s', 'k3')).toBe(false);
    p.played('s', 'unknown');
    expect(p.position('s')).toBe('k1');
  });

  it('keeps a live window sliding: older entries stay known, new ones are appended', () => {
    const p = new Playlists();
    p.update('s', [3, 4, 5].map(e), true);
    p.played('s', 'k4');
    p.update('s', [4, 5, 6].map(e), true);
    expect(p.upcoming('s', 100).map((x) => x.key)).toEqual(['k5', 'k6']);
    expect(p.isLive('s')).toBe(true);
  });
});

describe('TokenBucket', () => {
  it('lets a second of bytes through at once, then spaces the rest at the rate; 0 means no cap', () => {
    let t = 0;
    const b = new TokenBucket(1000, () => t);
    expect(b.take(1000)).toBe(0);
    expect(b.take(500)).toBe(500);
    t += 500;
    expect(b.take(0)).toBe(0);
    expect(new TokenBucket(0, () => t).take(1e9)).toBe(0);
  });
});

describe('TokenBucket.waitFor', () => {
  it('tells the wait without booking anything', () => {
    let t = 0;
    const b = new TokenBucket(1000, () => t);
    expect(b.waitFor(500)).toBe(0);
    expect(b.waitFor(3000)).toBe(2000);
    expect(b.take(1000)).toBe(0); // nothing was booked by waitFor
    t += 250;
    expect(b.waitFor(250)).toBe(0);
  });
});
