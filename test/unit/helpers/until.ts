import { vi } from 'vitest';

/**
 * Waits, on the fake clock (vi.useFakeTimers), until `check` holds: it passes when it neither throws nor returns
 * false. The clock stands still; each round runs the timers due now and yields one turn of the event loop, so promise
 * callbacks and real I/O without a timer (Blob and body reads) go on. Still failing after `rounds` rounds, its last
 * failure is thrown (an `expect` inside keeps its message).
 */
export async function until(check: () => unknown, rounds = 400): Promise<void> {
  for (let round = 0; ; round++) {
    let failure: unknown = null;
    try {
      if (check() !== false) return;
      failure = new Error(`condition still false after ${rounds} rounds`);
    } catch (e) {
      failure = e;
    }
    if (round >= rounds) throw failure;
    await vi.advanceTimersByTimeAsync(0);
  }
}
