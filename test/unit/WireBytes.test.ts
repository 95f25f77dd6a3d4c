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
  /** A link as `link` makes it, that counts the segment bytes handed to its channel. */
  function uploading(sent: number) {
    const l = Object.assign(link(sent, 0), { uploadedBytes: 0 });
    return l;
  }

  it('counts bytes handed and not on the wire yet while the channels look empty, and reads until the line has carried them', async () => {
    // the SCTP buffer under the channel took a 120 KB segment at once: the channel queues nothing
    const a = uploading(3000);
    const wire = new WireBytes([a], Date.now, () => 120_000);
    a.uploadedBytes = 120_000;
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
    a.sent = (a.sent ?? 0) + 20_000; // the rest, and headers: never below what the channel queues
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.backlogBytes).toBe(0);
    const reads = a.reads;
    await vi.advanceTimersByTimeAsync(2000);
    expect(a.reads).toBe(reads); // nothing queued anywhere: no more getStats()
    wire.destroy();
  });

  it('sums the links; a link that closes takes its backlog with it, and one whose wire stood still owes only what its channel queues', async () => {
    const a = uploading(0);
    const b = uploading(0);
    const links = new Set([a, b]);
    const wire = new WireBytes(links);
    wire.busy();
    await vi.advanceTimersByTimeAsync(200);
    a.uploadedBytes = 60_000;
    b.uploadedBytes = 60_000;
    a.sent = 10_000;
    b.sent = 20_000;
    wire.busy(); // the page handed bytes
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.backlogBytes).toBe(90_000);
    links.delete(b); // closed with 40 KB unsent
    a.sent = 30_000;
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.backlogBytes).toBe(30_000);
    // a's wire stood still (its transport lost the rest, or the count was off): only its channel's 500 bytes
    a.queued = 500;
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.backlogBytes).toBe(500);
    wire.destroy();
  });

  it('calls onReading after each reading that counted a wire, not after one that could not', async () => {
    const a = link(0, 40_000);
    let readings = 0;
    const wire = new WireBytes([a], Date.now, () => 0, () => void readings++);
    wire.busy();
    await vi.advanceTimersByTimeAsync(600);
    expect(readings).toBe(3);
    a.sent = null;
    await vi.advanceTimersByTimeAsync(400);
    expect(readings).toBe(3);
    wire.destroy();
  });

  it('a link that does not count what it was handed owes what its channel queues', async () => {
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
