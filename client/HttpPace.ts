import { urlDirectory } from '../core/contract';

/** Directories (renditions) whose last segment size is remembered. */
const MAX_DIRECTORIES = 64;
/** Misses whose wait is remembered until the worker reports their HTTP load. */
const MAX_MISS_WAITS = 64;
/** Weight of the newest sample in the throughput average. */
const NEW_WEIGHT = 0.3;
/** Loads shorter than this say little of the line (a small segment, a cache)… */
const MIN_SAMPLE_MS = 20;
/**
 * …unless they carried this much: such a load counts as taking MIN_SAMPLE_MS, a floor of the line's pace. A fast
 * origin's loads (loopback, a LAN: 125 KB in ~13 ms) would otherwise never count, and one slow first load — a
 * page starting on a loaded machine — stayed the only sample: the line read as full for good, and the page neither
 * asked nor served peers (a Firefox → Chromium pair in CI got 6.8 % of its bytes from its peer).
 */
const MIN_SHORT_SAMPLE_BYTES = 32 * 1024;
/**
 * The line is the player's (see `lineFull`) while this page's HTTP loads run under this many times the rate the
 * player plays at: on 1/0.5 Mbit/s lines hls.js played 270p (0.5 Mbit/s) in the baseline, and 180p for most of the
 * run once peers' transfers, uploads and peer tries shared the line with its loads (334–450 against 464–484 kbit/s).
 */
export const LINE_SPARE_FACTOR = 3;

/** hls.js switches up only while its estimate × this (`abrBandWidthUpFactor`) exceeds the next level's bitrate. */
export const ABR_UP_FACTOR = 0.7;

/**
 * What this page's own HTTP can do, from the worker's reports of segments it fetched for the player straight away
 * (a `no-peer` miss: nothing waited before the network): a throughput average (bytes per ms), and the size of the
 * last segment of each directory (a rendition) — so the network's time for the next segment can be expected.
 */
export class HttpPace {
  private bytesPerMs: number | null = null;
  /** Milliseconds of the latest load that counted (see MIN_SAMPLE_MS), or null. */
  private lastMs: number | null = null;
  private readonly lastBytes = new Map<string, number>();
  /**
   * The player's latest segment: its key and duration (ms), for the rate it plays at; and the rate of the rung above
   * its rendition (bytes per ms), when its master playlist declares one.
   */
  private playing: { key: string; durationMs: number; nextUpBytesPerMs: number | null } | null = null;
  /** How long the agent took to answer each recent miss (ms), by key: a report's `ms` less this is the network's. */
  private readonly missWaits = new Map<string, number>();

  /** The agent answered the player's request for `key` with a miss after `ms` (see `noteReport`). */
  noteMissWait(key: string, ms: number): void {
    this.missWaits.delete(key);
    if (this.missWaits.size >= MAX_MISS_WAITS) this.missWaits.delete(this.missWaits.keys().next().value!);
    this.missWaits.set(key, Math.max(0, ms));
  }

  /**
   * The worker's report of a segment it loaded over HTTP for the player in `ms` (`straight`: a `no-peer` miss, no
   * peer tried): the line's pace, less what the agent waited before the miss (an elected peer that never fetched:
   * 1.2 s, which made a loopback origin look like a 0.4 Mbit/s line); otherwise the segment's size only.
   */
  noteReport(key: string, bytes: number, ms: number, straight: boolean): void {
    const waited = this.missWaits.get(key) ?? 0;
    this.missWaits.delete(key);
    if (straight) this.noteLoad(key, bytes, ms - waited);
    else this.noteSize(key, bytes);
  }

  /** The worker fetched `bytes` of `key` over HTTP in `ms`, nothing waited for before (see the class). */
  noteLoad(key: string, bytes: number, ms: number): void {
    if (!(bytes > 0) || !Number.isFinite(bytes)) return;
    this.noteSize(key, bytes);
    if (!(ms >= 0) || !Number.isFinite(ms) || (ms < MIN_SAMPLE_MS && bytes < MIN_SHORT_SAMPLE_BYTES)) return;
    this.lastMs = ms;
    const r = bytes / Math.max(ms, MIN_SAMPLE_MS);
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

  /**
   * The player asked for `key`, a segment of `durationSec` (null: unknown; the rate it plays at is then kept), of a
   * rendition whose next rung up plays at `nextUpBitsPerSec` (null: unknown, or the top).
   */
  notePlaying(key: string, durationSec: number | null, nextUpBitsPerSec: number | null = null): void {
    if (durationSec === null || !(durationSec > 0) || !Number.isFinite(durationSec)) return;
    const up = nextUpBitsPerSec !== null && nextUpBitsPerSec > 0 && Number.isFinite(nextUpBitsPerSec) ? nextUpBitsPerSec / 8000 : null;
    this.playing = { key, durationMs: durationSec * 1000, nextUpBytesPerMs: up };
  }

  /**
   * Whether the player's own loads need this page's line: its HTTP runs under LINE_SPARE_FACTOR times the rate the
   * player plays at (its latest segment's expected size over its duration) or, when its master playlist declares a
   * rung above, that rung's rate: a player must be able to switch up. Then P2P only takes from the player — neither
   * peer tries, prefetch and seeding, nor serving peers (their uploads delay the ACKs of its downloads). Without the
   * rung above, a page on a 1 Mbit/s line stuck at 0.25 Mbit/s saw 3.6 times its rate, served and tried peers, and
   * its slower loads kept hls.js from switching up (324–408 kbit/s played against 474–481 in the baseline). False
   * while the line's or the player's rate is unknown.
   */
  lineFull(): boolean {
    if (this.playing === null || this.bytesPerMs === null) return false;
    const bytes = this.expectedBytes(this.playing.key);
    if (bytes === null) return false;
    const needs = Math.max(bytes / this.playing.durationMs, this.playing.nextUpBytesPerMs ?? 0);
    return this.bytesPerMs < LINE_SPARE_FACTOR * needs;
  }

  /**
   * How long the player's request for `key` may wait for peers (ms) so that hls.js, which reads the whole load time as
   * the network's, still sees a rate from which it may switch up to the rung above (that rung's rate ÷ ABR_UP_FACTOR)
   * — the time that rate leaves beyond the network's own. Null: no constraint (no rung above is known — the top
   * rung, one rendition, DASH). 0 while the line's pace or the segment's size is unknown: the wait could not be
   * bounded. On a 1 Mbit/s line at 180p under a 0.53 Mbit/s rung it is ~120 ms, where a wait for connections being
   * made could take 0.8 s: one such load kept hls.js's estimate under what 360p needs for about ten loads.
   */
  abrSlackMs(key: string): number | null {
    const up = this.playing?.nextUpBytesPerMs ?? null;
    if (up === null) return null;
    const bytes = this.expectedBytes(key);
    if (bytes === null || this.bytesPerMs === null || this.bytesPerMs <= 0) return 0;
    return Math.max(0, Math.floor((bytes * ABR_UP_FACTOR) / up - bytes / this.bytesPerMs));
  }

  /**
   * Whether the line's pace is still to come (see JoinGate): none counted yet, and the player's loads so far are a
   * playlist's segments, or none was seen. A progressive file's pieces never tell it (none is `straight`).
   */
  get paceAwaited(): boolean {
    return this.bytesPerMs === null && (this.playing !== null || this.lastBytes.size === 0);
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
    const bytes = this.expectedBytes(key);
    if (bytes === null || this.bytesPerMs === null || this.bytesPerMs <= 0) return null;
    return Math.ceil(bytes / this.bytesPerMs);
  }

  /** Bytes expected for `key`: its directory's last segment size, or twice the largest seen (see expectedMs); null. */
  expectedBytes(key: string): number | null {
    return this.lastBytes.get(urlDirectory(key)) ?? this.unseenBytes() ?? null;
  }

  private unseenBytes(): number | undefined {
    let most = 0;
    for (const b of this.lastBytes.values()) most = Math.max(most, b);
    return most > 0 ? 2 * most : undefined;
  }

  /** Forgets the misses' waits (the rates stay). */
  clear(): void {
    this.missWaits.clear();
  }
}
