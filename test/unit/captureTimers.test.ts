import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureTimers } from '../../server/captureTimers';

/** A housekeeping loop like the `peer` package's: re-arms itself from its own callback and hands out no handle. */
function startLoop(everyMs: number, ticks: { n: number }): void {
  const tick = () => {
    ticks.n++;
    setTimeout(tick, everyMs);
  };
  setTimeout(tick, everyMs);
}

describe('captureTimers', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('holds the timers a loop re-arms from its own callbacks, and stop() ends the loop', () => {
    const ticks = { n: 0 };
    const captured = captureTimers(() => startLoop(300, ticks));
    expect(captured.size).toBe(1);
    vi.advanceTimersByTime(900);
    expect(ticks.n).toBe(3);
    expect(captured.size).toBe(1);
    captured.stop();
    expect(captured.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(3000);
    expect(ticks.n).toBe(3);
    captured.stop(); // idempotent
  });

  it('captures nothing outside: the global setTimeout is put back, and other timers are left alone', () => {
    const before = globalThis.setTimeout;
    const ticks = { n: 0 };
    const captured = captureTimers(() => startLoop(100, ticks));
    expect(globalThis.setTimeout).toBe(before);
    const other = vi.fn();
    setTimeout(other, 250);
    vi.advanceTimersByTime(100); // a captured callback ran: the global is put back after it too
    expect(globalThis.setTimeout).toBe(before);
    captured.stop();
    vi.advanceTimersByTime(200);
    expect(other).toHaveBeenCalledTimes(1);
    expect(ticks.n).toBe(1);
  });

  it('clears a timer made after stop() by a callback running then, and passes arguments through', () => {
    const seen: unknown[] = [];
    let captured: ReturnType<typeof captureTimers> | null = null;
    captured = captureTimers(() => {
      setTimeout((a: unknown, b: unknown) => {
        seen.push(a, b);
        captured?.stop(); // e.g. a close() called from inside the library's own callback
        setTimeout(() => seen.push('late'), 10);
      }, 50, 'a', 2);
    });
    vi.advanceTimersByTime(100);
    expect(seen).toEqual(['a', 2]);
    expect(captured.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('puts the global back when the captured code throws', () => {
    const before = globalThis.setTimeout;
    expect(() => captureTimers(() => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(globalThis.setTimeout).toBe(before);
  });

  describe('on Node\'s own timers', () => {
    it('lets go of a timer its code cleared itself, outside the capture, so nothing piles up', () => {
      vi.useRealTimers();
      const made: Array<ReturnType<typeof setTimeout>> = [];
      const captured = captureTimers(() => {
        for (let i = 0; i < 3; i++) made.push(setTimeout(() => {}, 60_000));
      });
      expect(captured.size).toBe(3);
      clearTimeout(made[0]);
      clearTimeout(made[2]);
      expect(captured.size).toBe(1);
      captured.stop();
      expect(captured.size).toBe(0);
      expect((made[1] as unknown as { _destroyed: boolean })._destroyed).toBe(true);
    });
  });
});
