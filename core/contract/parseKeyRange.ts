/**
 * Splits a segment key (see segmentKey) into the file's URL and its closed byte range, if any — the one place a
 * key is taken apart. `#start-` and `#-suffix` keys (open ranges) give `range: 'open'`: their bytes cannot be
 * checked.
 */
export function parseKeyRange(key: string): { url: string; range: { start: number; end: number } | null | 'open' } {
  const hash = key.indexOf('#');
  if (hash < 0) return { url: key, range: null };
  const url = key.slice(0, hash);
  const m = /^(\d{1,15})-(\d{1,15})$/.exec(key.slice(hash + 1));
  if (!m) return { url, range: 'open' };
  const start = Number(m[1]);
  const end = Number(m[2]);
  return { url, range: end >= start ? { start, end } : 'open' };
}
