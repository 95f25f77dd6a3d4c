import { SwarmError } from './SwarmError';

/** Default pattern of media segment URLs (tested against the URL's path, query excluded). */
export const DEFAULT_SEGMENT_PATTERN = '\\.(ts|m4s|mp4|m4v|m4a|aac|cmfv|cmfa)$';

/** The one configuration of swarmfetch: page agent and service worker. */
export interface SwarmfetchConfig {
  /** P2P server base URL (PeerJS signalling + tracker). @default '' = the page's origin */
  serverUrl: string;
  /** URL of the service worker script. @default '/swarmfetch-sw.js' */
  swUrl: string;
  /** Service worker scope. @default '' = the browser's default (the script's directory) */
  swScope: string;
  /** PeerJS signalling path on the server. @default '/peerjs' */
  peerjsPath: string;
  /** PeerJS API key. @default 'peerjs' */
  peerjsKey: string;
  /** ICE servers for WebRTC. Never a public STUN/TURN by default. @default [] */
  iceServers: RTCIceServer[];
  /** Regular expression (source) of segment URL paths the service worker handles. */
  segmentPattern: string;
  /** Bytes of segments the page keeps to share; oldest evicted first. @default 64 MiB (clamped 1 MiB–1 GiB) */
  storeMaxBytes: number;
  /** Largest segment shared or accepted from a peer. @default 32 MiB (clamped 64 KiB–256 MiB) */
  segmentMaxBytes: number;
  /** Most peer connections a page holds. @default 8 (clamped 1–50) */
  maxPeers: number;
  /** Longest the service worker waits for the agent's answer before going to the network. @default 2000 (clamped 50–30000) */
  p2pTimeoutMs: number;
  /** A peer transfer with no bytes for this long is abandoned. @default 750 (clamped 50–30000) */
  p2pStallMs: number;
  /** Longest the service worker waits for a page to hand it a port after a restart. @default 500 (clamped 0–5000) */
  portWaitMs: number;
  /** How often the agent asks the tracker for peers while below maxPeers. @default 5000 (clamped 500–600000) */
  trackerRefreshMs: number;
  /** Deadline of one tracker HTTP request. @default 3000 (clamped 100–60000) */
  trackerTimeoutMs: number;
  /** Data channel buffered bytes above which sending pauses. @default 1 MiB (clamped 64 KiB–8 MiB) */
  sendHighWaterBytes: number;
  /** Log to the console. @default false */
  debug: boolean;
}

const MiB = 1024 * 1024;

export const DEFAULT_CONFIG: Readonly<SwarmfetchConfig> = Object.freeze({
  serverUrl: '',
  swUrl: '/swarmfetch-sw.js',
  swScope: '',
  peerjsPath: '/peerjs',
  peerjsKey: 'peerjs',
  iceServers: Object.freeze([]) as unknown as RTCIceServer[],
  segmentPattern: DEFAULT_SEGMENT_PATTERN,
  storeMaxBytes: 64 * MiB,
  segmentMaxBytes: 32 * MiB,
  maxPeers: 8,
  p2pTimeoutMs: 2000,
  p2pStallMs: 750,
  portWaitMs: 500,
  trackerRefreshMs: 5000,
  trackerTimeoutMs: 3000,
  sendHighWaterBytes: MiB,
  debug: false,
});

type NumberKey = { [K in keyof SwarmfetchConfig]: SwarmfetchConfig[K] extends number ? K : never }[keyof SwarmfetchConfig];
type StringKey = { [K in keyof SwarmfetchConfig]: SwarmfetchConfig[K] extends string ? K : never }[keyof SwarmfetchConfig];

const NUMBER_BOUNDS: Record<NumberKey, readonly [number, number]> = {
  storeMaxBytes: [MiB, 1024 * MiB],
  segmentMaxBytes: [64 * 1024, 256 * MiB],
  maxPeers: [1, 50],
  p2pTimeoutMs: [50, 30_000],
  p2pStallMs: [50, 30_000],
  portWaitMs: [0, 5_000],
  trackerRefreshMs: [500, 600_000],
  trackerTimeoutMs: [100, 60_000],
  sendHighWaterBytes: [64 * 1024, 8 * MiB],
};

const STRING_KEYS: readonly StringKey[] = ['serverUrl', 'swUrl', 'swScope', 'peerjsPath', 'peerjsKey', 'segmentPattern'];

/** Keys the service worker needs; they travel in its registration URL so they survive worker restarts. */
export const SW_CONFIG_KEYS = ['segmentPattern', 'segmentMaxBytes', 'p2pTimeoutMs', 'portWaitMs', 'debug'] as const;
export type SwConfig = Pick<SwarmfetchConfig, (typeof SW_CONFIG_KEYS)[number]>;

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
  const out: SwarmfetchConfig = { ...base, iceServers: Object.freeze([...base.iceServers]) as RTCIceServer[] };
  if (user === undefined || user === null) return Object.freeze(out);
  if (typeof user !== 'object' || Array.isArray(user)) invalid('config', 'must be an object', user);
  for (const [key, value] of Object.entries(user)) {
    if (value === undefined) continue;
    if (Object.hasOwn(NUMBER_BOUNDS, key)) {
      const k = key as NumberKey;
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || Number.isNaN(n)) invalid(key, 'must be a number', value);
      const [min, max] = NUMBER_BOUNDS[k];
      out[k] = Math.min(max, Math.max(min, Math.round(n)));
    } else if ((STRING_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== 'string') invalid(key, 'must be a string', value);
      out[key as StringKey] = value;
    } else if (key === 'debug') {
      if (typeof value === 'boolean') out.debug = value;
      else if (typeof value === 'string') out.debug = value === 'true' || value === '1' || value === '';
      else invalid(key, 'must be a boolean', value);
    } else if (key === 'iceServers') {
      if (!Array.isArray(value) || value.some((s) => typeof s !== 'object' || s === null || !('urls' in s))) {
        invalid(key, 'must be an array of RTCIceServer', value);
      }
      out.iceServers = Object.freeze(value.slice(0, 10)) as RTCIceServer[];
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

/** Serialises the service worker's part of a config into URL search params (non-default values only). */
export function swConfigToParams(config: Readonly<SwarmfetchConfig>): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of SW_CONFIG_KEYS) {
    if (config[key] !== DEFAULT_CONFIG[key]) params.set(key, String(config[key]));
  }
  return params;
}

/** Reads the service worker's config from its URL search params; bad values fall back to defaults. */
export function swConfigFromParams(params: URLSearchParams): SwConfig {
  let merged: Readonly<SwarmfetchConfig> = DEFAULT_CONFIG;
  for (const key of SW_CONFIG_KEYS) {
    const v = params.get(key);
    if (v === null) continue;
    try {
      merged = mergeConfig({ [key]: v }, merged); // one bad value falls back alone
    } catch {
      // keep the previous value
    }
  }
  const sw = {} as Record<string, unknown>;
  for (const key of SW_CONFIG_KEYS) sw[key] = merged[key];
  return sw as unknown as SwConfig;
}
