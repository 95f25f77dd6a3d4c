import { MANIFEST_LIMITS } from './types';

/**
 * Which of `total` listed segments to keep: VOD the first maxSegmentsPerRendition, live the last ones (the live
 * edge is what a player fetches next). Returns [from, to).
 */
export function dashWindow(total: number, live: boolean): { from: number; to: number } {
  const cap = MANIFEST_LIMITS.maxSegmentsPerRendition;
  const n = Number.isFinite(total) ? Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(total))) : 0;
  return live ? { from: Math.max(0, n - cap), to: n } : { from: 0, to: Math.min(n, cap) };
}
