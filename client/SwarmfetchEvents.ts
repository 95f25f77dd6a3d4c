import type { SegmentReport, SegmentSource } from '../core/contract';
import type { SwarmErrorCode } from '../core/SwarmError';
import type { IntegrityStats } from './IntegrityStatus';
import type { PeerStat } from './PeerPool';
import type { HashSource } from './SegmentVerifier';

/** Totals since the page loaded; bytes are media segment bytes only. */
export interface SwarmfetchStats {
  /** Segment bytes the player got over HTTP. */
  httpBytes: number;
  /** Segment bytes the player got from peers. */
  p2pBytes: number;
  /** Segment bytes the player got from this page's store (already counted once when they arrived). */
  storeHitBytes: number;
  /** Segment bytes sent to peers. */
  uploadedBytes: number;
  /** Segment bytes this page downloaded over HTTP to seed the swarm (not played yet). */
  seedBytes: number;
  /** Open peer connections. */
  peers: number;
  /** Each open peer connection with the segment bytes exchanged over it. */
  peerList: PeerStat[];
  /** Segment bytes received over links that go through a TURN relay (the site pays for them twice). */
  relayedDownloadedBytes: number;
  /** Segment bytes sent over links that go through a TURN relay. */
  relayedUploadedBytes: number;
  /**
   * What this page's uplink carried while its uploads kept it busy (bytes/s), or null before they ever did. Uploads
   * that would not leave within a second are refused, and each data channel queues ~250 ms of it at most.
   */
  uplinkBytesPerSec: number | null;
  /**
   * Asking peers is paused now: most of the latest peer transfers, from more than one peer, failed on the peers'
   * pace (their uplinks or ours cannot carry segments in time), so segments go to the network at once and nothing is
   * prefetched or seeded, for 20 s (doubling while it keeps tripping, up to 160 s). Serving peers goes on.
   */
  p2pPaused: boolean;
  /** How many times asking peers paused this session. */
  p2pPauses: number;
  /** Bytes held in the segment store. */
  storeBytes: number;
  /** The store's bound (`storeMaxBytes`). */
  storeMaxBytes: number;
  storeSegments: number;
  /** This page's peer id, once signalling is up. */
  peerId: string | null;
  /** Whether the service worker controls this page (segments go through it, over P2P or HTTP). */
  active: boolean;
  /** Whether P2P is switched on (`p2pEnabled`, `setP2pEnabled`); while off, `peers` is 0 and `peerId` null. */
  p2pEnabled: boolean;
  /** Whether this page serves peers (`uploadEnabled`, `setUploadEnabled`). */
  uploadEnabled: boolean;
  /** Peer segments checked against a trusted hash and accepted. */
  verifiedSegments: number;
  /** Of those, how many by where their hash came from: HLS playlist tag, integrity manifest, hash oracle. */
  verifiedBy: Record<HashSource, number>;
  /** Peer segments that failed their hash check (their senders were banned). */
  integrityMismatches: number;
  /** Peers banned now (broken protocol, bounds, integrity, drip): each for 1 h, at most 1024 remembered. */
  bannedPeers: number;
  /** The integrity policy and what the latest hash lookup found (see docs/security.md). */
  integrity: IntegrityStats;
}

export interface SegmentEvent {
  url: string;
  source: SegmentSource;
  peerId: string | null;
  bytes: number;
  ms: number;
  /** Why it came over HTTP, when it did. */
  fallback: SegmentReport['fallback'];
  error: SwarmErrorCode | null;
  /** The bytes came from a peer and matched a trusted hash (playlist, manifest or hash oracle). */
  verified: boolean;
  /** Where that hash came from; null when not verified. */
  verifiedBy: HashSource | null;
}

/** A peer's segment failed its hash check (the peer is banned) or could not be checked (it came over HTTP). */
export interface IntegrityEvent {
  key: string;
  peerId: string;
  code: 'integrity-mismatch' | 'integrity-unavailable';
  message: string;
}

export interface SwarmfetchEvents {
  segment: SegmentEvent;
  peer: { peerId: string; state: 'connected' | 'disconnected'; reason?: string };
  ready: { peerId: string };
  /** This page downloaded a segment over HTTP for its swarm before its player asked (see Scheduling). */
  seed: { url: string; bytes: number; ms: number };
  error: { code: SwarmErrorCode; message: string };
  integrity: IntegrityEvent;
}
