/** The timers code run under `captureTimers` made, pending now. */
export interface CapturedTimers {
  /** Timers made by the captured code (and by their callbacks, in turn) that have not fired or been cleared yet. */
  readonly size: number;
  /** Clears every pending one; one made later (by a callback running now) is cleared as soon as it is made. Idempotent. */
  stop(): void;
}

type SetTimeout = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => ReturnType<typeof setTimeout>;

/**
 * Runs `run` and keeps hold of every `setTimeout` timer it makes — and every one made by such a timer's callback,
 * and so on — so that they can all be cleared at once. For a library that re-arms its housekeeping timers from their
 * own callbacks and never hands them out (the `peer` package: its message expiry and broken-connection checks run
 * forever, which would keep the Node process alive after the server closed).
 *
 * How: while `run`, and later each captured callback, runs synchronously, the global `setTimeout` is one that records
 * the timer; it is put back before control returns to anything else. Only code called synchronously from there is
 * captured (its own timers are cleared by `stop` too). `setInterval` and `setImmediate` are not captured.
 */
export function captureTimers(run: () => void): CapturedTimers {
  const pending = new Set<ReturnType<typeof setTimeout>>();
  let stopped = false;
  // A timer cleared by its own code outside the capture (e.g. a ws close timer) is let go, so nothing piles up: Node
  // marks a cleared Timeout `_destroyed` (not public API, stable since Node 8; should it go, the set only grows by
  // such timers, and stop() still clears them harmlessly). One that fires leaves the set in its callback.
  const prune = () => {
    for (const timer of pending) if ((timer as { _destroyed?: unknown })._destroyed === true) pending.delete(timer);
  };
  const within = (fn: () => void): void => {
    const base = globalThis.setTimeout as unknown as SetTimeout;
    const capturing: SetTimeout = (callback, ms, ...args) => {
      const timer = base((...given: unknown[]) => {
        pending.delete(timer);
        within(() => callback(...given));
      }, ms, ...args);
      if (stopped) clearTimeout(timer);
      else {
        prune();
        pending.add(timer);
      }
      return timer;
    };
    globalThis.setTimeout = capturing as unknown as typeof setTimeout;
    try {
      fn();
    } finally {
      globalThis.setTimeout = base as unknown as typeof setTimeout;
    }
  };
  within(run);
  return {
    get size() {
      prune();
      return pending.size;
    },
    stop() {
      stopped = true;
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    },
  };
}
