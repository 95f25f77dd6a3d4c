import { describe, expect, it } from 'vitest';
import { SwarmUsage } from '../../client/SwarmUsage';

describe('SwarmUsage', () => {
  it('gives back the swarms not used for idleMs once the player uses another stream, and forgets them', () => {
    const u = new SwarmUsage(60_000);
    u.touch('s1', 0);
    u.touch('s2', 30_000);
    expect(u.takeIdle(59_999)).toEqual([]);
    expect(u.takeIdle(60_000)).toEqual(['s1']);
    expect(u.takeIdle(60_001)).toEqual([]); // forgotten
    u.touch('s1', 61_000); // played again: in use again
    expect(u.takeIdle(100_000)).toEqual(['s2']);
  });

  it('never leaves the stream used last: a paused or ended player keeps sharing', () => {
    const u = new SwarmUsage(60_000);
    u.touch('only', 0);
    expect(u.takeIdle(10 * 60_000)).toEqual([]);
  });

  it('keeps every rendition of a stream while any of them is used (ABR may switch back)', () => {
    const u = new SwarmUsage(60_000);
    for (const s of ['a/180p', 'a/360p', 'a/720p']) u.touch(s, 0);
    u.sameStream(['a/180p', 'a/360p', 'a/720p']);
    u.touch('a/360p', 50_000);
    u.touch('b/180p', 55_000); // another stream started
    expect(u.takeIdle(100_000)).toEqual([]); // a/360p used 50 s ago: the whole stream a stays
    expect(u.takeIdle(110_000).sort()).toEqual(['a/180p', 'a/360p', 'a/720p']);
  });

  it('is bounded: the least recently used swarm beyond 64 is forgotten', () => {
    const u = new SwarmUsage(1);
    for (let i = 0; i < 70; i++) u.touch(`s${i}`, i);
    const idle = u.takeIdle(1000);
    expect(idle).toHaveLength(63); // 64 kept, the last used one stays
    expect(idle).not.toContain('s0');
  });
});
