/** Writes why the server dropped a connection or refused a request. */
export type DropLog = (reason: string, details: Record<string, string | number>) => void;

const LINES_PER_SEC = 20;

/**
 * One line per drop, `swarmfetch server: dropped (reason) key=value …`, at most LINES_PER_SEC a second so a flood
 * cannot flood the log too; the lines left out are counted in the next one written.
 */
export function createDropLog(write: (line: string) => void, now: () => number = Date.now): DropLog {
  let second = -1;
  let written = 0;
  let skipped = 0;
  return (reason, details) => {
    const s = Math.floor(now() / 1000);
    if (s !== second) {
      second = s;
      written = 0;
    }
    if (written >= LINES_PER_SEC) {
      skipped++;
      return;
    }
    written++;
    const fields = Object.entries(details).map(([k, v]) => `${k}=${v}`).join(' ');
    const more = skipped > 0 ? ` (+${skipped} not logged)` : '';
    skipped = 0;
    try {
      write(`swarmfetch server: dropped (${reason}) ${fields}${more}`);
    } catch {
      // a broken log must not break the server
    }
  };
}
