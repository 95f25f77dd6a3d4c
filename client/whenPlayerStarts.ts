/** What whenPlayerStarts needs: how much the page's player has buffered, whether it plays, and timers (injectable for tests). */
export interface PlayerStartDeps {
  /** Seconds buffered ahead of the playhead, or null when the page has no media element. */
  bufferAhead(): number | null;
  /**
   * Whether a media element plays (its first frame is up): false while one told to play waits for data, null when
   * none was told to (see mediaPlaying). Without it, the buffer alone decides.
   */
  playing?(): boolean | null;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** How often the player is looked at while waiting. */
const PLAYER_START_POLL_MS = 50;

/**
 * Calls `onStart` once, as soon as the page's player has started, or after `maxWaitMs`, whichever comes first
 * (`maxWaitMs` 0: at once, synchronously). Started: it plays (its first frame is up), or — when none of its media
 * elements was told to play (autoplay blocked, a page waiting for a click) — it has `bufferSec` buffered. A player
 * told to play is waited for until it plays, not only until it has buffered: between the two (the first segment
 * appended, the first frame coming) the page's main thread is the player's. A page without a media element yet (the
 * player is often created after this script runs) waits for one, up to `maxWaitMs`.
 * Returns a function that cancels the wait.
 */
export function whenPlayerStarts(
  deps: PlayerStartDeps,
  bufferSec: number,
  maxWaitMs: number,
  onStart: () => void,
): () => void {
  let done = false;
  let timer: unknown = null;
  let waited = 0;
  const fire = (): void => {
    if (done) return;
    done = true;
    onStart();
  };
  const started = (): boolean => {
    const playing = deps.playing?.() ?? null;
    if (playing !== null) return playing;
    const ahead = deps.bufferAhead();
    return ahead !== null && ahead >= bufferSec;
  };
  const check = (): void => {
    timer = null;
    if (done) return;
    if (started() || waited >= maxWaitMs) return fire();
    const step = Math.min(PLAYER_START_POLL_MS, maxWaitMs - waited);
    waited += step;
    timer = deps.setTimeout(check, step);
  };
  check();
  return () => {
    done = true;
    if (timer !== null) deps.clearTimeout(timer);
    timer = null;
  };
}
