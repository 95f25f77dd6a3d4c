import type { SwarmfetchConfig } from '../../core/config';
import type { SwarmErrorCode } from '../../core/SwarmError';
import type { PeerLink } from '../PeerLink';
import type { StoredSegment } from '../SegmentStore';
import { ANNOUNCE_BURST_CHARS, ANNOUNCE_CHARS_PER_SEC, REMOTE_KEY_CHARS_MAX } from './RemoteHaves';

/** The fixed bounds of one link (PeerPool sets them from the config). */
export interface PeerLinkLimits {
  /** Largest segment accepted from the peer. */
  segmentMaxBytes: number;
  /** A download with no bytes for this long fails with peer-stall. */
  stallMs: number;
  /** Pause sending while the channel buffers more than this. */
  sendHighWaterBytes: number;
  /**
   * Requests the peer may have open with us at once (being served, or waiting for our download). One more drops
   * the peer (too-many-requests); our own requests to a peer never exceed it.
   */
  maxRequestsInFlight: number;
  /** Requests per second the peer may send (bursts up to one second's worth); faster drops it (rate-exceeded). */
  maxRequestsPerSec: number;
  /** Segment keys remembered from the peer's announcements. */
  maxRemoteKeys: number;
  /**
   * Characters of key text remembered from the peer's announcements (the sum of the keys' lengths); past it, or
   * past maxRemoteKeys, the oldest announcement is forgotten. @default REMOTE_KEY_CHARS_MAX (1 Mi)
   */
  maxRemoteKeyChars?: number;
  /**
   * Announcements (`have`/`lost`/`fetching`) the peer may send, in characters of key text per second (each message
   * also costs ANNOUNCE_MESSAGE_COST), with bursts up to `announceBurstChars`; faster ends the link (rate-exceeded).
   * @default ANNOUNCE_CHARS_PER_SEC (64 Ki)
   */
  announceCharsPerSec?: number;
  /** @default ANNOUNCE_BURST_CHARS (2 Mi: a whole store announced at once, twice over) */
  announceBurstChars?: number;
  /** Longest an upload waits for the channel to drain before the link is closed. */
  drainTimeoutMs: number;
  /**
   * An open link that heard nothing for this long sends a ping; one whose ping stays unanswered (nothing at all
   * heard) for twice this long closes with peer-timeout. Catches a peer that vanished without closing.
   */
  pingIntervalMs: number;
  /**
   * A link whose handshake (channel open, both hellos) is not complete this long after it was made closes with
   * peer-timeout, so a connection that never opens holds no slot. @default OPEN_TIMEOUT_MS (10 s)
   */
  openTimeoutMs?: number;
}

/** What a PeerLink is given: its bounds, what to serve, and whom to tell. */
export interface PeerLinkDeps {
  limits: PeerLinkLimits;
  /**
   * This page dialled the connection (the peer accepted it). The dialler never speaks first: it says hello only
   * once it has heard the accepting side's (see protocol.ts). @default false
   */
  dialled?: boolean;
  /** The segment to serve for a key, or undefined; may wait up to `waitMs` for a download in progress. */
  provide(key: string, waitMs: number): StoredSegment | undefined | Promise<StoredSegment | undefined>;
  /** Milliseconds to wait before sending `bytes` more (upload rate cap); 0 = now. */
  throttle(bytes: number): number;
  /** Milliseconds the upload cap would hold a `bytes` transfer back now (nothing booked). */
  uploadWaitMs(bytes: number): number;
  /** Milliseconds until `bytes` more would have left the page's uplink, behind what it queues now (0: unknown). */
  uplinkWaitMs?(bytes: number): number;
  /** Bytes promised to this link's uploads and not yet handed to its channel, as they change (see Uploads). */
  uplinkPromised?(deltaBytes: number): void;
  /** The peer gave one of our transfers up as late (see Uploads, UplinkMeter.late). */
  uplinkLate?(handedBytes: number, elapsedMs: number): void;
  /** What the link's data channel may queue before an upload waits, now (default limits.sendHighWaterBytes). */
  highWaterBytes?(): number;
  /** Keys to announce once the link is open. */
  initialHaves(): Map<string, string[]>;
  onOpen(link: PeerLink): void;
  onClose(link: PeerLink, reason: SwarmErrorCode | 'closed', detail?: string): void;
  onUpload(link: PeerLink, bytes: number): void;
  /**
   * The peer's `fetching` news is not believed from the start (it used up its strikes on an earlier link this
   * session). @default false
   */
  fetchingIgnored?: boolean;
  /** Requests made on the peer's `fetching` news ended with nothing too often: that news is ignored from now on. */
  onFetchingIgnored?(link: PeerLink): void;
  now(): number;
}

/** The bounds PeerPool gives every link, from the config (the rest are fixed). */
export function linkLimits(c: Readonly<SwarmfetchConfig>): PeerLinkLimits {
  return {
    segmentMaxBytes: c.segmentMaxBytes,
    stallMs: c.p2pStallMs,
    sendHighWaterBytes: c.sendHighWaterBytes,
    maxRequestsInFlight: c.peerMaxRequestsInFlight,
    maxRequestsPerSec: c.peerMaxRequestsPerSec,
    maxRemoteKeys: 20_000,
    maxRemoteKeyChars: REMOTE_KEY_CHARS_MAX,
    announceCharsPerSec: ANNOUNCE_CHARS_PER_SEC,
    announceBurstChars: ANNOUNCE_BURST_CHARS,
    drainTimeoutMs: 10_000,
    pingIntervalMs: c.peerPingIntervalMs,
  };
}
