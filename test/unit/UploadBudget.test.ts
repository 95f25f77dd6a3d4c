import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UploadBudget, type SendingLink } from '../../client/peer/UploadBudget';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('UploadBudget', () => {
  it("measures an uplink whose channels hand every segment at once to the SCTP buffer, from the wire's counter", async () => {
    // a 2 Mbit/s line (250 B/ms): the link's channel queues nothing, its transport carries 250 B/ms of what it holds
    const line = { handed: 0, wire: 0, at: Date.now() };
    const link: SendingLink & { uploadedBytes: number } = {
      sendBufferedBytes: 0,
      uploadedBytes: 0,
      wireBytesSent: async () => {
        const t = Date.now();
        line.wire = Math.min(line.handed, line.wire + (t - line.at) * 250);
        line.at = t;
        return line.wire;
      },
    };
    const budget = new UploadBudget(10_000_000, [link], () => Date.now());
    expect(budget.uplinkBytesPerSec).toBeNull();
    // three viewers' 60 KB segments at once
    for (let i = 0; i < 3; i++) {
      line.handed += 60_000;
      link.uploadedBytes += 60_000;
      budget.sent(60_000);
    }
    for (let i = 0; i < 2; i++) {
      await vi.advanceTimersByTimeAsync(200);
      budget.uplinkWaitMs(0); // any look samples
    }
    expect(budget.uplinkBytesPerSec).toBeGreaterThan(200_000);
    expect(budget.uplinkBytesPerSec).toBeLessThan(300_000);
    // 400 ms on, the line still owes 80 KB of them: another segment would leave after ~560 ms, not its own 240
    expect(budget.uplinkWaitMs(60_000)).toBeGreaterThan(500);
    expect(budget.uplinkWaitMs(60_000)).toBeLessThan(620);
    budget.destroy();
  });
});
