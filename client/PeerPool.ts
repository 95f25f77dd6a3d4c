import type { SwarmfetchConfig } from '../core/config';
import { SwarmError, type SwarmErrorCode } from '../core/SwarmError';
import { keyInSwarm } from '../core/swarmId';
import { boundLostMessages } from './peer/boundLostMessages';
import {
  ANNOUNCE_BURST_CHARS,
  ANNOUNCE_CHARS_PER_SEC,
  PeerLink,
  REMOTE_KEY_CHARS_MAX,
  type ConnectionLike,
  type PeerLinkLimits,
} from './PeerLink';
import type { SegmentStore, StoredSegment } from './SegmentStore';
import type { TrackerClient } from './TrackerClient';
import { TokenBucket } from './TokenBucket';

/** The part of a PeerJS MediaConnection the pool needs: media calls are refused. */
export interface MediaConnectionLike {
  readonly peer?: string;
  close(): void;
}

/** The part of a PeerJS `Peer` the pool needs (so tests can use a fake). */
export interface PeerLike {
  readonly id: string | null;
  readonly destroyed: boolean;
  readonly disconnected: boolean;
  on(event: 'open', listener: (id: string) => void): unknown;
  on(event: 'connection', listener: (conn: ConnectionLike) => void): unknown;
  on(event: 'call', listener: (call: MediaConnectionLike) => void): unknown;
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

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** Most swarms one page joins (renditions of what it plays). */
const MAX_SWARMS = 16;
/** New connections dialled per tracker answer. */
const DIALS_PER_ROUND = 2;
/** Random bytes in the signalling token (128 bits). */
const TOKEN_BYTES = 16;
/**
 * An open link with no segment bytes either way for this long, that announced nothing this page lacks, gives its
 * slot to a better candidate: a peer the tracker offers when every slot is taken, or (for a link that dialled in)
 * a new peer dialling in when the inbound slots are taken.
 */
const IDLE_REPLACE_MS = 30_000;
/** At most one replacement this often (each handshake costs both sides CPU; an idle swarm must not churn). */
const REPLACE_MIN_GAP_MS = 10_000;
/** Peers replaced this session, not dialled again; and peers whose fetching news is ignored (each bounded, oldest forgotten). */
const MAX_REPLACED_REMEMBERED = 256;
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
  private lastReplaceAt = -Infinity;
  private readonly replaced = new Set<string>();
  /** Peers whose `fetching` news is not believed this session (see FetchingNews); bounded, oldest forgotten. */
  private readonly fetchingIgnored = new Set<string>();

  constructor(private readonly deps: PeerPoolDeps) {
    const randomBytes = deps.randomBytes ?? ((n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n)));
    const bytes = randomBytes(TOKEN_BYTES);
    if (bytes.length !== TOKEN_BYTES) throw new SwarmError('unsupported', 'random source gave too few bytes');
    this.token = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
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
      maxRemoteKeyChars: REMOTE_KEY_CHARS_MAX,
      announceCharsPerSec: ANNOUNCE_CHARS_PER_SEC,
      announceBurstChars: ANNOUNCE_BURST_CHARS,
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
    boundLostMessages(peer); // what PeerJS keeps of signalling for unknown connections (closed calls) is bounded
    peer.on('open', (id) => {
      if (this.peer !== peer) return;
      this.readyId = id;
      this.retryMs = RETRY_MIN_MS;
      this.deps.events.ready(id);
      for (const swarm of this.swarms) void this.discover(swarm);
    });
    peer.on('connection', (conn) => {
      // a peer already linked (both dialled at once) is settled by addLink; anyone else needs an inbound slot
      if (this.peer !== peer || this.banned.has(conn.peer) || (!this.links.has(conn.peer) && !this.roomForInbound())) {
        conn.close();
        return;
      }
      this.addLink(conn, false);
    });
    // Media calls are not part of swarmfetch: refused at once, so a peer cannot make this page hold any.
    peer.on('call', (call) => {
      try {
        call.close();
      } catch {
        // already closed
      }
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

  /** Links that dialled in may hold at most half the slots (rounded up): the rest are kept for the tracker's peers. */
  private get inboundCap(): number {
    return Math.ceil(this.deps.config.maxPeers / 2);
  }

  /** Whether a peer dialling in may have a slot; frees an idle inbound one for it when the inbound slots are taken. */
  private roomForInbound(): boolean {
    let inbound = 0;
    for (const l of this.links.values()) if (!l.dialled) inbound++;
    if (inbound < this.inboundCap && this.links.size < this.deps.config.maxPeers) return true;
    // never a slot of a peer the tracker chose: only another idle link that dialled in gives way
    const victim = this.replaceable((l) => !l.dialled);
    if (!victim) return false;
    this.replace(victim);
    return true;
  }

  /** Whether a key is one this page would want from a peer: a segment of a joined swarm that it does not hold. */
  private needs(key: string): boolean {
    return this.inJoinedSwarm(key) && !this.deps.store.has(key);
  }

  /** The longest-idle open link (of those `eligible`) whose slot is better used, if replacing is allowed now. */
  private replaceable(eligible: (l: PeerLink) => boolean = () => true): PeerLink | undefined {
    if (this.deps.now() - this.lastReplaceAt < REPLACE_MIN_GAP_MS) return undefined;
    let best: PeerLink | undefined;
    let bestIdle = IDLE_REPLACE_MS - 1;
    for (const l of this.links.values()) {
      const idle = l.idleMs();
      if (idle <= bestIdle || !eligible(l) || l.offersAny((k) => this.needs(k))) continue;
      best = l;
      bestIdle = idle;
    }
    return best;
  }

  private replace(victim: PeerLink): void {
    this.lastReplaceAt = this.deps.now();
    this.replaced.add(victim.remoteId);
    if (this.replaced.size > MAX_REPLACED_REMEMBERED) this.replaced.delete(this.replaced.values().next().value as string);
    this.links.delete(victim.remoteId);
    victim.close('closed', `idle for ${Math.round(victim.idleMs() / 1000)} s: slot given to another peer`);
  }

  private async discover(swarm: string): Promise<void> {
    const id = this.readyId;
    if (!id || this.destroyed || this.held) return;
    const room = this.deps.config.maxPeers - this.links.size;
    // every slot taken: still ask while an idle link could make way for a peer the tracker offers
    if (room <= 0 && !this.replaceable()) return;
    let peers: string[];
    this.discovering++;
    try {
      peers = await this.deps.tracker.join(id, this.token, swarm, Math.min(50, Math.max(1, room) + 2));
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
      if (dialled >= DIALS_PER_ROUND || this.destroyed) break;
      if (this.links.has(remote) || this.banned.has(remote) || this.replaced.has(remote)) continue;
      if (this.links.size >= this.deps.config.maxPeers) {
        const victim = this.replaceable();
        if (!victim) break;
        this.replace(victim);
      }
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
      fetchingIgnored: this.fetchingIgnored.has(remote),
      onFetchingIgnored: () => {
        this.fetchingIgnored.add(remote);
        if (this.fetchingIgnored.size > MAX_REPLACED_REMEMBERED) {
          this.fetchingIgnored.delete(this.fetchingIgnored.values().next().value as string);
        }
      },
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
    // the tracker is asked while a slot for its peers is free (inbound links never hold more than half), or an idle
    // link could make way
    if (this.links.size >= this.deps.config.maxPeers && !this.replaceable()) return;
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
