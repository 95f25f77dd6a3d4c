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
import { serverUrlList } from './serverUrlList';

function invalid(key: string, why: string, value: unknown): never {
  throw new SwarmError('config-invalid', `${key} ${why}`, { key, value: String(value).slice(0, 100) });
}

/** Stands for the page in checking `serverUrl` entries: relative ones are the page's scheme, http(s). */
const SOME_PAGE = 'https://page.invalid/';

/**
 * `serverUrl` as kept: its entries (see serverUrlList: trimmed, empty ones dropped, at most 8) joined by commas. An
 * entry that is no http(s) URL once resolved against the page (`ws://…`, `javascript:…`, `http://[bad`) is refused.
 */
function serverUrlOption(value: string): string {
  const entries = serverUrlList(value);
  for (const entry of entries) {
    let protocol = '';
    try {
      protocol = new URL(entry, SOME_PAGE).protocol;
    } catch {
      // not a URL at all
    }
    if (protocol !== 'http:' && protocol !== 'https:') invalid('serverUrl', `entry is not an http(s) URL: ${entry.slice(0, 100)}`, value);
  }
  return entries.join(',');
}

/**
 * Merges user options over a base config. Unknown keys, wrong types and a `serverUrl` entry that is no http(s) URL
 * throw `config-invalid`; numbers out of range are clamped (and `serverUrl` lists cut to 8); the result is frozen.
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
      out[key as StringKey] = key === 'serverUrl' ? serverUrlOption(value) : value;
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

