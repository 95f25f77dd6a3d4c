// Small helpers shared by the benchmark modules.

export const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Rejects with `what timed out after N ms` unless `promise` settles first. */
export function withTimeout(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** page.evaluate bounded in time (Playwright's evaluate has no timeout of its own). */
export function evaluate(page, fn, arg, ms = 15_000, what = 'page.evaluate') {
  return withTimeout(page.evaluate(fn, arg), ms, what);
}

/** Percentile (nearest rank) of numbers; null for none. */
export function percentile(values, p) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const rank = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[rank];
}

export const median = (values) => percentile(values, 50);

export function mean(values) {
  const v = values.filter((x) => Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

export const sum = (values) => values.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);

/** Progress lines go to stderr, so stdout holds only the table or the JSON document. */
export function log(...parts) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${parts.join(' ')}\n`);
}

/** Rounds for display and JSON (null stays null). */
export function round(x, digits = 0) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
