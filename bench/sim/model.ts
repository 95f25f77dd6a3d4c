import { DEFAULT_CONFIG } from '../../core/config';
import { MAX_SWARMS } from '../../client/peer/Discovery';

/**
 * What the simulator models rather than runs, each with the file and constant it mirrors. The real code it does run:
 * server/Tracker.ts (joins, leaves, sampling), client/electFetcher.ts (who fetches first), client/peer/PeerSelection.ts
 * (which peer to ask), client/peer/LinkRegistry.ts (slots: maxPeers, half inbound, idle replacement) and
 * client/urgency.ts budgetFor (how long P2P may take, from the buffer).
 */
export const RULES = Object.freeze({
  /** core/config.ts maxPeers. */
  maxPeers: DEFAULT_CONFIG.maxPeers,
  /** core/config.ts storeMaxBytes (64 MiB, oldest evicted first: client/SegmentStore.ts). */
  storeMaxBytes: DEFAULT_CONFIG.storeMaxBytes,
  /** core/config.ts trackerRefreshMs: the tracker is asked again while a slot is free or an idle link could make way (client/peer/Discovery.ts refresh). */
  trackerRefreshMs: DEFAULT_CONFIG.trackerRefreshMs,
  /** core/config.ts urgentBufferSec (starving below it: client/urgency.ts). */
  urgentBufferSec: DEFAULT_CONFIG.urgentBufferSec,
  /** core/contract SW_DEFAULTS p2pTimeoutMs: the worker's budget for one segment, less SegmentResolver's ANSWER_MARGIN_MS (50). */
  workerBudgetMs: DEFAULT_CONFIG.p2pTimeoutMs - 50,
  /** core/config.ts peerJoinMaxDelayMs: swarms are joined once the player started, at most this long after. */
  peerJoinMaxDelayMs: DEFAULT_CONFIG.peerJoinMaxDelayMs,
  /** core/config.ts peerMaxRequestsInFlight: a link takes at most this many requests at once (PeerLink canRequest). */
  peerMaxRequestsInFlight: DEFAULT_CONFIG.peerMaxRequestsInFlight,
  /** client/peer/Discovery.ts DIALS_PER_ROUND: new connections dialled per tracker answer. */
  dialsPerRound: 2,
  /** client/peer/Discovery.ts: a join asks for min(50, max(1, room) + 2) peers. */
  wantFor: (room: number): number => Math.min(50, Math.max(1, room) + 2),
  /** client/peer/Discovery.ts MAX_SWARMS (one swarm per viewer here: one rendition, no switching). */
  maxSwarms: MAX_SWARMS,
  /** client/SegmentResolver.ts MAX_PEER_TRIES. */
  maxPeerTries: 2,
  /** client/SegmentResolver.ts LIVE_ELECTION_WAIT_MS / ELECTION_WAIT_MS (VOD), ELECTED_NEAR_SEGMENTS. */
  liveElectionWaitMs: 150,
  vodElectionWaitMs: 1200,
  electedNearSegments: 2,
  /** client/peer/Uploads.ts WITHIN_SHARE: an upload is refused (absent) when the uplink would carry it later than this share of the asker's deadline. */
  uploadWithinShare: 0.8,
  /** client/PeerPool.ts UNREACHABLE_MS: a peer our dial never reached is not dialled again for this long. */
  unreachableMs: 60_000,
  /** client/PeerPool.ts CONNECTING_MS: a connection that has not opened by then is given up. */
  openDeadlineMs: 10_000,
  /** hls.js defaults: maxBufferLength 30 s (VOD), liveSyncDurationCount 3 segments behind the live edge. */
  vodMaxBufferSec: 30,
  liveSyncSegments: 3,
  /** server/cluster: peerTtlMs 15 s, heartbeat every third (ClusterPeers.refresh). */
  peerTtlMs: 15_000,
  /** PeerJS 1.5 client: a HEARTBEAT message to its server every 5 s (peerjs Socket pingInterval). */
  peerjsHeartbeatMs: 5_000,
});

/** An access line: rates in Mbit/s. The profiles of test/lab/profiles.mjs (lan left out: nobody's home line). */
export interface LineProfile {
  name: string;
  downMbit: number;
  upMbit: number;
  /** Share of viewers on it. */
  weight: number;
}

/** test/lab/profiles.mjs PROFILES, weighted as its MIXED list (cable 3, dsl 2, mobile 2, slow 1 of 8). */
export const LINE_MIX: readonly LineProfile[] = Object.freeze([
  { name: 'cable', downMbit: 50, upMbit: 10, weight: 3 },
  { name: 'dsl', downMbit: 16, upMbit: 1, weight: 2 },
  { name: 'mobile', downMbit: 10, upMbit: 2, weight: 2 },
  { name: 'slow', downMbit: 1, upMbit: 0.5, weight: 1 },
]);

export interface SimOptions {
  mode: 'live' | 'vod';
  /** Concurrent viewers aimed at (arrivals ramp up to it, then churn keeps it). */
  viewers: number;
  seed: number;
  /** Seconds over which the first `viewers` arrive (a flash crowd: uniform arrivals). */
  rampSec: number;
  /** Seconds simulated after the ramp before measuring. */
  warmSec: number;
  /** Seconds measured. */
  measureSec: number;
  /** Mean session length (exponential), seconds; leavers are replaced by Poisson arrivals at viewers / mean. */
  meanSessionSec: number;
  /** The rendition ladder in Mbit/s, best first; a viewer takes the best ≤ `abrShare` × its downlink, for the whole session. */
  ladderMbit: readonly number[];
  abrShare: number;
  /** Live: segment duration, seconds. */
  liveSegmentSec: number;
  /** VOD: titles in the catalogue, their Zipf exponent, length range (minutes), segment durations to draw from. */
  titles: number;
  zipf: number;
  titleMinutes: readonly [number, number];
  vodSegmentSec: readonly number[];
  /** VOD: share of viewers starting at the beginning (the rest at a uniform position: a resume). */
  vodFromStart: number;
  lines: readonly LineProfile[];
  /** Share of dials whose ICE never connects (symmetric NATs on both sides, no TURN): the slot is held until the open deadline. */
  dialFailShare: number;
  /** WebRTC handshake time, ms (uniform): ~0.3–1.5 s across NATs with STUN (client/PeerPool.ts CONNECTING_MS). */
  handshakeMs: readonly [number, number];
  /** Round trip between two peers, and time to first byte of the origin (CDN), ms. */
  peerRttMs: number;
  httpTtfbMs: number;
  /** Signalling: ICE candidates each side trickles through the server per connection. */
  candidatesPerSide: number;
}

export const DEFAULT_OPTIONS: Readonly<SimOptions> = Object.freeze({
  mode: 'live',
  viewers: 1000,
  seed: 1,
  rampSec: 60,
  warmSec: 60,
  measureSec: 180,
  meanSessionSec: 1200,
  ladderMbit: [1.5, 0.8, 0.4],
  abrShare: 0.7,
  liveSegmentSec: 4,
  titles: 1000,
  zipf: 1,
  titleMinutes: [20, 120],
  vodSegmentSec: [2, 4, 6],
  vodFromStart: 0.6,
  lines: LINE_MIX,
  dialFailShare: 0.1,
  handshakeMs: [300, 1500],
  peerRttMs: 40,
  httpTtfbMs: 100,
  candidatesPerSide: 5,
} as const);
