/** client/InflightDownloads: waits for this page's own HTTP downloads, every one bounded. Fake time only. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InflightDownloads } from '../../client/InflightDownloads';
import type { StoredSegment } from '../../client/SegmentStore';

const segment = (key: string): StoredSegment => ({ key, swarm: 'S', body: new Blob([key]), totalBytes: null, contentType: null });

function track<T>(p: Promise<T>) {
  const state: { settled: boolean; value?: T } = { settled: false };
  void p.then((value) => Object.assign(state, { settled: true, value }));
  return state;
}

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('InflightDownloads', () => {
  it('start: once per key; has/size follow it', () => {
    const d = new InflightDownloads(15_000);
    expect(d.start('a', 'S1')).toBe(true);
    expect(d.start('a', 'S2')).toBe(false);
    expect(d.start('b', 'S1')).toBe(true);
    expect([d.has('a'), d.has('b'), d.has('c'), d.size]).toEqual([true, true, false, 2]);
  });

  it('every waiter gets the segment when the download settles with it; settle returns the swarm once', async () => {
    const d = new InflightDownloads(15_000);
    d.start('a', 'S1');
    const w1 = track(d.wait('a', 5000));
    const w2 = track(d.wait('a', 5000));
    const s = segment('a');
    expect(d.settle('a', s)).toBe('S1');
    expect(d.settle('a', s)).toBeUndefined();
    await vi.advanceTimersByTimeAsync(0);
    expect(w1).toEqual({ settled: true, value: s });
    expect(w2).toEqual({ settled: true, value: s });
    expect(d.has('a')).toBe(false);
    expect(vi.getTimerCount()).toBe(0); // the ttl timer and both wait timers were cleared
  });

  it('a wait ends with undefined after its own ms; the download itself goes on', async () => {
    const d = new InflightDownloads(15_000);
    d.start('a', 'S1');
    const w = track(d.wait('a', 300));
    await vi.advanceTimersByTimeAsync(299);
    expect(w.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(w).toEqual({ settled: true, value: undefined });
    expect(d.has('a')).toBe(true);
    // a waiter that gave up is not called again when the download ends
    expect(d.settle('a', segment('a'))).toBe('S1');
  });

  it('nothing to wait for: unknown key, or ms <= 0, answers undefined at once without a timer', async () => {
    const d = new InflightDownloads(15_000);
    expect(await d.wait('nope', 5000)).toBeUndefined();
    d.start('a', 'S1');
    expect(await d.wait('a', 0)).toBeUndefined();
    expect(await d.wait('a', -5)).toBeUndefined();
    expect(vi.getTimerCount()).toBe(1); // only the download's own ttl
  });

  it('a download never settled ends on its own after ttlMs, releasing its waiters with undefined', async () => {
    const d = new InflightDownloads(1000);
    d.start('a', 'S1');
    const w = track(d.wait('a', 60_000));
    await vi.advanceTimersByTimeAsync(999);
    expect(d.has('a')).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(d.has('a')).toBe(false);
    expect(w).toEqual({ settled: true, value: undefined });
    expect(vi.getTimerCount()).toBe(0);
    // the key can start again
    expect(d.start('a', 'S1')).toBe(true);
  });

  it('clear ends every download as failed and says which ones, waiters released with undefined', async () => {
    const d = new InflightDownloads(15_000);
    d.start('a', 'S1');
    d.start('b', 'S2');
    const w = track(d.wait('b', 60_000));
    expect(d.clear()).toEqual([['a', 'S1'], ['b', 'S2']]);
    await vi.advanceTimersByTimeAsync(0);
    expect(w).toEqual({ settled: true, value: undefined });
    expect(d.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(d.clear()).toEqual([]);
  });
});
