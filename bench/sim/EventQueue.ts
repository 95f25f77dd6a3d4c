interface Entry {
  t: number;
  seq: number;
  run: () => void;
}

/**
 * The simulated clock and its agenda: a binary heap of events by time (ties in the order they were scheduled).
 * Nothing here reads a real clock or sets a real timer.
 */
export class EventQueue {
  private readonly heap: Entry[] = [];
  private seq = 0;
  /** Simulated milliseconds since the start. */
  now = 0;
  /** Events run so far. */
  ran = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Runs `run` at simulated time `t` (never before now). */
  at(t: number, run: () => void): void {
    if (!Number.isFinite(t)) throw new Error(`EventQueue: event at ${t}`);
    const e: Entry = { t: Math.max(t, this.now), seq: this.seq++, run };
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as Entry;
      if (!before(e, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = e;
  }

  /** Runs every event due up to `until` (inclusive), in time order; the clock ends at `until`. */
  runUntil(until: number): void {
    const h = this.heap;
    while (h.length > 0 && (h[0] as Entry).t <= until) {
      const top = h[0] as Entry;
      const last = h.pop() as Entry;
      if (h.length > 0) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= h.length) break;
          const r = l + 1;
          const c = r < h.length && before(h[r] as Entry, h[l] as Entry) ? r : l;
          if (!before(h[c] as Entry, last)) break;
          h[i] = h[c] as Entry;
          i = c;
        }
        h[i] = last;
      }
      this.now = top.t;
      this.ran++;
      top.run();
    }
    this.now = Math.max(this.now, until);
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}
