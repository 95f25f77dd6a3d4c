/** Long sessions: the agent leaves the swarms its player no longer uses, and rejoins one played again. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Agent, SWARM_IDLE_MS } from '../../client/Agent';
import { SegmentStore } from '../../client/SegmentStore';
import type { SegmentQuery } from '../../core/contract';
import { mergeConfig } from '../../core/mergeConfig';

const swarm = (n: number) => `http://site|http://cdn/s${n}/`;
const query = (n: number): SegmentQuery => {
  const key = `http://cdn/s${n}/seg_0.ts`;
  return { key, wholeKey: null, range: null, swarm: swarm(n), url: key, budgetMs: 100 };
};

/** A miss, after which the worker's HTTP download of it ends (as the worker reports every download). */
async function play(agent: Agent, n: number): Promise<void> {
  const q = query(n);
  expect((await agent.getSegment(q)).kind).toBe('miss');
  agent.report({ url: q.url, key: q.key, source: 'http', peerId: null, bytes: 10, ms: 1, fallback: 'no-peer', error: null });
}

function setup() {
  let now = 0;
  const joined: string[] = [];
  const left: string[] = [];
  const pool = {
    peerId: 'me', connecting: false,
    join: (s: string) => void joined.push(s),
    leave: (s: string) => void left.push(s),
    linkFor: () => undefined, fetchersOf: () => [], openPeerIds: () => [], announce: () => {},
  };
  const agent = new Agent({
    config: mergeConfig({}), store: new SegmentStore(1_000_000), pool,
    onReport: () => {}, onStored: () => {}, bufferAhead: () => 0, seed: () => {}, canSeed: () => false,
    now: () => now,
  });
  return { agent, joined, left, advance: (ms: number) => (now += ms) };
}

afterEach(() => void vi.useRealTimers());

describe('Agent in a long session', () => {
  it('leaves the swarm of a stream the player stopped using once it plays another, and rejoins it when played again', async () => {
    vi.useFakeTimers();
    const { agent, joined, left, advance } = setup();
    agent.start();
    await play(agent, 1);
    advance(10_000);
    await play(agent, 2); // the next stream
    advance(SWARM_IDLE_MS - 10_000);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(left).toEqual([swarm(1)]);
    expect(agent.playlists.activeSwarms()).not.toContain(swarm(1));
    await play(agent, 1);
    expect(joined.filter((s) => s === swarm(1))).toHaveLength(2);
    agent.destroy();
  });

  it('never leaves the one stream a paused player holds', async () => {
    vi.useFakeTimers();
    const { agent, left, advance } = setup();
    agent.start();
    await play(agent, 1);
    advance(10 * SWARM_IDLE_MS);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(left).toEqual([]);
    agent.destroy();
  });

  it('a page that plays 20 streams one after another is in a bounded number of swarms', async () => {
    const { agent, left, advance } = setup();
    for (let n = 1; n <= 20; n++) {
      await play(agent, n);
      advance(30_000);
      agent.leaveIdle();
    }
    // each stream is left a minute after the player last used it: only the one playing is still held
    expect(left).toEqual(Array.from({ length: 19 }, (_, i) => swarm(i + 1)));
  });
});
