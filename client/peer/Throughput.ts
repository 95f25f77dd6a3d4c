/**
 * What moved between this page and one peer: segment bytes each way, when bytes last moved (a transfer completed or a
 * frame sent), and the download rate of completed transfers. The rate is an EWMA in bytes per ms (0.7 old, 0.3 new),
 * null until a transfer completes; a stall, or a timeout before enough came to tell, halves it (0 when none
 * completed; once for the transfers one silence of the peer fails together), so a peer that stops delivering sinks
 * in the choice of peers — for a while (see bytesPerMs). A transfer we abort ourselves, or one that misses its
 * deadline while its bytes flow, is measured by what came of it (see Downloads), never penalised: the deadline was
 * short, not the peer dead.
 */
export class Throughput {
  downloadedBytes = 0;
  uploadedBytes = 0;
  private rate: number | null = null;
  private ratedAt = 0;
  private movedAt: number | null = null;
  /** When a failure last lowered the rate. */
  private failedAt = -Infinity;

  constructor(private readonly now: () => number) {}

  /**
   * Bytes per ms of completed downloads (EWMA); null until one completes. A rate not renewed for STALE_MS grows by
   * RELAX_FACTOR per STALE_MS (at most MAX_RELAX times), and a 0 (failed, never delivered) is unknown again: a rate
   * taken while the peer served others, or a first transfer that stalled, would otherwise keep it out of every
   * choice that reads the rate — and unasked, it is never measured again.
   */
  get bytesPerMs(): number | null {
    const r = this.rate;
    if (r === null) return null;
    const stale = Math.floor((this.now() - this.ratedAt) / STALE_MS);
    if (stale <= 0) return r;
    return r === 0 ? null : r * Math.min(MAX_RELAX, RELAX_FACTOR ** stale);
  }

  /** Milliseconds since the rate was last renewed (a transfer completed, failed or was measured); null without one. */
  get rateAgeMs(): number | null {
    return this.rate === null ? null : this.now() - this.ratedAt;
  }

  /** When segment bytes last moved either way; null before they ever did. */
  get lastMovedAt(): number | null {
    return this.movedAt;
  }

  /** A frame of a download arrived (counted; the rate waits for the transfer to complete). */
  received(bytes: number): void {
    this.downloadedBytes += bytes;
  }

  /** A frame of an upload went out. */
  sent(bytes: number): void {
    this.uploadedBytes += bytes;
    this.movedAt = this.now();
  }

  /** A download of `bytes` started at `startedAt` completed now. */
  completed(bytes: number, startedAt: number): void {
    const now = this.now();
    this.movedAt = now;
    const rate = bytes / Math.max(1, now - startedAt);
    const was = this.bytesPerMs;
    this.rate = was === null ? rate : 0.7 * was + 0.3 * rate;
    this.ratedAt = now;
  }

  /**
   * A download (asked for at `startedAt`, when known) stalled or timed out (the peer's doing). One that was under way when the
   * peer last failed us shares that failure and lowers nothing more: one silence of the peer stalls every transfer
   * it runs for us at once, and halving once for each had a peer measured at 293 B/ms at 18 B/ms after a single
   * 700 ms pause with four prefetches under way — then skipped as too slow (see SegmentResolver) while it delivered
   * in 100–900 ms.
   */
  failed(startedAt?: number): void {
    if (startedAt !== undefined && startedAt <= this.failedAt) return;
    const was = this.bytesPerMs;
    this.rate = was === null ? 0 : was / 2;
    this.ratedAt = this.now();
    this.failedAt = this.ratedAt;
  }
}

/** A rate not renewed for this long counts as out of date (see Throughput.bytesPerMs). */
export const STALE_MS = 10_000;
const RELAX_FACTOR = 1.25;
const MAX_RELAX = 4;

/**
 * Milliseconds a `bytes` transfer takes at `bytesPerMs` (a link's measured rate): null when either is unknown,
 * Infinity at a rate of 0 (a peer that failed and never delivered).
 */
export function transferMs(bytesPerMs: number | null, bytes: number | null): number | null {
  if (bytesPerMs === null || bytes === null) return null;
  return bytesPerMs > 0 ? bytes / bytesPerMs : Infinity;
}
