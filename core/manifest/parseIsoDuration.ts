const NUM = '(\\d{1,20}(?:\\.\\d{0,20})?)';
const DURATION = new RegExp(
  `^P(?:${NUM}Y)?(?:${NUM}M)?(?:${NUM}W)?(?:${NUM}D)?(?:T(?:${NUM}H)?(?:${NUM}M)?(?:${NUM}S)?)?$`,
);
const UNIT_SEC = [365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1] as const;

/**
 * An xs:duration as used by MPDs ("PT1M0.5S", "PT2S", "P0DT1H") in seconds, or null when absent, negative or
 * malformed. Years count 365 days and months 30 days.
 */
export function parseIsoDuration(text: string | undefined): number | null {
  if (text === undefined) return null;
  const s = text.trim();
  if (s.length > 200 || s === 'P' || s.endsWith('T')) return null;
  const m = DURATION.exec(s);
  if (m === null) return null;
  let total = 0;
  for (let k = 0; k < UNIT_SEC.length; k++) {
    const part = m[k + 1];
    if (part !== undefined) total += Number(part) * UNIT_SEC[k]!;
  }
  return Number.isFinite(total) ? total : null;
}
