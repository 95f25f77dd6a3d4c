/**
 * sw/AgentCalls: every call the worker makes across the port has a deadline; a call that misses it is dropped and
 * blocks nothing; errors told to the page are rate-limited. Fake time only.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentCalls } from '../../sw/AgentCalls';
import type { AgentApi, SegmentPut, SegmentQuery, SegmentReport, WorkerError } from '../../core/contract';
import { SwarmError } from '../../core/SwarmError';

const never = <T,>() => new Promise<T>(() => {});

/** An agent none of whose calls ever answers (a page that hangs), recording what it was asked. */
function hungAgent() {
  const calls: string[] = [];
  const agent = {
    hello: () => ({ version: 2 }),
    getSegment: () => (calls.push('getSegment'), never()),
    putSegment: () => (calls.push('putSegment'), never()),
    report: () => (calls.push('report'), never()),
    manifestText: () => (calls.push('manifestText'), never()),
    workerError: () => (calls.push('workerError'), never()),
  } as unknown as AgentApi;
  return { agent, calls };
}

const query: SegmentQuery = { key: 'http://cdn.test/a/s.ts', wholeKey: null, range: null, swarm: 'x|http://cdn.test/a/', url: 'http://cdn.test/a/s.ts', budgetMs: 500 };
const put = { key: query.key, swarm: query.swarm, url: query.url, body: new Blob(['x']), totalBytes: 1, contentType: null } satisfies SegmentPut;
const report: SegmentReport = { url: query.url, key: query.key, source: 'http', peerId: null, bytes: 1, ms: 1, fallback: null, error: null };

function track<T>(p: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  p.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('AgentCalls', () => {
  it('getSegment gives up with agent-timeout once the query\'s budget (plus 100 ms) is over', async () => {
    const onTimeout = vi.fn();
    const calls = new AgentCalls(hungAgent().agent, { callTimeoutMs: 2000, now: () => Date.now(), onTimeout });
    const answer = track(calls.getSegment(query));
    await vi.advanceTimersByTimeAsync(599);
    expect(answer.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(SwarmError.is(answer.error, 'agent-timeout')).toBe(true);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('putSegment, report, manifestText and workerError each have a deadline: dropped past it, never rejecting', async () => {
    const onTimeout = vi.fn();
    const { agent, calls: asked } = hungAgent();
    const calls = new AgentCalls(agent, { callTimeoutMs: 300, now: () => Date.now(), onTimeout });
    const stored = track(calls.putSegment(put));
    calls.report(report);
    const read = track(calls.manifestText({ text: '#EXTM3U', url: query.url, contentType: null, siteOrigin: 'http://site.test' }));
    calls.workerError('network-error', 'seeding failed');
    expect(asked).toEqual(['putSegment', 'report', 'manifestText', 'workerError']); // sent at once, none waiting on another
    expect(vi.getTimerCount()).toBe(4);
    await vi.advanceTimersByTimeAsync(300);
    expect(SwarmError.is(stored.value, 'agent-timeout')).toBe(true);
    expect(SwarmError.is(read.value, 'agent-timeout')).toBe(true);
    expect(stored.error ?? read.error).toBeUndefined();
    expect(onTimeout).toHaveBeenCalledTimes(4);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an answer in time clears the deadline; an agent that throws (or a dead port) is an error, not a throw', async () => {
    const agent: AgentApi = {
      hello: () => ({ version: 2 }),
      getSegment: async () => ({ kind: 'miss', reason: 'no-peer' }),
      putSegment: () => undefined,
      report: () => {
        throw new Error('port closed');
      },
      manifestText: () => {
        // as a SwarmError thrown in the page reaches the worker through Comlink: a plain Error, code in its message
        throw Object.assign(new Error('protocol-violation: not a playlist'), { name: 'SwarmError' });
      },
    };
    const onTimeout = vi.fn();
    const calls = new AgentCalls(agent, { callTimeoutMs: 300, now: () => Date.now(), onTimeout });
    expect(await calls.getSegment(query)).toEqual({ kind: 'miss', reason: 'no-peer' });
    expect(await calls.putSegment(put)).toBeNull();
    expect(() => calls.report(report)).not.toThrow();
    const failed = await calls.manifestText({ text: '<html>', url: query.url, contentType: null, siteOrigin: 'http://site.test' });
    expect(failed?.code).toBe('protocol-violation');
    expect(failed?.message).toBe('protocol-violation: not a playlist');
    calls.workerError('network-error', 'x'); // this agent has no workerError: nothing to call, nothing thrown
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(onTimeout).not.toHaveBeenCalled();
  });

  it('tells the page at most 10 errors a second (bursts of 10), each at most 300 characters', async () => {
    const told: WorkerError[] = [];
    const agent = { ...hungAgent().agent, workerError: (e: WorkerError) => void told.push(e) } as AgentApi;
    const calls = new AgentCalls(agent, { callTimeoutMs: 300, now: () => Date.now() });
    for (let i = 0; i < 25; i++) calls.workerError('agent-timeout', `error ${i} ${'x'.repeat(500)}`);
    expect(told).toHaveLength(10);
    expect(told[0]!.message).toHaveLength(300);
    await vi.advanceTimersByTimeAsync(500);
    for (let i = 0; i < 25; i++) calls.workerError('agent-timeout', 'more');
    expect(told).toHaveLength(15);
    await vi.advanceTimersByTimeAsync(10_000);
    for (let i = 0; i < 25; i++) calls.workerError('agent-timeout', 'after a quiet while');
    expect(told).toHaveLength(25);
  });

  it('writes one line per segment and per error only with the worker\'s debug option (nothing logged without it)', () => {
    const lines: string[] = [];
    const { agent } = hungAgent();
    const calls = new AgentCalls(agent, { callTimeoutMs: 300, now: () => 0, log: (l) => void lines.push(l) });
    calls.report({ url: 'http://cdn/v/seg_1.ts?token=x', key: 'k', source: 'http', peerId: null, bytes: 10, ms: 4.4, fallback: 'no-peer', error: null });
    calls.workerError('network-error', 'seed failed');
    expect(lines).toEqual(['http (no-peer): 10 B in 4 ms http://cdn/v/seg_1.ts', 'error network-error: seed failed']);
    const quiet = new AgentCalls(agent, { callTimeoutMs: 300, now: () => 0 });
    expect(() => quiet.report({ url: 'u', key: 'k', source: 'p2p', peerId: 'p', bytes: 1, ms: 1, fallback: null, error: null })).not.toThrow();
  });
});

