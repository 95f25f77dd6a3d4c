import { jsonLogLine } from './jsonLogLine';

/** Writes why the server dropped a connection or refused a request. */
export type DropLog = (reason: string, details: Record<string, string | number>) => void;

/** Lines a second for one reason. */
const LINES_PER_SEC = 20;
/** Reasons counted apart (the server's are a small closed set; more share one budget). */
const MAX_REASONS = 32;

/**
 * One line per drop, `swarmfetch server: dropped (reason) key=value …` (or with `format` 'json'
 * `{"time","level":"warn","msg":"dropped","reason",…details}`), at most LINES_PER_SEC a second for each reason, so a
 * flood cannot flood the log — nor hide another kind of drop behind its own lines; the lines left out are counted
 * in the next one written for that reason (` (+N not logged)`, `"notLogged":N`).
 */
export function createDropLog(write: (line: string) => void, now: () => number = Date.now, format: 'text' | 'json' = 'text'): DropLog {
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
    const skipped = b.skipped;
    b.skipped = 0;
    try {
      write(format === 'json' ? jsonLine(reason, details, skipped, now()) : textLine(reason, details, skipped));
    } catch {
      // a broken log must not break the server
    }
  };
}

function textLine(reason: string, details: Record<string, string | number>, skipped: number): string {
  const fields = Object.entries(details).map(([k, v]) => `${k}=${v}`).join(' ');
  return `swarmfetch server: dropped (${reason}) ${fields}${skipped > 0 ? ` (+${skipped} not logged)` : ''}`;
}

function jsonLine(reason: string, details: Record<string, string | number>, skipped: number, nowMs: number): string {
  return jsonLogLine('warn', 'dropped', { reason, ...details, ...(skipped > 0 ? { notLogged: skipped } : {}) }, nowMs);
}
