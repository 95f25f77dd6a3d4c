/** Writes why the server dropped a connection or refused a request. */
export type DropLog = (reason: string, details: Record<string, string | number>) => void;

/** Lines a second for one reason. */
const LINES_PER_SEC = 20;
/** Reasons counted apart (the server's are a small closed set; more share one budget). */
const MAX_REASONS = 32;

/**
 * One line per drop, `swarmfetch server: dropped (reason) key=value …`, at most LINES_PER_SEC a second for each
 * reason, so a flood cannot flood the log — nor hide another kind of drop behind its own lines; the lines left out
 * are counted in the next one written for that reason.
 */
export function createDropLog(write: (line: string) => void, now: () => number = Date.now): DropLog {
  const budgets = new Map<string, { second: number; written: number; skipped: number }>();
  return (reason, details) => {
    const s = Math.floor(now() / 1000);
    const name = budgets.has(reason) || budgets.size < MAX_REASONS ? reason : '(other)';
    let b = budgets.get(name);
    if (!b) budgets.set(name, (b = { second: s, written: 0, skipped: 0 }));
    if (s !== b.second) {
      b.second = s;
      b.written = 0;
    }
    if (b.written >= LINES_PER_SEC) {
      b.skipped++;
      return;
    }
    b.written++;
    const fields = Object.entries(details).map(([k, v]) => `${k}=${v}`).join(' ');
    const more = b.skipped > 0 ? ` (+${b.skipped} not logged)` : '';
    b.skipped = 0;
    try {
      write(`swarmfetch server: dropped (${reason}) ${fields}${more}`);
    } catch {
      // a broken log must not break the server
    }
  };
}
