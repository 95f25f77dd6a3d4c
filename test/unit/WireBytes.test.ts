import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { transportBytesSent, WireBytes, type WireLink } from '../../client/peer/WireBytes';

/** A link whose connection has sent `sent` bytes and whose channel queues `queued`. */
function link(sent: number | null, queued = 0): WireLink & { sent: number | null; queued: number; reads: number } {
  const l = {
    sent,
    queued,
    reads: 0,
    get sendBufferedBytes() {
      return l.queued;
    },
    wireBytesSent: async () => {
      l.reads++;
      return l.sent;
    },
  };
  return l;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('WireBytes', () => {
  it('sums what the links sent since their first reading, keeps it when a link closes, and reads only while some link queues', async () => {
    const a = link(1000, 50_000);
    const b = link(7000, 0);
    const links = new Set([a, b]);
    const wire = new WireBytes(links);
    expect(wire.total).toBeNull();
    wire.busy();
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.total).toBe(0); // first readings are baselines
    a.sent = 31_000;
    b.sent = 9000;
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.total).toBe(32_000);
    links.delete(b);
    a.sent = 41_000;
    a.queued = 0;
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.total).toBe(42_000);
    const reads = a.reads;
    await vi.advanceTimersByTimeAsync(2000);
    expect(a.reads).toBe(reads); // nothing queued: no more getStats()
    wire.destroy();
  });

  it('ignores counters that cannot be read, go backwards or are not numbers', async () => {
    const a = link(null, 10);
    const b = link(500, 10);
    const wire = new WireBytes([a, b]);
    wire.busy();
    await vi.advanceTimersByTimeAsync(200);
    b.sent = 100; // went backwards (a new transport): no negative bytes
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.total).toBe(0);
    b.sent = Number.NaN;
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.total).toBe(0);
    wire.destroy();
    const reads = b.reads;
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.reads).toBe(reads);
  });
});

describe('transportBytesSent', () => {
  const pc = (stats: object[]) => ({
    getStats: async () => ({ forEach: (fn: (s: object) => void) => stats.forEach(fn), get: () => undefined }),
  });
  it('reads the transport counter, else the selected candidate pair, else null', async () => {
    expect(await transportBytesSent(pc([{ type: 'transport', bytesSent: 1234 }, { type: 'candidate-pair', selected: true, state: 'succeeded', bytesSent: 99 }]))).toBe(1234);
    expect(await transportBytesSent(pc([{ type: 'candidate-pair', nominated: true, state: 'succeeded', bytesSent: 99 }, { type: 'candidate-pair', state: 'failed', bytesSent: 5 }]))).toBe(99);
    expect(await transportBytesSent(pc([{ type: 'transport' }]))).toBeNull();
    expect(await transportBytesSent(undefined)).toBeNull();
  });
});
