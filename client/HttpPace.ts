import { urlDirectory } from '../core/contract';

/** Directories (renditions) whose last segment size is remembered. */
const MAX_DIRECTORIES = 64;
/** Weight of the newest sample in the throughput average. */
const NEW_WEIGHT = 0.3;
/** Loads shorter than this say little of the line (a small segment, a cache). */
const MIN_SAMPLE_MS = 20;

/**
 * What this page's own HTTP can do, from the worker's reports of segments it fetched for the player straight away
 * (a `no-peer` miss: nothing waited before the network): a throughput average (bytes per ms), and the size of the
 * last segment of each directory (a rendition) — so the network's time for the next segment can be expected.
 */
export class HttpPace {
  private bytesPerMs: number | null = null;
  /** Milliseconds of the latest load long enough to count (see MIN_SAMPLE_MS), or null. */
  private lastMs: number | null = null;
  private readonly lastBytes = new Map<string, number>();

  /** The worker fetched `bytes` of `key` over HTTP in `ms`, nothing waited for before (see the class). */
  noteLoad(key: string, bytes: number, ms: number): void {
    if (!(bytes > 0) || !Number.isFinite(bytes)) return;
    this.noteSize(key, bytes);
    if (!(ms >= MIN_SAMPLE_MS) || !Number.isFinite(ms)) return;
    this.lastMs = ms;
    const r = bytes / ms;
    this.bytesPerMs = this.bytesPerMs === null ? r : (1 - NEW_WEIGHT) * this.bytesPerMs + NEW_WEIGHT * r;
  }

  /** A segment's size noted (from any source), for the expectation of the next one in its directory. */
  noteSize(key: string, bytes: number): void {
    if (!(bytes > 0) || !Number.isFinite(bytes)) return;
    const dir = urlDirectory(key);
    this.lastBytes.delete(dir);
    this.lastBytes.set(dir, bytes);
    if (this.lastBytes.size > MAX_DIRECTORIES) this.lastBytes.delete(this.lastBytes.keys().next().value!);
  }

  /** How long this page's latest HTTP load for its player took (ms), or null before one counted. */
  get lastLoadMs(): number | null {
    return this.lastMs;
  }

  /**
   * Milliseconds the network is expected to take for `key` (its directory's last size at the average), or null. A
   * directory not seen yet (the player just switched to another rendition) is expected at twice the largest size
   * seen: a ladder's next rung up is rarely more, and the first segment of a rung up is where a short buffer meets a
   * bigger segment.
   */
  expectedMs(key: string): number | null {
    const bytes = this.lastBytes.get(urlDirectory(key)) ?? this.unseenBytes();
    if (bytes === undefined || this.bytesPerMs === null || this.bytesPerMs <= 0) return null;
    return Math.ceil(bytes / this.bytesPerMs);
  }

  private unseenBytes(): number | undefined {
    let most = 0;
    for (const b of this.lastBytes.values()) most = Math.max(most, b);
    return most > 0 ? 2 * most : undefined;
  }
}
