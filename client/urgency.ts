/** The part of HTMLMediaElement urgency needs. */
export interface MediaLike {
  currentTime: number;
  paused: boolean;
  ended?: boolean;
  readyState: number;
  buffered: { length: number; start(i: number): number; end(i: number): number };
}

/**
 * Seconds of media buffered ahead of the playhead, the most over the page's media elements; null when the page
 * has no media element with a source (then urgency is unknown).
 */
export function bufferAheadSec(media: Iterable<MediaLike>): number | null {
  let best: number | null = null;
  for (const m of media) best = Math.max(best ?? 0, aheadOf(m));
  return best;
}

/** Seconds one element has buffered from its playhead on (the range holding the playhead, 0 when none does). */
function aheadOf(m: MediaLike): number {
  let ahead = 0;
  for (let i = 0; i < m.buffered.length; i++) {
    if (m.buffered.start(i) <= m.currentTime + 0.25 && m.buffered.end(i) > m.currentTime) ahead = m.buffered.end(i) - m.currentTime;
  }
  return ahead;
}

/**
 * Whether the page's player has started: true when a media element plays (not paused, not ended, enough data to go
 * on: its first frame is up), false when one was told to play and waits for data, null when none was told to (no
 * element, or all paused: autoplay blocked, or a page waiting for a click).
 */
export function mediaPlaying(media: Iterable<MediaLike>): boolean | null {
  let result: boolean | null = null;
  for (const m of media) {
    if (m.paused || m.ended === true) continue;
    if (m.readyState >= HAVE_FUTURE_DATA) return true;
    result = false;
  }
  return result;
}

/** HTMLMediaElement.HAVE_FUTURE_DATA: the element can play on from its playhead. */
const HAVE_FUTURE_DATA = 3;

/**
 * Seconds buffered ahead by the least-fed element that is playing (not paused, not ended); null when none plays.
 * What serving peers must not endanger (see Agent.provide).
 */
export function playingBufferSec(media: Iterable<MediaLike>): number | null {
  let least: number | null = null;
  for (const m of media) {
    if (m.paused || m.ended === true) continue;
    const ahead = aheadOf(m);
    least = least === null ? ahead : Math.min(least, ahead);
  }
  return least;
}

/**
 * Whether serving a peer now would endanger this page's own playback: its player plays with less than half of
 * `urgentSec` buffered, or with less than `urgentSec` while its own last HTTP load took more than a quarter of what
 * is buffered (a slow line: on a 0.5 Mbit/s uplink a viewer serving two newcomers saw its own 124 KB HTTP loads take
 * 5 s — the upload delays the ACKs of its downloads — and stalled 4.4 s). On a fast line, or at a live edge a few
 * seconds ahead, the page goes on serving.
 */
export function servingEndangers(playingSec: number | null, urgentSec: number, lastHttpMs: number | null): boolean {
  if (playingSec === null || playingSec >= urgentSec) return false;
  if (playingSec < urgentSec / 2) return true;
  return lastHttpMs !== null && lastHttpMs * 4 > playingSec * 1000;
}

export interface Budget {
  /** Milliseconds P2P may take for this segment. */
  budgetMs: number;
  /** The player is (about to be) starving: no waiting for peers that are still downloading. */
  starving: boolean;
  /**
   * Starving only: how long the request may still wait for peer connections that are being made (0: none). A player
   * that has started (its first segment buffered) can spare part of that buffer while the connections a viewer opens
   * as it starts come up — the 100–500 ms that otherwise send its second and third segments to HTTP.
   */
  connectWaitMs: number;
}

/** Per-attempt cap when starving: a peer that holds the segment still gets a short, stall-bounded try. */
export const STARVING_BUDGET_MS = 800;
/** A starving player waits for connections only with at least this much buffered, and spends at most half the rest. */
const STARVING_CONNECT_MIN_AHEAD_SEC = 1;
export const STARVING_CONNECT_WAIT_MS = 500;

/**
 * How long P2P may take for a segment the player asks for now, from how much it has buffered: a starving player
 * (less than `urgentBufferSec`, or not started) gets a short budget; otherwise P2P may use the buffer beyond
 * `urgentBufferSec`, capped by the worker's budget. `httpMs`, the network's expected time for the segment (from
 * this page's own recent HTTP loads; null when unknown): a player that has started never gets a budget its buffer
 * could not cover followed by twice that (this segment and the next) — on a 1 Mbit/s line an 800 ms try then 1.5 s
 * of HTTP stalled a player with 1.8 s buffered, and hls.js switching up fetches again a segment it has buffered.
 */
export function budgetFor(ahead: number | null, urgentBufferSec: number, workerBudgetMs: number, httpMs: number | null = null): Budget {
  const b = budgetByBuffer(ahead, urgentBufferSec, workerBudgetMs);
  // what the buffer holds must cover the try, then the network's own time for this segment and the next one (a
  // player that switches rendition fetches again what it holds: the buffer does not grow by this one)
  if (ahead === null || ahead <= 0 || httpMs === null) return b;
  const cap = Math.max(0, Math.floor(ahead * 1000 - 2 * httpMs - HTTP_MARGIN_MS));
  return { ...b, budgetMs: Math.min(b.budgetMs, cap), connectWaitMs: Math.min(b.connectWaitMs, cap) };
}

/** Kept back, beyond the network's expected time for the segment, when the buffer bounds a P2P try. */
const HTTP_MARGIN_MS = 300;

function budgetByBuffer(ahead: number | null, urgentBufferSec: number, workerBudgetMs: number): Budget {
  if (ahead === null) return { budgetMs: Math.min(workerBudgetMs, 1500), starving: false, connectWaitMs: 0 };
  if (ahead < urgentBufferSec) {
    const budgetMs = Math.min(workerBudgetMs, STARVING_BUDGET_MS);
    const spare = ahead >= STARVING_CONNECT_MIN_AHEAD_SEC ? ((ahead - STARVING_CONNECT_MIN_AHEAD_SEC) * 1000) / 2 : 0;
    return { budgetMs, starving: true, connectWaitMs: Math.floor(Math.min(spare, STARVING_CONNECT_WAIT_MS, budgetMs)) };
  }
  return {
    budgetMs: Math.min(workerBudgetMs, Math.max(STARVING_BUDGET_MS, (ahead - urgentBufferSec) * 1000)),
    starving: false,
    connectWaitMs: 0,
  };
}
