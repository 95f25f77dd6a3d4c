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

describe('WireBytes: what is queued below the channels', () => {
  it('counts bytes handed and not on the wire yet while the channels look empty, and reads until the line has carried them', async () => {
    // the SCTP buffer under the channel took a 120 KB segment at once: the channel queues nothing
    const a = link(3000, 0);
    let handed = 0;
    const wire = new WireBytes([a], Date.now, () => handed);
    handed = 120_000;
    wire.busy();
    await vi.advanceTimersByTimeAsync(200);
    // first reading: the link's 3000 bytes (handshake, control) count as carried
    expect(wire.backlogBytes).toBe(117_000);
    expect(wire.reading).toMatchObject({ backlogBytes: 117_000, handed: 120_000 });
    a.sent = (a.sent ?? 0) + 50_000; // 2 Mbit/s: 50 KB per 200 ms
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.backlogBytes).toBe(67_000);
    a.sent = (a.sent ?? 0) + 50_000;
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.backlogBytes).toBe(17_000);
    a.sent = (a.sent ?? 0) + 20_000; // the rest, and retransmissions: never below what the channel queues
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.backlogBytes).toBe(0);
    const reads = a.reads;
    await vi.advanceTimersByTimeAsync(2000);
    expect(a.reads).toBe(reads); // nothing queued anywhere: no more getStats()
    wire.destroy();
  });

  it('a reading that finds the line idle resets it to what the channels queue (bytes of a link that closed are not counted for ever)', async () => {
    const a = link(0, 0);
    const b = link(0, 0);
    const links = new Set([a, b]);
    let handed = 0;
    const wire = new WireBytes(links, Date.now, () => handed);
    wire.busy();
    await vi.advanceTimersByTimeAsync(200);
    handed = 80_000; // handed to b, which closes before its counter is read again
    links.delete(b);
    a.queued = 500;
    wire.busy();
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.backlogBytes).toBe(500);
    wire.destroy();
  });

  it('without the page\'s count of bytes handed, it is what the channels queue', async () => {
    const a = link(0, 4000);
    const wire = new WireBytes([a]);
    wire.busy();
    await vi.advanceTimersByTimeAsync(200);
    a.sent = 100;
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.backlogBytes).toBe(4000);
    wire.destroy();
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
