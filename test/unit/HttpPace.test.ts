/** What the page's own HTTP does: a throughput average and each rendition's last segment size. */
import { describe, expect, it } from 'vitest';
import { HttpPace } from '../../client/HttpPace';

describe('HttpPace', () => {
  it('expects the last size of the directory at the average throughput; nothing before both are known', () => {
    const p = new HttpPace();
    expect(p.expectedMs('http://cdn/270p/seg2.ts')).toBeNull();
    p.noteSize('http://cdn/270p/seg1.ts', 120_000);
    expect(p.expectedMs('http://cdn/270p/seg2.ts')).toBeNull(); // no pace yet
    p.noteLoad('http://cdn/270p/seg1.ts', 120_000, 1000); // 120 B/ms
    expect(p.expectedMs('http://cdn/270p/seg2.ts')).toBe(1000);
    // another rendition, not seen yet (a switch up): twice the largest size seen
    expect(p.expectedMs('http://cdn/540p/seg2.ts')).toBe(2000);
    p.noteSize('http://cdn/540p/seg1.ts', 360_000);
    expect(p.expectedMs('http://cdn/540p/seg2.ts')).toBe(3000);
  });

  it('averages the pace (0.3 for the newest) and ignores loads too short and too small to say anything, and junk', () => {
    const p = new HttpPace();
    p.noteLoad('http://cdn/v/a.ts', 100_000, 1000); // 100 B/ms
    p.noteLoad('http://cdn/v/b.ts', 100_000, 500); // 200 B/ms → 0.7·100 + 0.3·200 = 130
    p.noteLoad('http://cdn/v/c.ts', 32_000, 5); // too short, and under 32 KiB: its size only
    expect(p.expectedMs('http://cdn/v/c2.ts')).toBe(247); // 32 000 B at 130 B/ms
    p.noteSize('http://cdn/v/c.ts', 130_000);
    expect(p.expectedMs('http://cdn/v/d.ts')).toBe(1000);
    p.noteLoad('http://cdn/v/e.ts', Number.NaN, 100);
    p.noteLoad('http://cdn/v/f.ts', -5, 100);
    p.noteSize('http://cdn/v/g.ts', Infinity);
    expect(p.expectedMs('http://cdn/v/d.ts')).toBe(1000);
  });

  it('remembers at most 64 directories, the oldest forgotten', () => {
    const p = new HttpPace();
    p.noteLoad('http://cdn/d0/s.ts', 1000, 100);
    for (let i = 1; i <= 64; i++) p.noteSize(`http://cdn/d${i}/s.ts`, 1000);
    p.noteSize('http://cdn/d65/s.ts', 500);
    expect(p.expectedMs('http://cdn/d0/x.ts')).toBe(200); // forgotten: an unseen directory, twice the largest (1000)
    expect(p.expectedMs('http://cdn/d65/x.ts')).toBe(50);
  });

  it("lineFull: the line is the player's while its HTTP runs under 3× the rate it plays at", () => {
    const p = new HttpPace();
    expect(p.lineFull()).toBe(false); // nothing known
    // 1 Mbit/s line (~116 B/ms of goodput), 270p: 124 KB per 2 s segment = 62 B/ms played
    p.noteLoad('http://cdn/270p/seg1.ts', 124_000, 1070);
    expect(p.lineFull()).toBe(false); // the player's segment not known yet
    p.notePlaying('http://cdn/270p/seg2.ts', 2);
    expect(p.lineFull()).toBe(true);
    // 180p: 75 KB per 2 s = 37.5 B/ms; 116 B/ms is 3.1× that
    p.noteSize('http://cdn/180p/seg2.ts', 75_000);
    p.notePlaying('http://cdn/180p/seg3.ts', 2);
    expect(p.lineFull()).toBe(false);
    // a 16 Mbit/s line playing 1.5 Mbit/s: far from full; an unknown duration keeps the last rate
    const fast = new HttpPace();
    fast.noteLoad('http://cdn/540p/seg1.ts', 380_000, 190);
    fast.notePlaying('http://cdn/540p/seg2.ts', 2);
    fast.notePlaying('http://cdn/540p/seg3.ts', null);
    expect(fast.lineFull()).toBe(false);
  });

  it("lineFull: with a rung above the one played, the line must carry 3× that rung's rate", () => {
    // a 1 Mbit/s line (~116 B/ms) playing 180p (37.5 B/ms: 3.1× spare) under a 0.53 Mbit/s rung (66.5 B/ms)
    const p = new HttpPace();
    p.noteLoad('http://cdn/180p/seg1.ts', 75_000, 646);
    p.notePlaying('http://cdn/180p/seg2.ts', 2, 532_416);
    expect(p.lineFull()).toBe(true);
    // the top rung (none above): its own rate only
    p.notePlaying('http://cdn/180p/seg3.ts', 2, null);
    expect(p.lineFull()).toBe(false);
    // a rung above that the line carries 3× over: not full; a nonsense rate counts as none
    p.notePlaying('http://cdn/180p/seg4.ts', 2, 300_000);
    expect(p.lineFull()).toBe(false);
    p.notePlaying('http://cdn/180p/seg5.ts', 2, Number.NaN);
    expect(p.lineFull()).toBe(false);
  });

  it("abrSlackMs: what a load may wait beyond the network's time and still let hls.js climb to the rung above", () => {
    const p = new HttpPace();
    expect(p.abrSlackMs('http://cdn/180p/seg1.ts')).toBeNull(); // nothing played yet: no rung known
    p.notePlaying('http://cdn/180p/seg1.ts', 2, 532_416);
    expect(p.abrSlackMs('http://cdn/180p/seg1.ts')).toBe(0); // the line's pace unknown
    // 1 Mbit/s line (116 B/ms); 63 KB segments; 360p at 532 kbit/s = 66.55 B/ms, ÷ 0.7 = 95 B/ms: 663 ms, less 543
    p.noteLoad('http://cdn/180p/seg0.ts', 63_000, 543);
    expect(p.abrSlackMs('http://cdn/180p/seg2.ts')).toBe(Math.floor((63_000 * 0.7) / 66.552 - 63_000 / (63_000 / 543)));
    expect(p.abrSlackMs('http://cdn/180p/seg2.ts')).toBeGreaterThan(100);
    expect(p.abrSlackMs('http://cdn/180p/seg2.ts')).toBeLessThan(130);
    // a line that could not carry the rung above in any case: no wait at all
    const tight = new HttpPace();
    tight.noteLoad('http://cdn/180p/seg0.ts', 63_000, 1000);
    tight.notePlaying('http://cdn/180p/seg1.ts', 2, 532_416);
    expect(tight.abrSlackMs('http://cdn/180p/seg1.ts')).toBe(0);
    // the top rung: no constraint
    tight.notePlaying('http://cdn/180p/seg2.ts', 2, null);
    expect(tight.abrSlackMs('http://cdn/180p/seg2.ts')).toBeNull();
  });

  it('a short load of 32 KiB or more counts as taking 20 ms: one slow first load does not make the line full for good', () => {
    const p = new HttpPace();
    // a page starting on a loaded machine: its first 56 KB took 700 ms (80 B/ms) while it plays 62.5 B/ms
    p.noteLoad('http://127.0.0.1/vod/seg_000.ts', 56_000, 700);
    p.notePlaying('http://127.0.0.1/vod/seg_001.ts', 2);
    p.noteSize('http://127.0.0.1/vod/seg_001.ts', 125_000);
    expect(p.lineFull()).toBe(true);
    expect(p.lastLoadMs).toBe(700);
    // then the loopback origin's loads take 13 ms: each counts at 20 ms (6250 B/ms), and the line is free again
    p.noteLoad('http://127.0.0.1/vod/seg_001.ts', 125_000, 13);
    expect(p.lineFull()).toBe(false);
    expect(p.lastLoadMs).toBe(13);
    expect(p.expectedMs('http://127.0.0.1/vod/seg_002.ts')).toBe(Math.ceil(125_000 / (0.7 * 80 + 0.3 * 6250)));
  });

  it("noteReport: a straight load counts less the agent's wait before its miss; others give their size only; 64 waits kept", () => {
    const p = new HttpPace();
    p.noteMissWait('http://cdn/v/a.ts', 1200);
    p.noteReport('http://cdn/v/a.ts', 100_000, 2200, true); // 1000 ms of network: 100 B/ms
    expect(p.expectedMs('http://cdn/v/b.ts')).toBe(1000);
    p.noteMissWait('http://cdn/v/c.ts', 5000);
    p.noteReport('http://cdn/v/c.ts', 300_000, 100, false); // after a peer try: the size only
    expect(p.expectedMs('http://cdn/v/d.ts')).toBe(3000);
    // the oldest of 65 waits is forgotten: its load counts whole
    const q = new HttpPace();
    q.noteMissWait('http://cdn/w/first.ts', 900);
    for (let i = 0; i < 64; i++) q.noteMissWait(`http://cdn/w/${i}.ts`, 900);
    q.noteReport('http://cdn/w/first.ts', 100_000, 1000, true);
    expect(q.expectedMs('http://cdn/w/x.ts')).toBe(1000); // 1000 ms counted, not 100
    q.noteReport('http://cdn/w/63.ts', 100_000, 1900, true); // 1000 ms: 0.7·100 + 0.3·100
    expect(q.expectedMs('http://cdn/w/x.ts')).toBe(1000);
  });

  it('awaits the line\'s pace while nothing was seen, or a playlist\'s segment is played; not for a progressive file\'s pieces', () => {
    const p = new HttpPace();
    expect(p.paceAwaited).toBe(true); // nothing seen yet
    p.noteReport('http://cdn/v.mp4#0-1048575', 1_048_576, 400, false); // a piece: its size only
    expect(p.paceAwaited).toBe(false); // such loads never tell the pace: nothing to wait for
    const q = new HttpPace();
    q.notePlaying('http://cdn/v/seg1.ts', 2, 1_500_000);
    q.noteReport('http://cdn/v/seg1.ts', 75_000, 900, false); // waited on peers first: its size only
    expect(q.paceAwaited).toBe(true);
    q.noteReport('http://cdn/v/seg2.ts', 75_000, 600, true);
    expect(q.paceAwaited).toBe(false);
  });
});
