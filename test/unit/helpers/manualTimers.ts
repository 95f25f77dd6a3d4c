/** Timers run by hand, with their own clock: `advance(ms)` fires what is due, in order; `now()` reads the clock. */
export function manualTimers() {
  let now = 0;
  let next = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number): unknown => (due.set(next, { at: now + ms, fn }), next++),
    clearTimeout: (h: unknown) => void due.delete(h as number),
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const [id, t] = [...due.entries()].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
        if (id === undefined || !t || t.at > end) break;
        due.delete(id);
        now = t.at;
        t.fn();
      }
      now = end;
    },
    get pending() {
      return due.size;
    },
  };
}
