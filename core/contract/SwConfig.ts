/**
 * The service worker's part of the configuration: what travels in its registration URL (see swConfigToParams,
 * swConfigFromParams), so that it survives the browser stopping and restarting the worker. core/config.ts builds
 * the full config on top of it.
 */
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
