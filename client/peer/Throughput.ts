/**
 * What moved between this page and one peer: segment bytes each way, when bytes last moved (a transfer completed or a
 * frame sent), and the download rate of completed transfers. The rate is an EWMA in bytes per ms (0.7 old, 0.3 new),
 * null until a transfer completes; a stall or timeout halves it (0 when none completed), so a peer that stops
 * delivering sinks in the choice of peers. A transfer we abort ourselves is measured by what came of it (once enough
 * did), never penalised.
 */
export class Throughput {
  downloadedBytes = 0;
  uploadedBytes = 0;
  private rate: number | null = null;
  private movedAt: number | null = null;

  constructor(private readonly now: () => number) {}

  /** Bytes per ms of completed downloads (EWMA); null until one completes. */
  get bytesPerMs(): number | null {
    return this.rate;
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
    this.rate = this.rate === null ? rate : 0.7 * this.rate + 0.3 * rate;
  }

  /** A download stalled or timed out (the peer's doing). */
  failed(): void {
    this.rate = this.rate === null ? 0 : this.rate / 2;
  }
}

/**
 * Milliseconds a `bytes` transfer takes at `bytesPerMs` (a link's measured rate): null when either is unknown,
 * Infinity at a rate of 0 (a peer that failed and never delivered).
 */
export function transferMs(bytesPerMs: number | null, bytes: number | null): number | null {
  if (bytesPerMs === null || bytes === null) return null;
  return bytesPerMs > 0 ? bytes / bytesPerMs : Infinity;
}
