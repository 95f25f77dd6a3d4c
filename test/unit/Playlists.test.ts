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
});
