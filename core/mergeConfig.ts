import { SwarmError } from './SwarmError';
import {
  BOOLEAN_KEYS,
  DEFAULT_CONFIG,
  NUMBER_BOUNDS,
  STRING_KEYS,
  clampNumber,
  type BooleanKey,
  type NumberKey,
  type StringKey,
  type SwarmfetchConfig,
  type IceServer,
} from './config';

function invalid(key: string, why: string, value: unknown): never {
  throw new SwarmError('config-invalid', `${key} ${why}`, { key, value: String(value).slice(0, 100) });
}

/**
 * Merges user options over a base config. Unknown keys and wrong types throw `config-invalid`;
 * numbers out of range are clamped; the result is frozen.
 */
export function mergeConfig(
  user: Partial<Record<keyof SwarmfetchConfig, unknown>> | undefined,
  base: Readonly<SwarmfetchConfig> = DEFAULT_CONFIG,
): Readonly<SwarmfetchConfig> {
  const out: SwarmfetchConfig = { ...base, iceServers: base.iceServers && (Object.freeze([...base.iceServers]) as IceServer[]) };
  if (user === undefined || user === null) return Object.freeze(out);
  if (typeof user !== 'object' || Array.isArray(user)) invalid('config', 'must be an object', user);
  for (const [key, value] of Object.entries(user)) {
    if (value === undefined) continue;
    if (Object.hasOwn(NUMBER_BOUNDS, key)) {
      const k = key as NumberKey;
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || Number.isNaN(n)) invalid(key, 'must be a number', value);
      out[k] = clampNumber(k, n);
    } else if ((STRING_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== 'string') invalid(key, 'must be a string', value);
      out[key as StringKey] = value;
    } else if ((BOOLEAN_KEYS as readonly string[]).includes(key)) {
      const k = key as BooleanKey;
      if (typeof value === 'boolean') out[k] = value;
      // `data-p2p="on"`/`"off"` as well as true/1/'' (a bare attribute): anything else is false
      else if (typeof value === 'string') out[k] = value === 'true' || value === '1' || value === '' || value === 'on';
      else invalid(key, 'must be a boolean', value);
    } else if (key === 'segmentId') {
      if (value !== null && typeof value !== 'function') invalid(key, 'must be a function or null', value);
      out.segmentId = value as SwarmfetchConfig['segmentId'];
    } else if (key === 'iceServers') {
      if (value === null) {
        out.iceServers = null;
        continue;
      }
      if (!Array.isArray(value) || value.some((s) => typeof s !== 'object' || s === null || !('urls' in s))) {
        invalid(key, 'must be null or an array of IceServer', value);
      }
      out.iceServers = Object.freeze(value.slice(0, 10)) as IceServer[];
    } else {
      invalid(key, 'is not a known option', value);
    }
  }
  try {
    new RegExp(out.segmentPattern, 'i');
  } catch {
    invalid('segmentPattern', 'is not a valid regular expression', out.segmentPattern);
  }
  return Object.freeze(out);
}

