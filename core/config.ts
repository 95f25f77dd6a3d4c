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
  /** Upload rate cap over all peers; 0 = no cap. @default 0 (clamped 0 or 16 KiB/s–1 GiB/s) */
  uploadMaxBytesPerSec: number;
  /** Serve segments to peers at all. @default true */
  uploadEnabled: boolean;
  /** How far ahead of the playhead segments are fetched from peers into the store. @default 30 (clamped 0–300) */
  prefetchAheadSec: number;
  /** Below this much buffered media the player is starving: no waiting for peers. @default 4 (clamped 0–60) */
  urgentBufferSec: number;
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
  uploadMaxBytesPerSec: 0,
  uploadEnabled: true,
  prefetchAheadSec: 30,
  urgentBufferSec: 4,
  debug: false,
});

export type NumberKey = { [K in keyof SwarmfetchConfig]: SwarmfetchConfig[K] extends number ? K : never }[keyof SwarmfetchConfig];
export type StringKey = { [K in keyof SwarmfetchConfig]: SwarmfetchConfig[K] extends string ? K : never }[keyof SwarmfetchConfig];

export const NUMBER_BOUNDS: Record<NumberKey, readonly [number, number]> = {
  storeMaxBytes: [MiB, 1024 * MiB],
  segmentMaxBytes: [64 * 1024, 256 * MiB],
  maxPeers: [1, 50],
  p2pTimeoutMs: [50, 30_000],
  p2pStallMs: [50, 30_000],
  portWaitMs: [0, 5_000],
  trackerRefreshMs: [500, 600_000],
  trackerTimeoutMs: [100, 60_000],
  sendHighWaterBytes: [64 * 1024, 8 * MiB],
  uploadMaxBytesPerSec: [0, 1024 * MiB],
  prefetchAheadSec: [0, 300],
  urgentBufferSec: [0, 60],
};
/** Numbers where 0 means "off" and any other value is at least this. */
export const NUMBER_MIN_WHEN_ON: Partial<Record<NumberKey, number>> = { uploadMaxBytesPerSec: 16 * 1024 };

export const STRING_KEYS: readonly StringKey[] = ['serverUrl', 'swUrl', 'swScope', 'peerjsPath', 'peerjsKey', 'segmentPattern'];

/** Keys the service worker needs; they travel in its registration URL so they survive worker restarts. */
export const SW_CONFIG_KEYS = ['segmentPattern', 'segmentMaxBytes', 'p2pTimeoutMs', 'portWaitMs', 'debug'] as const;
export type SwConfig = Pick<SwarmfetchConfig, (typeof SW_CONFIG_KEYS)[number]>;

/** A number clamped into its key's range (0 stays 0 where 0 means off). */
export function clampNumber(key: NumberKey, n: number): number {
  const [min, max] = NUMBER_BOUNDS[key];
  let v = Math.min(max, Math.max(min, Math.round(n)));
  const minOn = NUMBER_MIN_WHEN_ON[key];
  if (minOn !== undefined && v > 0 && v < minOn) v = minOn;
  return v;
}

/**
 * Reads the service worker's config from its URL search params (written by swConfigToParams); a bad value falls
 * back to its default alone. Kept apart from mergeConfig so the worker bundle stays small.
 */
export function swConfigFromParams(params: URLSearchParams): SwConfig {
  const out: SwConfig = {
    segmentPattern: DEFAULT_CONFIG.segmentPattern,
    segmentMaxBytes: DEFAULT_CONFIG.segmentMaxBytes,
    p2pTimeoutMs: DEFAULT_CONFIG.p2pTimeoutMs,
    portWaitMs: DEFAULT_CONFIG.portWaitMs,
    debug: DEFAULT_CONFIG.debug,
  };
  for (const key of ['segmentMaxBytes', 'p2pTimeoutMs', 'portWaitMs'] as const) {
    const v = params.get(key);
    if (v !== null && v.trim() !== '' && !Number.isNaN(Number(v))) out[key] = clampNumber(key, Number(v));
  }
  const pattern = params.get('segmentPattern');
  if (pattern !== null) {
    try {
      new RegExp(pattern, 'i');
      out.segmentPattern = pattern;
    } catch {
      // keep the default
    }
  }
  const debug = params.get('debug');
  if (debug !== null) out.debug = debug === 'true' || debug === '1' || debug === '';
  return out;
}
