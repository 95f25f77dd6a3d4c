import type { SwarmfetchConfig } from '../../core/config';
import type { SwarmErrorCode } from '../../core/SwarmError';
import type { SegmentStore, StoredSegment } from '../SegmentStore';
import type { TrackerClient } from '../TrackerClient';
import type { PeerLike, ServerChoice } from './Signalling';

/** Segment bytes exchanged with one connected peer since the connection opened. */
export interface PeerStat {
  peerId: string;
  /** Segment bytes received from this peer. */
  downloadedBytes: number;
  /** Segment bytes sent to this peer. */
  uploadedBytes: number;
  /** The link goes through a TURN relay (its bytes cost the site). */
  relayed: boolean;
}

export interface PeerPoolEvents {
  peer(e: { peerId: string; state: 'connected' | 'disconnected'; reason?: string }): void;
  ready(peerId: string): void;
  upload(bytes: number): void;
  error(e: { code: SwarmErrorCode; message: string }): void;
}

export interface PeerPoolDeps {
  config: Readonly<SwarmfetchConfig>;
  /**
   * Makes a PeerJS Peer (new one after the old was destroyed) on the current server. `id`: the peer id to keep (after
   * a move to another server); none: the server picks one.
   */
  createPeer(token: string, id?: string): PeerLike;
  /** Several P2P servers (see ServerList): signalling lost on one moves to the next. @default one server */
  servers?: ServerChoice;
  tracker: TrackerClient;
  store: SegmentStore;
  /** What to serve a peer asking for a key (may wait for a download in progress). */
  provide(key: string, waitMs: number): StoredSegment | undefined | Promise<StoredSegment | undefined>;
  events: PeerPoolEvents;
  now(): number;
  /** For tie-breaking between equal peers only (never for anything secret). */
  random(): number;
  /**
   * `n` cryptographically random bytes (the page's signalling token proves it holds its peer id to the tracker).
   * @default crypto.getRandomValues
   */
  randomBytes?(n: number): Uint8Array;
  /** Start with swarm joins held back until release() (see whenPlayerStarts). @default false */
  holdJoins?: boolean;
}
