/** Retry pacing for a source that failed: 1 s after the first failure, doubling up to 30 s; reset by a success. */
export class Backoff {
  private delayMs = 0;
  private until = -Infinity;

  constructor(
    private readonly now: () => number,
    private readonly minMs = 1000,
    private readonly maxMs = 30_000,
  ) {}

  /** Whether the source is to be left alone now. */
  get waiting(): boolean {
    return this.now() < this.until;
  }

  failed(): void {
    this.delayMs = this.delayMs === 0 ? this.minMs : Math.min(this.maxMs, this.delayMs * 2);
    this.until = this.now() + this.delayMs;
  }

  succeeded(): void {
    this.delayMs = 0;
    this.until = -Infinity;
  }
}
