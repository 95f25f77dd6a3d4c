/** Swarms joined, the tracker rounds, leaving (issue 10). Fake timers. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Discovery, MAX_SWARMS, type DiscoveryDeps, type Offered } from '../../client/peer/Discovery';

const swarm = (i: number) => `http://site|http://cdn/s${i}/`;

function make(over: Partial<DiscoveryDeps> = {}, held = false) {
  vi.useFakeTimers();
  const joins: Array<{ id: string; token: string; swarm: string; want: number }> = [];
  const leaves: Array<{ id: string; token: string; swarm: string }> = [];
  const offered: Array<[string, string]> = [];
  const errors: string[] = [];
  let answer: string[] = [];
  let gate: Promise<void> | null = null;
  let id: string | null = 'me';
  const d = new Discovery({
    tracker: {
      join: async (peerId, token, s, want) => {
        joins.push({ id: peerId, token, swarm: s, want });
        if (gate) await gate;
        return answer;
      },
      leave: async (peerId, token, s) => void leaves.push({ id: peerId, token, swarm: s }),
    },
    token: 'tok',
    refreshMs: 5000,
    peerId: () => id,
    room: () => 4,
    canReplace: () => false,
    offer: (remote, s): Offered => {
      offered.push([remote, s]);
      return 'dialled';
    },
    onError: (e) => errors.push(e.message),
    ...over,
  }, held);
  return {
    d, joins, leaves, offered, errors,
    answer: (peers: string[]) => (answer = peers),
    hold: () => {
      let open!: () => void;
      gate = new Promise<void>((r) => (open = r));
      return () => {
        gate = null;
        open();
      };
    },
    setId: (v: string | null) => (id = v),
  };
}

afterEach(() => vi.useRealTimers());

describe('Discovery', () => {
  it('asks the tracker for a joined swarm (room + 2 peers) and offers at most 2 per answer', async () => {
    const { d, joins, offered, answer } = make();
    answer(['a', 'b', 'c']);
    d.join(swarm(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(joins).toEqual([{ id: 'me', token: 'tok', swarm: swarm(1), want: 6 }]);
    expect(offered).toEqual([['a', swarm(1)], ['b', swarm(1)]]);
  });

  it('asking (peers may turn up soon) is true while a join waits for its answer, not while a periodic refresh does', async () => {
    const { d, joins, hold } = make();
    const release = hold();
    d.join(swarm(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(d.asking).toBe(true);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(d.asking).toBe(false);
    d.startRefresh();
    const releaseRefresh = hold();
    await vi.advanceTimersByTimeAsync(5000);
    expect(joins).toHaveLength(2); // the refresh asked
    expect(d.asking).toBe(false); // but players' requests do not wait for it
    releaseRefresh();
    await vi.advanceTimersByTimeAsync(0);
    d.destroy();
  });

  it('stops offering at the first peer there is no room for; skipped peers do not count', async () => {
    const verdicts: Record<string, Offered> = { a: 'skipped', b: 'dialled', c: 'full', d: 'dialled' };
    const seen: string[] = [];
    const { d, answer } = make({ offer: (r) => (seen.push(r), verdicts[r]!) });
    answer(['a', 'b', 'c', 'd']);
    d.join(swarm(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('keeps swarms least recently used first: a join of a joined swarm is a use', () => {
    const { d } = make();
    for (let i = 0; i < MAX_SWARMS - 1; i++) d.join(swarm(i));
    expect(d.leastRecentlyUsed).toBeUndefined(); // room for one more
    d.join(swarm(MAX_SWARMS - 1));
    expect(d.leastRecentlyUsed).toBe(swarm(0));
    expect(d.touch(swarm(0))).toBe(true);
    expect(d.leastRecentlyUsed).toBe(swarm(1));
    expect(d.touch(swarm(99))).toBe(false);
    d.join(swarm(99)); // full: the caller leaves one first
    expect(d.joined.has(swarm(99))).toBe(false);
  });

  it('leave forgets the swarm and tells the tracker; leaving a swarm not joined does nothing', async () => {
    const { d, leaves } = make();
    d.join(swarm(1));
    await vi.advanceTimersByTimeAsync(0); // the tracker answered the join
    expect(d.leave(swarm(1))).toBe(true);
    expect(d.joined.has(swarm(1))).toBe(false);
    expect(d.leave(swarm(1))).toBe(false);
    expect(d.leave(swarm(2))).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(leaves).toEqual([{ id: 'me', token: 'tok', swarm: swarm(1) }]);
  });

  it('tells the tracker nothing of a swarm it never heard of (joins held, or signalling down)', async () => {
    const held = make({}, true);
    held.d.join(swarm(1));
    held.d.leave(swarm(1));
    const down = make();
    down.setId(null);
    down.d.join(swarm(1));
    down.d.leave(swarm(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(held.joins).toEqual([]);
    expect(held.leaves).toEqual([]);
    expect(down.leaves).toEqual([]);
  });

  it('a swarm left while the tracker answered: no peer of it is dialled, and the tracker is told again', async () => {
    const { d, leaves, offered, answer, hold } = make();
    answer(['a']);
    const release = hold();
    d.join(swarm(1));
    d.leave(swarm(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(leaves).toHaveLength(1);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(offered).toEqual([]);
    expect(leaves).toHaveLength(2);
  });

  it('reports a failed leave as server-unreachable, like a failed join', async () => {
    const { d, errors } = make({
      tracker: { join: async () => [], leave: async () => Promise.reject(new Error('down')) },
    });
    d.join(swarm(1));
    await vi.advanceTimersByTimeAsync(0);
    d.leave(swarm(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toEqual(['Error: down']);
  });

  it('asks again every refreshMs while there is room, not when every slot is taken and none can be freed', async () => {
    let room = 2;
    const { d, joins } = make({ room: () => room });
    d.join(swarm(1));
    d.startRefresh();
    await vi.advanceTimersByTimeAsync(5000);
    expect(joins).toHaveLength(2);
    room = 0;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(joins).toHaveLength(2);
    d.destroy();
  });

  it('signalling up again: every swarm is joined again even with every slot taken, nothing offered, not "asking"', async () => {
    let room = 2;
    const { d, joins, offered, answer } = make({ room: () => room });
    answer(['a', 'b']);
    d.join(swarm(1));
    d.join(swarm(2));
    await vi.advanceTimersByTimeAsync(0);
    expect(joins).toHaveLength(2);
    offered.length = 0;
    room = 0;
    d.discoverAll(); // a plain round: nothing asked without room
    await vi.advanceTimersByTimeAsync(0);
    expect(joins).toHaveLength(2);
    d.discoverAll(true); // up again (another server): the server knows this page in no swarm
    expect(d.asking).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(joins.slice(2).map((j) => j.swarm)).toEqual([swarm(1), swarm(2)]);
    expect(offered).toEqual([]);
  });

  it('held joins go to the tracker on release()', async () => {
    const { d, joins } = make({}, true);
    d.join(swarm(1));
    d.join(swarm(2));
    await vi.advanceTimersByTimeAsync(0);
    expect(joins).toEqual([]);
    d.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(joins.map((j) => j.swarm)).toEqual([swarm(1), swarm(2)]);
  });
});
