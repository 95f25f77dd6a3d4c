/** What the agent knows of each swarm's playlist: positions, upcoming entries, the entries before a segment. */
import { describe, expect, it } from 'vitest';
import { Playlists, type PlaylistEntry } from '../../client/Playlists';

const SWARM = 'http://site|http://cdn/v/';
const list: PlaylistEntry[] = Array.from({ length: 6 }, (_, i) => ({
  key: `http://cdn/v/seg${i}.ts`, url: `http://cdn/v/seg${i}.ts`, durationSec: 2, seq: i,
}));

describe('Playlists', () => {
  it('before(): the entries right before a segment, fewer at the start, none for one it does not know', () => {
    const p = new Playlists();
    p.update(SWARM, list, false);
    expect(p.before(SWARM, list[3]!.key, 2)).toEqual([list[1]!.key, list[2]!.key]);
    expect(p.before(SWARM, list[1]!.key, 2)).toEqual([list[0]!.key]);
    expect(p.before(SWARM, list[0]!.key, 2)).toEqual([]);
    expect(p.before(SWARM, 'http://cdn/v/other.ts', 2)).toEqual([]);
    expect(p.before('http://site|http://cdn/w/', list[3]!.key, 2)).toEqual([]);
  });

  it('upcoming(): the entries after the player’s position, covering the seconds asked for', () => {
    const p = new Playlists();
    p.update(SWARM, list, false);
    p.played(SWARM, list[1]!.key);
    expect(p.upcoming(SWARM, 4).map((e) => e.seq)).toEqual([2, 3]);
  });
  it("nextUpBitsPerSec: the rung above a swarm, bad rates dropped, 32 swarms kept, forgotten on clear", () => {
    const p = new Playlists();
    expect(p.nextUpBitsPerSec(SWARM)).toBeNull();
    p.setNextUp(SWARM, 800_000);
    expect(p.nextUpBitsPerSec(SWARM)).toBe(800_000);
    for (const bad of [0, -1, Number.NaN, Infinity, 2e10, '9', null]) p.setNextUp(SWARM, bad);
    expect(p.nextUpBitsPerSec(SWARM)).toBe(800_000);
    for (let i = 0; i < 32; i++) p.setNextUp(`http://site|http://cdn/r${i}/`, 1000 + i);
    expect(p.nextUpBitsPerSec(SWARM)).toBeNull(); // the oldest went
    expect(p.nextUpBitsPerSec('http://site|http://cdn/r31/')).toBe(1031);
    p.clear();
    expect(p.nextUpBitsPerSec('http://site|http://cdn/r31/')).toBeNull();
  });
});
