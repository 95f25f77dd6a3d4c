import type { SwarmfetchConfig } from '../core/config';
import type { SwarmErrorCode } from '../core/SwarmError';
import { keyInSwarm } from '../core/swarmId';
import { PeerLink, type ConnectionLike, type PeerLinkLimits } from './PeerLink';
import type { SegmentStore, StoredSegment } from './SegmentStore';
import type { TrackerClient } from './TrackerClient';
import { TokenBucket } from './TokenBucket';

/** The part of a PeerJS `Peer` the pool needs (so tests can use a fake). */
export interface PeerLike {
  readonly id: string | null;
  readonly destroyed: boolean;
  readonly disconnected: boolean;
  on(event: 'open', listener: (id: string) => void): unknown;
  on(event: 'connection', listener: (conn: ConnectionLike) => void): unknown;
  on(event: 'disconnected' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: { type?: string; message?: string }) => void): unknown;
  connect(id: string, options: { reliable: boolean; serialization: 'raw' }): ConnectionLike | undefined;
  reconnect(): void;
  destroy(): void;
}

/** Segment bytes exchanged with one connected peer since the connection opened. */
export interface PeerStat {
  peerId: string;
  /** Segment bytes received from this peer. */
  downloadedBytes: number;
  /** Segment bytes sent to this peer. */
  uploadedBytes: number;
}

export interface PeerPoolEvents {
  peer(e: { peerId: string; state: 'connected' | 'disconnected'; reason?: string }): void;
  ready(peerId: string): void;
  upload(bytes: number): void;
  error(e: { code: SwarmErrorCode; message: string }): void;
}

export interface PeerPoolDeps {
  config: Readonly<SwarmfetchConfig>;
  /** Makes a PeerJS Peer (new one after the old was destroyed). */
  createPeer(token: string): PeerLike;
  tracker: TrackerClient;
  store: SegmentStore;
  /** What to serve a peer asking for a key (may wait for a download in progress). */
  provide(key: string, waitMs: number): StoredSegment | undefined | Promise<StoredSegment | undefined>;
  events: PeerPoolEvents;
  now(): number;
  random(): number;
  /** Start with swarm joins held back until release() (see whenPlayerStarts). @default false */
  holdJoins?: boolean;
}

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** Most swarms one page joins (renditions of what it plays). */
const MAX_SWARMS = 16;
/** New connections dialled per tracker answer. */
const DIALS_PER_ROUND = 2;
/** Reasons a link closes for which its peer is not heard again this session. */
const BANNED_FOR: ReadonlySet<string> = new Set(['protocol-violation', 'size-exceeded', 'rate-exceeded', 'too-many-requests']);

/**
 * Holds this page's PeerJS peer and its links: joins swarms through the tracker, connects to their peers,
 * keeps them told what the store holds, and picks a peer for a segment.
 */
export class PeerPool {
  private peer: PeerLike | null = null;
  private readonly token: string;
  private readonly links = new Map<string, PeerLink>();
  private readonly swarms = new Set<string>();
  private readonly banned = new Set<string>();
  private readyId: string | null = null;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private refreshTimer: ReturnType<typeof setInterval> | null = null;
  private destroyed = false;
  /** Swarm joins wait for release(): nobody learns of this page, and it dials nobody, before that. */
  private held: boolean;
  private discovering = 0;
  private readonly limits: PeerLinkLimits;
  private readonly upload: TokenBucket;

  constructor(private readonly deps: PeerPoolDeps) {
    this.token = Math.floor(deps.random() * 2 ** 52).toString(36) + Math.floor(deps.random() * 2 ** 52).toString(36);
    const c = deps.config;
    this.held = deps.holdJoins === true;
    this.upload = new TokenBucket(c.uploadMaxBytesPerSec, deps.now);
    this.limits = {
      segmentMaxBytes: c.segmentMaxBytes,
      stallMs: c.p2pStallMs,
      sendHighWaterBytes: c.sendHighWaterBytes,
      maxRequestsInFlight: c.peerMaxRequestsInFlight,
      maxRequestsPerSec: c.peerMaxRequestsPerSec,
      maxRemoteKeys: 20_000,
      drainTimeoutMs: 10_000,
      pingIntervalMs: c.peerPingIntervalMs,
    };
  }

  get peerId(): string | null {
    return this.readyId;
  }

  /** Peers ended for the rest of the session. */
  get bannedCount(): number {
    return this.banned.size;
  }

  /** Open links (hello exchanged). */
  get connectedCount(): number {
    let n = 0;
    for (const l of this.links.values()) if (l.isOpen) n++;
    return n;
  }

  /** Whether peers may turn up soon: a tracker answer or a connection is on its way. */
  get connecting(): boolean {
    if (this.discovering > 0) return true;
    for (const l of this.links.values()) if (!l.isOpen) return true;
    return false;
  }

  /** Lets held swarm joins go to the tracker (once the player has started). */
  release(): void {
    if (!this.held || this.destroyed) return;
    this.held = false;
    for (const swarm of this.swarms) void this.discover(swarm);
  }

  start(): void {
    if (this.destroyed || this.peer) return;
    let peer: PeerLike;
    try {
      peer = this.deps.createPeer(this.token);
    } catch (err) {
      this.deps.events.error({ code: 'unsupported', message: String(err) });
      return;
    }
    this.peer = peer;
    peer.on('open', (id) => {
      if (this.peer !== peer) return;
      this.readyId = id;
      this.retryMs = RETRY_MIN_MS;
      this.deps.events.ready(id);
      for (const swarm of this.swarms) void this.discover(swarm);
    });
    peer.on('connection', (conn) => {
      if (this.peer !== peer || this.links.size >= this.deps.config.maxPeers || this.banned.has(conn.peer)) {
        conn.close();
        return;
      }
      this.addLink(conn, false);
    });
    peer.on('disconnected', () => {
      // signalling lost (server down); links already made keep working
      if (this.peer === peer && !peer.destroyed) this.scheduleRetry(() => peer.reconnect());
    });
    peer.on('close', () => {
      if (this.peer === peer) this.restart();
    });
    peer.on('error', (err) => {
      if (this.peer !== peer) return;
      const type = err?.type ?? 'unknown';
      if (type === 'peer-unavailable') return; // a peer left between tracker answer and connect
      this.deps.events.error({ code: 'server-unreachable', message: `${type}: ${err?.message ?? ''}` });
      if (peer.destroyed) this.restart();
    });
    this.refreshTimer ??= setInterval(() => this.refresh(), this.deps.config.trackerRefreshMs);
  }

  /** Joins a swarm (once); peers are found as soon as signalling is up. */
  join(swarm: string): void {
    if (this.destroyed || this.swarms.has(swarm) || this.swarms.size >= MAX_SWARMS) return;
    this.swarms.add(swarm);
    void this.discover(swarm);
  }

  /** The best open link that announced the key, or undefined. Prefers idle, then fast, peers. */
  linkFor(key: string, exclude: ReadonlySet<string> = new Set()): PeerLink | undefined {
    let best: PeerLink | undefined;
    let bestScore = -Infinity;
    for (const link of this.links.values()) {
      if (!link.canRequest || !link.has(key) || exclude.has(link.remoteId)) continue;
      // unknown throughput gets a floor so new peers are tried
      const rate = link.throughput ?? 1000;
      const score = rate / (1 + link.activeDownloads) + this.deps.random() * 1e-6;
      if (score > bestScore) {
        best = link;
        bestScore = score;
      }
    }
    return best;
  }

  /** Open links that announced they are downloading the key over HTTP now. */
  fetchersOf(key: string): PeerLink[] {
    return [...this.links.values()].filter((l) => l.isOpen && l.isFetching(key));
  }

  /** Segment bytes exchanged with each open link, for dashboards. */
  peerStats(): PeerStat[] {
    return [...this.links.values()]
      .filter((l) => l.isOpen)
      .map((l) => ({ peerId: l.remoteId, downloadedBytes: l.downloadedBytes, uploadedBytes: l.uploadedBytes }));
  }

  /** Ids of the open links (the swarm as this page sees it). */
  openPeerIds(): string[] {
    return [...this.links.values()].filter((l) => l.isOpen).map((l) => l.remoteId);
  }

  /** Tells every peer about segments that arrived, left the store, or are being downloaded. */
  announce(type: 'have' | 'lost' | 'fetching', segments: Array<Pick<StoredSegment, 'key' | 'swarm'>>): void {
    const bySwarm = new Map<string, string[]>();
    for (const s of segments) {
      if (!this.swarms.has(s.swarm)) continue;
      const list = bySwarm.get(s.swarm);
      if (list) list.push(s.key);
      else bySwarm.set(s.swarm, [s.key]);
    }
    // a link announces only once it has told its peer what we held (on open, or with the accepting side's hello)
    for (const link of this.links.values()) {
      for (const [swarm, keys] of bySwarm) link.announce(type, swarm, keys);
    }
  }

  /** Ends a peer's link for the rest of the session. */
  ban(peerId: string, reason: SwarmErrorCode): void {
    this.banned.add(peerId);
    this.links.get(peerId)?.close(reason);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    for (const link of [...this.links.values()]) link.close('closed');
    this.links.clear();
    try {
      this.peer?.destroy();
    } catch {
      // already gone
    }
    this.peer = null;
  }

  // ---- internals ----

  private inJoinedSwarm(key: string): boolean {
    for (const swarm of this.swarms) if (keyInSwarm(key, swarm)) return true;
    return false;
  }

  private async discover(swarm: string): Promise<void> {
    const id = this.readyId;
    if (!id || this.destroyed || this.held) return;
    const room = this.deps.config.maxPeers - this.links.size;
    if (room <= 0) return;
    let peers: string[];
    this.discovering++;
    try {
      peers = await this.deps.tracker.join(id, this.token, swarm, Math.min(50, room + 2));
    } catch (err) {
      this.deps.events.error({ code: 'server-unreachable', message: String(err) });
      return;
    } finally {
      this.discovering--;
    }
    // A few connections per round: every handshake costs both sides CPU, and a page that is starting playback
    // needs it more than its fifth peer. The refresh timer adds the rest.
    let dialled = 0;
    for (const remote of peers) {
      if (this.links.size >= this.deps.config.maxPeers || dialled >= DIALS_PER_ROUND) break;
      if (this.links.has(remote) || this.banned.has(remote)) continue;
      this.connect(remote);
      dialled++;
    }
  }

  private connect(remote: string): void {
    const peer = this.peer;
    if (!peer || peer.destroyed || peer.disconnected) return;
    let conn: ConnectionLike | undefined;
    try {
      conn = peer.connect(remote, { reliable: true, serialization: 'raw' });
    } catch {
      return;
    }
    if (conn) this.addLink(conn, true);
  }

  private addLink(conn: ConnectionLike, outgoing: boolean): void {
    const remote = conn.peer;
    const existing = this.links.get(remote);
    if (existing) {
      // Both sides dialled at once: keep the connection opened by the lower id; an open link always stays.
      const keepNew = !existing.isOpen && outgoing === (this.readyId ?? '') < remote;
      if (!keepNew) {
        conn.close();
        return;
      }
      this.links.delete(remote);
      existing.close('closed');
    }
    const link = new PeerLink(conn, {
      limits: this.limits,
      dialled: outgoing,
      // Isolation: only segments of swarms this page joined, whatever else the store holds; anything else is absent.
      provide: (key, waitMs) =>
        this.deps.config.uploadEnabled && this.inJoinedSwarm(key) ? this.deps.provide(key, waitMs) : undefined,
      throttle: (bytes) => this.upload.take(bytes),
      uploadWaitMs: (bytes) => this.upload.waitFor(bytes),
      // what the store holds of swarms this page left or never joined is nobody's business
      initialHaves: () => new Map([...this.deps.store.keysBySwarm()].filter(([swarm]) => this.swarms.has(swarm))),
      onOpen: (l) => {
        this.deps.events.peer({ peerId: l.remoteId, state: 'connected' });
      },
      onClose: (l, reason, detail) => {
        if (this.links.get(remote) === l) this.links.delete(remote);
        // a peer that broke the protocol or its bounds is not heard again this session
        if (BANNED_FOR.has(reason)) {
          this.banned.add(remote);
          this.deps.events.error({
            code: reason as SwarmErrorCode,
            message: `peer ${remote} dropped for this session${l.everOpened ? '' : ' during its handshake'}: ${detail ?? reason}`,
          });
        }
        // a connection that never opened (a duplicate dial, an unreachable peer) was never announced
        if (!l.everOpened) return;
        this.deps.events.peer({
          peerId: l.remoteId, state: 'disconnected', reason: detail ? `${reason}: ${detail}` : reason,
        });
      },
      onUpload: (_l, bytes) => this.deps.events.upload(bytes),
      now: this.deps.now,
    });
    this.links.set(remote, link);
    // a connection that never opens must not hold a slot
    setTimeout(() => {
      if (!link.isOpen && this.links.get(remote) === link) link.close('peer-timeout');
    }, 10_000);
  }

  private refresh(): void {
    if (this.destroyed || !this.readyId || this.held) return;
    if (this.links.size >= this.deps.config.maxPeers) return;
    for (const swarm of this.swarms) void this.discover(swarm);
  }

  private restart(): void {
    const old = this.peer;
    this.peer = null;
    this.readyId = null;
    try {
      old?.destroy();
    } catch {
      // already gone
    }
    this.scheduleRetry(() => this.start());
  }

  private scheduleRetry(action: () => void): void {
    if (this.destroyed || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.destroyed) return;
      try {
        action();
      } catch {
        this.restart();
      }
    }, delay);
  }
}
