/** What whenPlayerStarts needs: how much the page's player has buffered, and timers (injectable for tests). */
export interface PlayerStartDeps {
  /** Seconds buffered ahead of the playhead, or null when the page has no media element. */
  bufferAhead(): number | null;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** How often the buffer is looked at while waiting. */
const PLAYER_START_POLL_MS = 100;

/**
 * Calls `onStart` once, as soon as the page's player has `bufferSec` buffered, or after `maxWaitMs`, whichever
 * comes first (`maxWaitMs` 0: at once, synchronously). A page without a media element yet (the player is often
 * created after this script runs) waits for one, up to `maxWaitMs`.
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
  const check = (): void => {
    timer = null;
    if (done) return;
    const ahead = deps.bufferAhead();
    if ((ahead !== null && ahead >= bufferSec) || waited >= maxWaitMs) return fire();
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
