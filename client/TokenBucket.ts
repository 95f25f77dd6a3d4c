/**
 * A byte-rate limiter: `take(bytes)` books the bytes and says how many ms to wait before sending them so the
 * long-run rate stays at `bytesPerSec` (bursts up to `burst`, by default one second's worth). A rate of 0 means no
 * limit.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  private readonly burst: number;

  constructor(
    private readonly bytesPerSec: number,
    private readonly now: () => number,
    burst = bytesPerSec,
  ) {
    this.burst = Math.max(bytesPerSec, burst);
    this.tokens = this.burst;
    this.last = now();
  }

  /** How long sending `bytes` now would have to wait, without booking them. */
  waitFor(bytes: number): number {
    if (this.bytesPerSec <= 0) return 0;
    const tokens = Math.min(this.burst, this.tokens + ((this.now() - this.last) * this.bytesPerSec) / 1000);
    return tokens >= bytes ? 0 : Math.ceil(((bytes - tokens) * 1000) / this.bytesPerSec);
  }

  take(bytes: number): number {
    if (this.bytesPerSec <= 0) return 0;
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.bytesPerSec) / 1000);
    this.last = t;
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.bytesPerSec);
  }
}
