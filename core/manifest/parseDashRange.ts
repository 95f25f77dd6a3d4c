import { SwarmError } from '../SwarmError';

const RANGE = /^(\d{1,16})-(\d{1,16})$/;

/** A DASH byte range "first-last" (inclusive), e.g. @mediaRange / @range / @indexRange; null when absent. */
export function parseDashRange(text: string | undefined): { start: number; end: number } | null {
  if (text === undefined) return null;
  const m = RANGE.exec(text.trim());
  const start = m === null ? NaN : Number(m[1]);
  const end = m === null ? NaN : Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    throw new SwarmError('protocol-violation', 'DASH: bad byte range', { value: text.slice(0, 40) });
  }
  return { start, end };
}
