/** A peer's download rate: an EWMA of completed transfers; failures lower it; an old figure relaxes. */
import { describe, expect, it } from 'vitest';
import { STALE_MS, Throughput, transferMs } from '../../client/peer/Throughput';

function make() {
  let t = 1_000;
  return { tp: new Throughput(() => t), advance: (ms: number) => void (t += ms), at: (ms: number) => void (t = ms) };
}

describe('Throughput', () => {
  it('averages completed transfers (0.3 for the newest); a failure halves it, or makes it 0 before any delivery', () => {
    const { tp, at } = make();
    expect(tp.bytesPerMs).toBeNull();
    tp.failed();
    expect(tp.bytesPerMs).toBe(0);
    at(2_000);
    tp.completed(100_000, 1_000); // 100 B/ms: 0.7·0 + 0.3·100
    expect(tp.bytesPerMs).toBeCloseTo(30);
    tp.failed();
    expect(tp.bytesPerMs).toBeCloseTo(15);
  });

  it('transfers under way when the peer last failed share that failure: one silence halves the rate once', () => {
    const { tp, at } = make();
    at(10_000);
    tp.completed(293_000, 9_000); // 293 B/ms
    // four transfers asked at 10 000–10 300 stall together at 11 000 (one pause of the peer)
    at(11_000);
    for (const startedAt of [10_000, 10_100, 10_200, 10_300]) tp.failed(startedAt);
    expect(tp.bytesPerMs).toBeCloseTo(146.5);
    // one asked after that failure, failing too, is news: halved again
    at(12_000);
    tp.failed(11_500);
    expect(tp.bytesPerMs).toBeCloseTo(73.25);
    // no startedAt: always counts
    tp.failed();
    expect(tp.bytesPerMs).toBeCloseTo(36.625);
  });

  it('rateAgeMs: time since the rate was renewed by a completion or a failure; null without a rate', () => {
    const { tp, advance } = make();
    expect(tp.rateAgeMs).toBeNull();
    tp.completed(100_000, 0);
    advance(2_500);
    expect(tp.rateAgeMs).toBe(2_500);
    tp.failed();
    expect(tp.rateAgeMs).toBe(0);
    advance(7);
    expect(tp.rateAgeMs).toBe(7);
  });

  it('a rate not renewed for 10 s grows by a quarter per 10 s, at most 4×; a 0 becomes unknown again', () => {
    const { tp, advance } = make();
    tp.completed(100_000, 0); // 100 B/ms
    advance(STALE_MS - 1);
    expect(tp.bytesPerMs).toBeCloseTo(100);
    advance(1);
    expect(tp.bytesPerMs).toBeCloseTo(125);
    advance(STALE_MS);
    expect(tp.bytesPerMs).toBeCloseTo(156.25);
    advance(100 * STALE_MS);
    expect(tp.bytesPerMs).toBeCloseTo(400);
    // a new sample averages with what the rate has relaxed to, and is fresh again
    tp.completed(0, 0);
    expect(tp.bytesPerMs).toBeCloseTo(280);

    const failedOnce = make();
    failedOnce.tp.failed();
    expect(failedOnce.tp.bytesPerMs).toBe(0);
    failedOnce.advance(STALE_MS);
    expect(failedOnce.tp.bytesPerMs).toBeNull();
  });

  it('transferMs: null when rate or size is unknown, Infinity at 0', () => {
    expect(transferMs(null, 10)).toBeNull();
    expect(transferMs(10, null)).toBeNull();
    expect(transferMs(0, 10)).toBe(Infinity);
    expect(transferMs(10, 100)).toBe(10);
  });
});
