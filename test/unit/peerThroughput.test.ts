import { describe, expect, it } from 'vitest';
import { Throughput } from '../../client/peer/Throughput';

describe('Throughput', () => {
  it('is unknown until a transfer completes, then an EWMA of bytes per ms (0.7 old, 0.3 new)', () => {
    let t = 0;
    const tp = new Throughput(() => t);
    expect(tp.bytesPerMs).toBeNull();
    t = 100;
    tp.completed(1000, 0); // 10 B/ms
    expect(tp.bytesPerMs).toBe(10);
    t = 200;
    tp.completed(2000, 100); // 20 B/ms
    expect(tp.bytesPerMs).toBeCloseTo(0.7 * 10 + 0.3 * 20);
  });

  it('counts an instant transfer as taking 1 ms', () => {
    const tp = new Throughput(() => 50);
    tp.completed(500, 50);
    expect(tp.bytesPerMs).toBe(500);
  });

  it('a stall or timeout halves the rate, or makes an unknown one 0', () => {
    const tp = new Throughput(() => 10);
    tp.failed();
    expect(tp.bytesPerMs).toBe(0);
    const other = new Throughput(() => 10);
    other.completed(80, 0);
    other.failed();
    expect(other.bytesPerMs).toBe(4);
  });

  it('counts bytes each way; bytes last moved when a frame went out or a download completed, not per frame in', () => {
    let t = 5;
    const tp = new Throughput(() => t);
    tp.received(100);
    expect(tp.downloadedBytes).toBe(100);
    expect(tp.lastMovedAt).toBeNull();
    t = 7;
    tp.sent(30);
    expect(tp.uploadedBytes).toBe(30);
    expect(tp.lastMovedAt).toBe(7);
    t = 9;
    tp.completed(100, 5);
    expect(tp.lastMovedAt).toBe(9);
  });
});
