/** `n` rounded and clamped into the inclusive range [min, max]. */
export function clamp(n: number, [min, max]: readonly [number, number]): number {
  return Math.min(max, Math.max(min, Math.round(n)));
}
