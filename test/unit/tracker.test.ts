import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_KEY_LENGTH } from '../../core/contract';
import { SwarmError } from '../../core/SwarmError';
import { MAX_PEER_ID_LENGTH, Tracker } from '../../server/Tracker';

/** A deterministic random source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('Tracker', () => {
  it('answers the other members of a swarm, never the joining peer', () => {
    const t = new Tracker();
    expect(t.join('a', 's', 10)).toEqual([]);
    expect(t.join('b', 's', 10)).toEqual(['a']);
    expect(t.join('c', 's', 10).sort()).toEqual(['a', 'b']);
    expect(t.join('a', 's', 10).sort()).toEqual(['b', 'c']); // a re-join
    expect(t.stats()).toEqual({ swarms: 1, peers: 3 });
  });

  it('keeps swarms apart', () => {
    const t = new Tracker();
    t.join('a', 's1', 10);
    expect(t.join('b', 's2', 10)).toEqual([]);
    expect(t.stats()).toEqual({ swarms: 2, peers: 2 });
  });

  it('answers at most `want` peers, distinct', () => {
    const t = new Tracker({ random: seeded(1) });
    for (let i = 0; i < 100; i++) t.join(`p${i}`, 's', 0);
    const answer = t.join('me', 's', 7);
    expect(answer).toHaveLength(7);
    expect(new Set(answer).size).toBe(7);
    expect(t.join('me', 's', 0)).toEqual([]);
    expect(t.join('me', 's', -3)).toEqual([]);
    expect(t.join('me', 's', Number.NaN)).toEqual([]);
    expect(t.join('me', 's', 2.9)).toHaveLength(2);
  });

  it('samples every member about equally often', () => {
    const t = new Tracker({ random: seeded(42) });
    const n = 20;
    for (let i = 0; i < n; i++) t.join(`p${i}`, 's', 0);
    const seen = new Map<string, number>();
    const rounds = 4000;
    for (let r = 0; r < rounds; r++) {
      for (const id of t.join('p0', 's', 3)) seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    expect(seen.has('p0')).toBe(false);
    const expected = (rounds * 3) / (n - 1);
    for (let i = 1; i < n; i++) expect(Math.abs((seen.get(`p${i}`) ?? 0) - expected) / expected).toBeLessThan(0.15);
  });

  it('property: an answer is a distinct sample of the other members, as large as possible', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), fc.boolean(), fc.integer(), (n, want, selfIn, seed) => {
        const t = new Tracker({ random: seeded(seed) });
        for (let i = 0; i < n; i++) t.join(`p${i}`, 's', 0);
        const self = selfIn && n > 0 ? 'p0' : 'new';
        const others = selfIn && n > 0 ? n - 1 : n;
        const answer = t.join(self, 's', want);
        expect(answer).toHaveLength(Math.min(want, others));
        expect(new Set(answer).size).toBe(answer.length);
        expect(answer).not.toContain(self);
        for (const id of answer) expect(t.has(id, 's')).toBe(true);
      }),
    );
  });

  it('leave removes the peer and deletes the empty swarm', () => {
    const t = new Tracker();
    t.join('a', 's', 10);
    t.join('b', 's', 10);
    t.leave('a', 's');
    expect(t.has('a', 's')).toBe(false);
    expect(t.join('c', 's', 10)).toEqual(['b']);
    t.leave('b', 's');
    t.leave('c', 's');
    expect(t.stats()).toEqual({ swarms: 0, peers: 0 });
    t.leave('ghost', 's'); // unknown: ignored
    t.leave('a', 'nowhere');
  });

  it('remove takes the peer out of every swarm', () => {
    const t = new Tracker();
    t.join('a', 's1', 10);
    t.join('a', 's2', 10);
    t.join('b', 's2', 10);
    t.remove('a');
    expect(t.stats()).toEqual({ swarms: 1, peers: 1 });
    expect(t.join('c', 's2', 10)).toEqual(['b']);
    t.remove('ghost');
  });

  it('keeps a peer in at most maxSwarmsPerPeer swarms, dropping the least recently joined', () => {
    const t = new Tracker({ maxSwarmsPerPeer: 2 });
    t.join('a', 's1', 0);
    t.join('a', 's2', 0);
    t.join('a', 's1', 0); // refreshes s1: s2 is now the oldest
    t.join('a', 's3', 0);
    expect(t.has('a', 's1')).toBe(true);
    expect(t.has('a', 's2')).toBe(false);
    expect(t.has('a', 's3')).toBe(true);
    expect(t.stats()).toEqual({ swarms: 2, peers: 1 });
  });

  it('refuses empty and too long ids with protocol-violation', () => {
    const t = new Tracker();
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return SwarmError.is(err) ? err.code : 'other';
      }
      return 'none';
    };
    expect(code(() => t.join('a', '', 1))).toBe('protocol-violation');
    expect(code(() => t.join('', 's', 1))).toBe('protocol-violation');
    expect(code(() => t.join('a', 'x'.repeat(MAX_KEY_LENGTH + 1), 1))).toBe('protocol-violation');
    expect(code(() => t.join('x'.repeat(MAX_PEER_ID_LENGTH + 1), 's', 1))).toBe('protocol-violation');
    expect(code(() => t.join('a', 'x'.repeat(MAX_KEY_LENGTH), 1))).toBe('none');
    expect(t.stats()).toEqual({ swarms: 1, peers: 1 });
  });
});
