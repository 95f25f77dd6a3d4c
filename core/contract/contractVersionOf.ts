/**
 * The contract version a page↔worker message says it speaks, or null when it is not one of swarmfetch's
 * (`{ type: 'swarmfetch:…', version: number }` in every version, past and future).
 */
export function contractVersionOf(data: unknown): number | null {
  if (typeof data !== 'object' || data === null) return null;
  const { type, version } = data as { type?: unknown; version?: unknown };
  if (typeof type !== 'string' || !type.startsWith('swarmfetch:')) return null;
  return typeof version === 'number' && Number.isFinite(version) ? version : null;
}
