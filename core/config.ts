import { clamp } from './clamp';
import { SW_DEFAULTS, SW_NUMBER_BOUNDS, type SwConfig } from './contract';

export {
  DEFAULT_SEGMENT_PATTERN,
  SW_CONFIG_KEYS,
  swConfigFromParams,
  type SwConfig,
} from './contract';

/** A STUN/TURN server, as RTCIceServer has it (declared here: core/ compiles where there is no WebRTC, too). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** The one configuration of swarmfetch: page agent and service worker. */
export interface SwarmfetchConfig extends SwConfig {
  /**
   * P2P server base URL (PeerJS signalling, tracker, hash oracle), absolute or relative to the page; it may carry a
   * path prefix. Several servers of one deployment (sharing their peers and swarms) are listed comma-separated
   * (`'https://p2p1.example,https://p2p2.example'`; spaces around entries and empty entries are ignored, at most 8
   * are kept): the page picks one at random, and when signalling to it is lost moves to the next one under the same
   * peer id; the tracker and the oracle follow. An entry that is no http(s) URL is `config-invalid`.
   * @default '' = the page's origin
   */
  serverUrl: string;
  /** URL of the service worker script. @default '/swarmfetch-sw.js' */
  swUrl: string;
  /** Service worker scope. @default '' = the browser's default (the script's directory) */
  swScope: string;
  /**
   * Register `swUrl` from the page. `false` for a site that registers its own worker (which imports swarmfetch's);
   * the page then talks to whichever worker controls it. @default true
   */
  registerServiceWorker: boolean;
  /** PeerJS signalling path on the server. @default '/peerjs' */
  peerjsPath: string;
  /** PeerJS API key. @default 'peerjs' */
  peerjsKey: string;
  /**
   * ICE servers for WebRTC. `null` asks the P2P server (`POST /swarmfetch/v1/ice`) once signalling is up: its own
   * STUN responder, and TURN with short-lived credentials when the server has it — never a third party's. `[]` uses
   * host candidates only (peers behind different NATs then never connect). @default null
   */
  iceServers: IceServer[] | null;
  /**
   * Let peer links go through a TURN relay (the site pays for those bytes; `stats()` counts them apart). `false`
   * never asks for TURN credentials and drops `turn:`/`turns:` entries from `iceServers`. @default true
   */
  allowRelayedPeers: boolean;
  /** Bytes of segments the page keeps to share; oldest evicted first. @default 64 MiB (clamped 1 MiB–1 GiB) */
  storeMaxBytes: number;
  /** Most peer connections a page holds. @default 8 (clamped 1–50) */
  maxPeers: number;
  /**
   * A peer transfer with no bytes for this long is abandoned; one with a longer deadline (a VOD prefetch) waits out
   * an eighth of its deadline when that is longer, at most 3 s. @default 750 (clamped 50–30000)
   */
  p2pStallMs: number;
  /**
   * A peer link silent this long is pinged; one whose ping stays unanswered for twice this long is closed
   * (peer-timeout), so a viewer that vanished (tab killed, network gone) frees its slot within ~3.5× this.
   * @default 5000 (clamped 200–60000)
   */
  peerPingIntervalMs: number;
  /** How often the agent asks the tracker for peers while below maxPeers. @default 5000 (clamped 500–600000) */
  trackerRefreshMs: number;
  /** Deadline of one tracker HTTP request. @default 3000 (clamped 100–60000) */
  trackerTimeoutMs: number;
  /**
   * Data channel buffered bytes above which sending pauses, at most: once the uplink is measured, each channel
   * queues ~250 ms of it (see stats().uplinkBytesPerSec). @default 1 MiB (clamped 64 KiB–8 MiB)
   */
  sendHighWaterBytes: number;
  /** Upload rate cap over all peers; 0 = no cap. @default 0 (clamped 0 or 16 KiB/s–1 GiB/s) */
  uploadMaxBytesPerSec: number;
  /**
   * Requests one peer may have open with this page at once; one more ends that peer's link (too-many-requests).
   * This page never sends a peer more. @default 4 (clamped 1–32)
   */
  peerMaxRequestsInFlight: number;
  /** Requests per second one peer may send (bursts of one second's worth); faster ends its link (rate-exceeded). @default 50 (clamped 1–1000) */
  peerMaxRequestsPerSec: number;
  /**
   * Serve segments to peers at all (and announce what the store holds). Switched at runtime with
   * `setUploadEnabled()`. @default true
   */
  uploadEnabled: boolean;
  /**
   * P2P at all: `false` (drop-in: `data-p2p="off"`) makes no connection to the P2P server and no peer connection
   * until `setP2pEnabled(true)` (say, once the viewer consented); every segment goes over HTTP through the worker
   * meanwhile. @default true
   */
  p2pEnabled: boolean;
  /**
   * Every this many ms while P2P is on, tell the P2P server the bytes moved since the last report (HTTP, from peers,
   * to peers: `POST /swarmfetch/v1/beacon`, for its offload metrics), and once more on destroy(). 0 = never.
   * @default 0 (clamped 0 or 10000–3600000)
   */
  offloadBeaconIntervalMs: number;
  /**
   * How far ahead segments peers hold are fetched into the store: this much media past the player's latest request;
   * for a VOD player loading faster than it plays, what it will ask for within this many seconds (at most 4× the
   * media). @default 30 (clamped 0–300)
   */
  prefetchAheadSec: number;
  /** Below this much buffered media the player is starving: no waiting for peers. @default 4 (clamped 0–60) */
  urgentBufferSec: number;
  /**
   * Peers are joined once the player has started (1 s buffered), so WebRTC handshakes never compete with its first
   * frame for CPU; at most this long after start — once the page's line is measured (at most 15 s more), and never
   * while it is its player's (under 3× the rate played or the rung above's; see JoinGate). 0 = join at once.
   * @default 5000 (clamped 0–60000)
   */
  peerJoinMaxDelayMs: number;
  /**
   * URL of the site's integrity manifest (relative to the page); it covers the segments under its directory.
   * @default '' = look up `swarmfetch-integrity.json` in the stream's directory (when integrityLookup)
   */
  integrityUrl: string;
  /** Look up `swarmfetch-integrity.json` in the stream's directory (its playlist's; else the segment's own). @default true */
  integrityLookup: boolean;
  /** Ask the P2P server's hash oracle for segments no manifest covers. @default true */
  integrityOracle: boolean;
  /**
   * Opt-out of fail-closed integrity: take whole segments from peers UNCHECKED where no hash source covers them
   * (no playlist tag, no manifest, no oracle). Any viewer of the stream could then put well-formed wrong bytes
   * into this page's player. A source that exists but fails or is late still sends the segment to HTTP.
   * @default false (peer bytes are taken only when they match a trusted hash)
   */
  acceptUnverifiedPeerBytes: boolean;
  /** Deadline of one hash lookup (manifest or oracle). @default 1500 (clamped 100–30000) */
  integrityTimeoutMs: number;
  /**
   * The stable id of a segment, for sites whose segment URLs carry per-viewer tokens in the path or whose CDN host
   * varies (viewers share a segment, and meet in a swarm, when their ids match): given a segment's URL (query,
   * fragment and byte range dropped), returns its id (a byte range is appended by swarmfetch), or null for the
   * default (the URL). The swarm is the site plus the id's directory. A hook that throws or returns anything else
   * leaves that URL its default and is reported once (`config-invalid`). Integrity is unchanged: peer bytes are
   * checked against this page's hash for its own URL. @default null
   */
  segmentId: ((url: string) => string | null | undefined) | null;
  /**
   * The drop-in's segment id (`data-segment-id-from="/video/"`): a segment's id is its URL's path from the first
   * occurrence of this string on (scheme, host and what precedes it dropped); URLs without it keep their default.
   * `segmentId` wins when both are set. @default '' = none
   */
  segmentIdFrom: string;
}

const MiB = 1024 * 1024;

export const DEFAULT_CONFIG: Readonly<SwarmfetchConfig> = Object.freeze({
  ...SW_DEFAULTS,
  serverUrl: '',
  swUrl: '/swarmfetch-sw.js',
  swScope: '',
  registerServiceWorker: true,
  peerjsPath: '/peerjs',
  peerjsKey: 'peerjs',
  iceServers: null,
  allowRelayedPeers: true,
  storeMaxBytes: 64 * MiB,
  maxPeers: 8,
  p2pStallMs: 750,
  peerPingIntervalMs: 5000,
  trackerRefreshMs: 5000,
  trackerTimeoutMs: 3000,
  sendHighWaterBytes: MiB,
  uploadMaxBytesPerSec: 0,
  peerMaxRequestsInFlight: 4,
  peerMaxRequestsPerSec: 50,
  uploadEnabled: true,
  p2pEnabled: true,
  offloadBeaconIntervalMs: 0,
  prefetchAheadSec: 30,
  urgentBufferSec: 4,
  peerJoinMaxDelayMs: 5000,
  integrityUrl: '',
  integrityLookup: true,
  integrityOracle: true,
  acceptUnverifiedPeerBytes: false,
  integrityTimeoutMs: 1500,
  segmentId: null,
  segmentIdFrom: '',
});

export type NumberKey = { [K in keyof SwarmfetchConfig]: SwarmfetchConfig[K] extends number ? K : never }[keyof SwarmfetchConfig];
export type StringKey = { [K in keyof SwarmfetchConfig]: SwarmfetchConfig[K] extends string ? K : never }[keyof SwarmfetchConfig];

export const NUMBER_BOUNDS: Record<NumberKey, readonly [number, number]> = {
  ...SW_NUMBER_BOUNDS,
  storeMaxBytes: [MiB, 1024 * MiB],
  maxPeers: [1, 50],
  p2pStallMs: [50, 30_000],
  peerPingIntervalMs: [200, 60_000],
  trackerRefreshMs: [500, 600_000],
  trackerTimeoutMs: [100, 60_000],
  sendHighWaterBytes: [64 * 1024, 8 * MiB],
  uploadMaxBytesPerSec: [0, 1024 * MiB],
  peerMaxRequestsInFlight: [1, 32],
  peerMaxRequestsPerSec: [1, 1000],
  prefetchAheadSec: [0, 300],
  urgentBufferSec: [0, 60],
  peerJoinMaxDelayMs: [0, 60_000],
  integrityTimeoutMs: [100, 30_000],
  offloadBeaconIntervalMs: [0, 3_600_000],
};
/** Numbers where 0 means "off" and any other value is at least this. */
const NUMBER_MIN_WHEN_ON: Partial<Record<NumberKey, number>> = { uploadMaxBytesPerSec: 16 * 1024, offloadBeaconIntervalMs: 10_000 };

export const STRING_KEYS: readonly StringKey[] = ['serverUrl', 'swUrl', 'swScope', 'peerjsPath', 'peerjsKey', 'segmentPattern', 'integrityUrl', 'segmentIdFrom'];

export type BooleanKey = { [K in keyof SwarmfetchConfig]: SwarmfetchConfig[K] extends boolean ? K : never }[keyof SwarmfetchConfig];
export const BOOLEAN_KEYS: readonly BooleanKey[] = ['debug', 'uploadEnabled', 'registerServiceWorker', 'integrityLookup', 'integrityOracle', 'acceptUnverifiedPeerBytes', 'allowRelayedPeers', 'p2pEnabled'];

/** A number clamped into its key's range (0 stays 0 where 0 means off). */
export function clampNumber(key: NumberKey, n: number): number {
  const v = clamp(n, NUMBER_BOUNDS[key]);
  const minOn = NUMBER_MIN_WHEN_ON[key];
  return minOn !== undefined && v > 0 && v < minOn ? minOn : v;
}

