import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../bench/sim/EventQueue';
import { RULES } from '../../bench/sim/model';
import { CumulativePicker, Random, zipfWeights } from '../../bench/sim/random';
import { REDIS_COST, serverLoad } from '../../bench/sim/serverLoad';
import { summarize } from '../../bench/sim/summarize';
import { SwarmSim, type SimCounts } from '../../bench/sim/SwarmSim';

// The simulator's own pure parts, and one tiny swarm (bench/simulate.mjs runs the big ones; no timing is asserted).

describe('EventQueue', () => {
  it('runs events in time order, ties in the order they were scheduled, and never in the past', () => {
    const q = new EventQueue();
    const seen: string[] = [];
    q.at(20, () => seen.push('b'));
    q.at(10, () => {
      seen.push('a');
      q.at(5, () => seen.push('late')); // in the past: runs now
    });
    q.at(20, () => seen.push('c'));
    q.at(99, () => seen.push('never'));
    q.runUntil(50);
    expect(seen).toEqual(['a', 'late', 'b', 'c']);
    expect(q.now).toBe(50);
    expect(q.size).toBe(1);
  });

  it('refuses an event at a time that is no number', () => {
    expect(() => new EventQueue().at(Number.NaN, () => undefined)).toThrow();
  });
});

describe('Random', () => {
  it('gives the same sequence for the same seed', () => {
    const a = new Random(7);
    const b = new Random(7);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
  });

  it('draws Zipf ranks within bounds, the first most often', () => {
    const r = new Random(1);
    const picker = new CumulativePicker(zipfWeights(50, 1));
    const hits = new Array<number>(50).fill(0);
    for (let i = 0; i < 5000; i++) {
      const k = picker.pick(r);
      expect(k).toBeGreaterThanOrEqual(0);
      expect(k).toBeLessThan(50);
      hits[k] = (hits[k] ?? 0) + 1;
    }
    expect(Math.max(...hits)).toBe(hits[0]);
  });
});

describe('serverLoad', () => {
  const counts = (over: Partial<SimCounts>): SimCounts => ({
    mode: 'live', viewers: 100, windowSec: 10, meanViewers: 100, peakViewers: 100, segmentsPlayed: 0, playedBytes: 0,
    httpBytes: 0, p2pBytes: 0, uniqueBytes: 0, stallMs: 0, watchedMs: 0, swarms: 1, trackerJoins: 0, trackerJoinsWithPeers: 0,
    connects: 0, disconnects: 0, dials: 0, dialsOpened: 0, dialsRefused: 0, dialsFailed: 0, signallingMessages: 0,
    viewerSeconds: 1000, meanOpenLinks: 0, events: 0, ...over,
  });

  it('one node: no Redis; messages handled twice (from the sender, to the receiver) plus heartbeats', () => {
    const load = serverLoad(counts({ signallingMessages: 100 }), 1);
    expect(load.redisCommandsPerSec).toBe(0);
    expect(load.relayedPerSec).toBe(0);
    expect(load.signallingPerSecPerNode).toBeCloseTo((2 * 100 + 1000 / 5) / 10);
  });

  it('two nodes: half the messages cross Redis; tracker joins cost their MULTI, rate budget and liveness reads', () => {
    const joinsOnly = serverLoad(counts({ trackerJoins: 10, trackerJoinsWithPeers: 10, viewerSeconds: 0, meanViewers: 0 }), 2);
    const beats = (2 * 1000) / (RULES.peerTtlMs / 3) * REDIS_COST.heartbeatPerNode;
    expect(joinsOnly.redisCommandsPerSec).toBeCloseTo(beats + REDIS_COST.join + REDIS_COST.rateBudget + REDIS_COST.joinAlive);
    expect(serverLoad(counts({ signallingMessages: 100 }), 2).relayedPerSec).toBeCloseTo(5);
  });
});

describe('SwarmSim on a tiny swarm', () => {
  const tiny = { viewers: 40, rampSec: 10, warmSec: 20, measureSec: 30, meanSessionSec: 600, seed: 3 } as const;

  it('is deterministic for one seed, and its bytes add up', () => {
    const a = new SwarmSim({ ...tiny, mode: 'live' }).run();
    const b = new SwarmSim({ ...tiny, mode: 'live' }).run();
    expect(b).toEqual(a);
    expect(a.segmentsPlayed).toBeGreaterThan(0);
    expect(a.httpBytes + a.p2pBytes).toBeLessThanOrEqual(a.playedBytes);
    const s = summarize(a);
    expect(s.offload).toBeLessThanOrEqual(s.limit);
    expect(a.trackerJoins).toBeGreaterThan(0);
  });

  it('keeps every viewer within the slot rules of LinkRegistry (maxPeers, half of them dialled in)', () => {
    for (const mode of ['live', 'vod'] as const) {
      const sim = new SwarmSim({ ...tiny, mode, titles: 3 });
      sim.run();
      for (const { links, inbound } of sim.slots()) {
        expect(links).toBeLessThanOrEqual(RULES.maxPeers);
        expect(inbound).toBeLessThanOrEqual(Math.ceil(RULES.maxPeers / 2));
      }
    }
  });
});
