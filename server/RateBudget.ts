/** A count-rate limiter: `perSec` events per second on average, bursts of up to one second's worth. */
export class RateBudget {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSec: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perSec;
    this.last = now();
  }

  /** Books one event; false when the budget is spent (nothing booked then). */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether the budget is back to a full second's worth (an idle client: its entry can be forgotten). */
  get isFull(): boolean {
    this.refill();
    return this.tokens >= this.perSec;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.perSec, this.tokens + ((t - this.last) * this.perSec) / 1000);
    this.last = t;
  }
}
