/** Edit distance (insertions, deletions, substitutions) between two short strings. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min((row[j] as number) + 1, (next[j - 1] as number) + 1, (row[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length] as number;
}

/**
 * The `candidates` close to `word` (case-insensitive), closest first, at most `max`: those within an edit distance of
 * a third of their length (at least 2), and those `word` is the start of (`--max-con` → `--max-connections-per-ip`).
 */
export function closeMatches(word: string, candidates: readonly string[], max = 3): string[] {
  const w = word.toLowerCase();
  if (w.length === 0 || w.length > 100) return [];
  return candidates
    .map((c) => ({ c, d: c.startsWith(w) && w.length >= 3 ? 0 : distance(w, c) }))
    .filter(({ c, d }) => d <= Math.max(2, Math.floor(c.length / 3)))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, max)
    .map(({ c }) => c);
}
