/** A count-rate limiter: `perSec` events per second on average, bursts of up to `burst` (default one second's worth). */
export class RateBudget {
  private tokens: number;
  private last: number;
  private readonly burst: number;

  constructor(
    private readonly perSec: number,
    private readonly now: () => number = Date.now,
    burst: number = perSec,
  ) {
    this.burst = Math.max(1, burst);
    this.tokens = this.burst;
    this.last = now();
  }

  /** Books one event; false when the budget is spent (nothing booked then). */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether the budget is back to a full burst (an idle client: its entry can be forgotten). */
  get isFull(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.perSec) / 1000);
    this.last = t;
  }
}
