/**
 * The service worker's part of the configuration. Kept apart (and small) because the worker bundle carries it;
 * core/config.ts builds the full config on top of it.
 */

/** Default pattern of media segment URLs (tested against the URL's path, query excluded). */
export const DEFAULT_SEGMENT_PATTERN = '\\.(ts|m4s|mp4|m4v|m4a|aac|cmfv|cmfa)$';

const MiB = 1024 * 1024;

export interface SwConfig {
  /** Regular expression (source) of segment URL paths the service worker handles. */
  segmentPattern: string;
  /** Largest segment shared or accepted from a peer. @default 32 MiB (clamped 64 KiB–256 MiB) */
  segmentMaxBytes: number;
  /** Longest the service worker waits for the agent's answer before going to the network. @default 2000 (clamped 50–30000) */
  p2pTimeoutMs: number;
  /** Longest the service worker waits for a page to hand it a port after a restart. @default 150 (clamped 0–5000) */
  portWaitMs: number;
  /** Log to the console. @default false */
  debug: boolean;
}

export const SW_DEFAULTS: Readonly<SwConfig> = Object.freeze({
  segmentPattern: DEFAULT_SEGMENT_PATTERN,
  segmentMaxBytes: 32 * MiB,
  p2pTimeoutMs: 2000,
  portWaitMs: 150,
  debug: false,
});

/** Keys the service worker needs; they travel in its registration URL so they survive worker restarts. */
export const SW_CONFIG_KEYS = ['segmentPattern', 'segmentMaxBytes', 'p2pTimeoutMs', 'portWaitMs', 'debug'] as const;

export const SW_NUMBER_BOUNDS = {
  segmentMaxBytes: [64 * 1024, 256 * MiB],
  p2pTimeoutMs: [50, 30_000],
  portWaitMs: [0, 5_000],
} as const;

export function clamp(n: number, [min, max]: readonly [number, number]): number {
  return Math.min(max, Math.max(min, Math.round(n)));
}

/**
 * Reads the service worker's config from its URL search params (written by swConfigToParams); a bad value falls
 * back to its default alone.
 */
export function swConfigFromParams(params: URLSearchParams): SwConfig {
  const out: SwConfig = { ...SW_DEFAULTS };
  for (const key of ['segmentMaxBytes', 'p2pTimeoutMs', 'portWaitMs'] as const) {
    const v = params.get(key);
    if (v !== null && v.trim() !== '' && !Number.isNaN(Number(v))) out[key] = clamp(Number(v), SW_NUMBER_BOUNDS[key]);
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
