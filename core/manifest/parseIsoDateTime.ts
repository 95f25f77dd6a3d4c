const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** An xs:dateTime ("2024-05-01T10:00:00.5Z") in ms since the epoch, or null. No zone = UTC (as DASH players do). */
export function parseIsoDateTime(text: string | undefined): number | null {
  if (text === undefined) return null;
  const s = text.trim();
  const m = DATE_TIME.exec(s);
  if (m === null) return null;
  const ms = Date.parse(m[1] === undefined ? `${s}Z` : s);
  return Number.isFinite(ms) ? ms : null;
}
