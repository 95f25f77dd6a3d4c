import { statSync } from 'node:fs';
import { compileSegmentPattern } from '../core/isSegmentRequest';
import { SwarmError } from '../core/SwarmError';
import { isIceUrl, MAX_ICE_URL_LENGTH } from './isIceUrl';
import { isTrustEntry, MAX_TRUSTED_HOPS } from './proxyTrust';
import { NODE_ID_PATTERN } from './cluster/clusterKeys';
import { DEFAULT_SERVER_OPTIONS, NUMBER_OPTION_BOUNDS, type StaticDir, type SwarmServerOptions } from './SwarmServerOptions';

/** Most entries in `trustProxy`. */
const MAX_TRUST_ENTRIES = 64;

/** Most STUN or TURN URLs in one option. */
const MAX_ICE_URLS = 4;
/** Bounds of `turnSecret`'s length. */
const MIN_TURN_SECRET_LENGTH = 16;
const MAX_TURN_SECRET_LENGTH = 1024;

/** Longest segment pattern accepted. */
const MAX_PATTERN_LENGTH = 512;

function invalid(key: string, why: string, value: unknown): never {
  throw new SwarmError('config-invalid', `${key} ${why}`, { key, value: String(value).slice(0, 100) });
}

/** Normalises one allowed origin ('https://a.example/' → 'https://a.example'); throws unless it is an http(s) origin. */
function normaliseOrigin(value: unknown, key = 'allowedOrigins'): string {
  let url: URL | null = null;
  try {
    url = typeof value === 'string' ? new URL(value) : null;
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || (url.pathname !== '/' || url.search || url.hash)) {
    invalid(key, 'entries must be origins like https://a.example', value);
  }
  return url.origin;
}

/**
 * Merges user options over the defaults. Unknown keys, wrong types, a bad port, origin or static entry throw
 * `config-invalid`; counts out of range are clamped. The result is frozen.
 */
export function mergeServerOptions(user: Partial<Record<keyof SwarmServerOptions, unknown>> = {}): Readonly<SwarmServerOptions> {
  const out: SwarmServerOptions = { ...DEFAULT_SERVER_OPTIONS };
  if (typeof user !== 'object' || user === null) invalid('options', 'must be an object', user);
  for (const [key, value] of Object.entries(user)) {
    if (value === undefined) continue;
    switch (key) {
      case 'port':
      case 'stunPort':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
          invalid(key, 'must be an integer from 0 to 65535', value);
        }
        out[key] = value;
        break;
      case 'stun':
      case 'metrics':
        if (typeof value !== 'boolean') invalid(key, 'must be true or false', value);
        out[key] = value;
        break;
      case 'logFormat':
        if (value !== 'text' && value !== 'json') invalid(key, "must be 'text' or 'json'", value);
        out.logFormat = value;
        break;
      case 'trustProxy':
        out.trustProxy = checkTrustProxy(key, value);
        break;
      case 'iceUrls':
        out.iceUrls = checkIceUrls(key, value, 'stun');
        break;
      case 'turnUrls':
        out.turnUrls = checkIceUrls(key, value, 'turn');
        break;
      case 'turnSecret':
        if (typeof value !== 'string' || (value !== '' && (value.length < MIN_TURN_SECRET_LENGTH || value.length > MAX_TURN_SECRET_LENGTH))) {
          // never the secret itself in an error
          const what = typeof value === 'string' ? `${value.length} characters` : typeof value;
          invalid(key, `must be a string of ${MIN_TURN_SECRET_LENGTH}–${MAX_TURN_SECRET_LENGTH} characters`, what);
        }
        out.turnSecret = value;
        break;
      case 'host':
        if (typeof value !== 'string' || value.trim() === '') invalid(key, 'must be a non-empty string', value);
        out.host = value.trim();
        break;
      case 'allowedOrigins':
        if (value === '*') out.allowedOrigins = '*';
        else if (Array.isArray(value)) out.allowedOrigins = Object.freeze([...new Set(value.map((o) => normaliseOrigin(o)))]);
        else invalid(key, "must be '*' or an array of origins", value);
        break;
      case 'static':
        if (!Array.isArray(value)) invalid(key, 'must be an array of { urlPath, dir }', value);
        out.static = Object.freeze(value.map(checkStaticDir));
        break;
      case 'log':
        if (typeof value !== 'function') invalid(key, 'must be a function', value);
        out.log = value as (line: string) => void;
        break;
      case 'hashOrigins':
        if (!Array.isArray(value)) invalid(key, 'must be an array of origins', value);
        out.hashOrigins = Object.freeze([...new Set(value.map((o) => normaliseOrigin(o, key)))]);
        break;
      case 'hashSegmentPattern':
        out.hashSegmentPattern = checkPattern(key, value);
        break;
      case 'redisUrl':
        out.redisUrl = checkRedisUrl(key, value);
        break;
      case 'redisPrefix':
        if (typeof value !== 'string' || value.length > 64 || /[\s]/.test(value)) invalid(key, 'must be a string of at most 64 characters without spaces', value);
        out.redisPrefix = value;
        break;
      case 'nodeId':
        if (typeof value !== 'string' || (value !== '' && !NODE_ID_PATTERN.test(value))) invalid(key, 'must be 1–64 of A-Z a-z 0-9 . _ -', value);
        out.nodeId = value;
        break;
      case 'maxSwarmsPerPeer':
      case 'peersPerAnswer':
      case 'maxPeers':
      case 'maxConnectionsPerIp':
      case 'maxMessageBytes':
      case 'maxMessagesPerSec':
      case 'maxTrackerRequestsPerSec':
      case 'hashMaxBytes':
      case 'hashTimeoutMs':
      case 'maxQueuedMessagesPerClient':
      case 'maxQueuedBytes':
      case 'hashMinRangeBytes':
      case 'hashMaxFetchesPerClient':
      case 'turnCredentialTtlSec':
      case 'peerTtlMs': {
        if (typeof value !== 'number' || Number.isNaN(value)) invalid(key, 'must be a number', value);
        const [min, max] = NUMBER_OPTION_BOUNDS[key];
        out[key] = Math.min(max, Math.max(min, Math.round(value)));
        break;
      }
      default:
        invalid(key, 'is not an option', value);
    }
  }
  if ((out.turnUrls.length > 0) !== (out.turnSecret !== '')) {
    const [key, other] = out.turnUrls.length > 0 ? ['turnUrls', 'turnSecret'] : ['turnSecret', 'turnUrls'];
    invalid(key, `needs ${other} (TURN takes both)`, out.turnUrls.length > 0 ? out.turnUrls.join(',') : 'set');
  }
  return Object.freeze(out);
}

function checkRedisUrl(key: string, value: unknown): string {
  if (value === '') return '';
  let url: URL | null = null;
  try {
    url = typeof value === 'string' && value.length <= 1024 ? new URL(value) : null;
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
    // never a password in an error
    invalid(key, 'must be a URL like redis://host:6379 or rediss://…', typeof value === 'string' ? value.replace(/\/\/[^@/]*@/, '//…@') : value);
  }
  return value as string;
}

function checkIceUrls(key: string, value: unknown, kind: 'stun' | 'turn'): readonly string[] {
  if (!Array.isArray(value) || value.length > MAX_ICE_URLS) invalid(key, `must be an array of at most ${MAX_ICE_URLS} URLs`, value);
  for (const url of value) {
    if (!isIceUrl(url, kind)) {
      const form = kind === 'stun' ? 'stun:host[:port] or stuns:…' : 'turn:host[:port][?transport=udp|tcp] or turns:…';
      invalid(key, `entries must be URLs like ${form}, of at most ${MAX_ICE_URL_LENGTH} characters`, url);
    }
  }
  return Object.freeze([...new Set(value as string[])]);
}

function checkTrustProxy(key: string, value: unknown): number | readonly string[] {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > MAX_TRUSTED_HOPS) invalid(key, `hops must be an integer from 0 to ${MAX_TRUSTED_HOPS}`, value);
    return value;
  }
  if (!Array.isArray(value) || value.length > MAX_TRUST_ENTRIES) {
    invalid(key, `must be a number of hops or an array of at most ${MAX_TRUST_ENTRIES} proxy addresses or CIDR ranges`, value);
  }
  for (const entry of value) {
    if (!isTrustEntry(entry)) invalid(key, "entries must be IP addresses, CIDR ranges like 10.0.0.0/8 or fd00::/8, or 'loopback'", entry);
  }
  return Object.freeze([...new Set(value as string[])]);
}

function checkPattern(key: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_PATTERN_LENGTH) {
    invalid(key, `must be a regular expression of 1–${MAX_PATTERN_LENGTH} characters`, value);
  }
  try {
    compileSegmentPattern(value);
  } catch {
    invalid(key, 'is not a regular expression', value);
  }
  return value;
}

function checkStaticDir(entry: unknown): StaticDir {
  const { urlPath, dir } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
  if (typeof urlPath !== 'string' || !urlPath.startsWith('/')) invalid('static', "urlPath must start with '/'", urlPath);
  if (typeof dir !== 'string' || dir === '') invalid('static', 'dir must be a path', dir);
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (!stat) invalid('static', `dir '${dir}' does not exist`, dir);
  if (!stat.isDirectory()) invalid('static', `dir '${dir}' is not a directory`, dir);
  return Object.freeze({ urlPath, dir });
}
