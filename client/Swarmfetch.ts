import Peer from 'peerjs';
import { DEFAULT_CONFIG, type SwarmfetchConfig } from '../core/config';
import { mergeConfig } from '../core/mergeConfig';
import type { AgentApi, SegmentReport, SegmentSource } from '../core/contract';
import { Emitter } from '../core/Emitter';
import { SwarmError, type SwarmErrorCode } from '../core/SwarmError';
import { Agent } from './Agent';
import { PeerPool, type PeerLike, type PeerStat } from './PeerPool';
import { SegmentStore } from './SegmentStore';
import { TrackerClient } from './TrackerClient';
import { WorkerBridge } from './WorkerBridge';
import { bufferAheadSec, type MediaLike } from './urgency';
import { whenPlayerStarts } from './whenPlayerStarts';

/** Buffered media at which the player is taken to have started (its first frame is out): peers may be joined. */
const PLAYER_STARTED_BUFFER_SEC = 1;
import { createVerifier } from './createVerifier';
import type { IntegrityManifests } from './IntegrityManifests';
import type { HashSource } from './SegmentVerifier';
import { IntegrityStatus, type IntegrityStats } from './IntegrityStatus';

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
  /** Bytes held in the segment store. */
  storeBytes: number;
  /** The store's bound (`storeMaxBytes`). */
  storeMaxBytes: number;
  storeSegments: number;
  /** This page's peer id, once signalling is up. */
  peerId: string | null;
  /** Whether the service worker controls this page. */
  active: boolean;
  /** Peer segments checked against a trusted hash and accepted. */
  verifiedSegments: number;
  /** Of those, how many by where their hash came from: HLS playlist tag, integrity manifest, hash oracle. */
  verifiedBy: Record<HashSource, number>;
  /** Peer segments that failed their hash check (their senders were banned). */
  integrityMismatches: number;
  /** Peers ended for the rest of the session (broken protocol, bounds, integrity, drip). */
  bannedPeers: number;
  /** The integrity policy and what the latest hash lookup found (see README, Integrity). */
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

/** Collaborators, injectable for tests. */
export interface SwarmfetchDeps {
  createPeer(options: Readonly<SwarmfetchConfig>, token: string, pageUrl: string): PeerLike;
  fetch: typeof fetch;
  serviceWorker: ServiceWorkerContainer | undefined;
  hasWebRTC: boolean;
  pageUrl: string;
  /** The page's media elements (to see how much the player has buffered). */
  media(): Iterable<MediaLike>;
  now(): number;
  random(): number;
}

/** Resolves the P2P server base URL (always ending in '/'). */
export function serverBase(config: Readonly<SwarmfetchConfig>, pageUrl: string): URL {
  const base = new URL(config.serverUrl || '/', pageUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return base;
}

function defaultCreatePeer(config: Readonly<SwarmfetchConfig>, token: string, pageUrl: string): PeerLike {
  const base = serverBase(config, pageUrl);
  const secure = base.protocol === 'https:';
  return new Peer({
    host: base.hostname,
    port: Number(base.port) || (secure ? 443 : 80),
    path: base.pathname.replace(/\/$/, '') + config.peerjsPath,
    key: config.peerjsKey,
    secure,
    token,
    debug: config.debug ? 2 : 0,
    config: { iceServers: config.iceServers },
  }) as unknown as PeerLike;
}

function defaultDeps(): SwarmfetchDeps {
  const g = globalThis as typeof globalThis & { location?: Location };
  return {
    createPeer: defaultCreatePeer,
    fetch: (...args) => fetch(...args),
    serviceWorker: typeof navigator !== 'undefined' && 'serviceWorker' in navigator ? navigator.serviceWorker : undefined,
    hasWebRTC: typeof RTCPeerConnection === 'function',
    pageUrl: g.location?.href ?? 'http://localhost/',
    media: () => (typeof document === 'undefined' ? [] : document.querySelectorAll<HTMLMediaElement>('video, audio')),
    now: () => performance.now(),
    random: Math.random,
  };
}

/**
 * swarmfetch in a page: registers the service worker, runs the agent it talks to, holds the peer connections.
 * Never makes playback worse: when anything is missing it stays out of the way.
 */
export class Swarmfetch {
  readonly config: Readonly<SwarmfetchConfig>;
  private readonly emitter = new Emitter<SwarmfetchEvents>();
  private readonly deps: SwarmfetchDeps;
  private readonly store: SegmentStore;
  private readonly pool: PeerPool;
  private readonly agent: Agent;
  private bridge: WorkerBridge | null = null;
  private readonly manifests: IntegrityManifests | null;
  private totals = {
    httpBytes: 0, p2pBytes: 0, storeHitBytes: 0, uploadedBytes: 0, seedBytes: 0, verifiedSegments: 0, integrityMismatches: 0,
  };
  private verifiedBy: Record<HashSource, number> = { playlist: 0, manifest: 0, oracle: 0 };
  private readonly integrity: IntegrityStatus;
  private started = false;
  private destroyed = false;
  private cancelJoinWait: (() => void) | null = null;

  constructor(options: Partial<SwarmfetchConfig> = {}, deps: Partial<SwarmfetchDeps> = {}) {
    this.config = mergeConfig(options, DEFAULT_CONFIG);
    this.deps = { ...defaultDeps(), ...deps };
    const d = this.deps;
    this.store = new SegmentStore(
      this.config.storeMaxBytes,
      (evicted) => this.pool.announce('lost', evicted),
      (s) => this.agent.playlists.isBehind(s.swarm, s.key),
    );
    this.pool = new PeerPool({
      config: this.config,
      createPeer: (token) => d.createPeer(this.config, token, d.pageUrl),
      tracker: new TrackerClient({
        baseUrl: serverBase(this.config, d.pageUrl).href,
        timeoutMs: this.config.trackerTimeoutMs,
        fetch: d.fetch,
      }),
      store: this.store,
      provide: (key, waitMs) => this.agent.provide(key, waitMs),
      events: {
        peer: (e) => this.emitter.emit('peer', e),
        ready: (peerId) => this.emitter.emit('ready', { peerId }),
        upload: (bytes) => (this.totals.uploadedBytes += bytes),
        error: (e) => this.fail(e.code, e.message),
      },
      now: d.now,
      random: d.random,
      randomBytes: (n) => globalThis.crypto.getRandomValues(new Uint8Array(n)),
      holdJoins: this.config.peerJoinMaxDelayMs > 0,
    });
    this.integrity = new IntegrityStatus(this.config.acceptUnverifiedPeerBytes, (message) => {
      console.warn(message);
      this.emitter.emit('error', { code: 'integrity-unavailable', message });
    });
    const integrity = createVerifier(this.config, {
      fetch: d.fetch, pageUrl: d.pageUrl, serverBase: serverBase(this.config, d.pageUrl).href,
      onError: (code, message) => this.fail(code, message),
      onOutcome: (o) => this.integrity.outcome(o),
    });
    this.manifests = integrity.manifests;
    this.agent = new Agent({
      config: this.config,
      store: this.store,
      pool: this.pool,
      onReport: (r) => this.onReport(r),
      onStored: (s) => {
        if (s.verifiedBy) {
          this.totals.verifiedSegments++;
          this.verifiedBy[s.verifiedBy]++;
        }
        this.pool.announce('have', [s]);
      },
      verifier: integrity.verifier,
      playlistHashes: integrity.playlistHashes,
      ban: (peerId, reason) => this.pool.ban(peerId, reason),
      onIntegrity: (e) => {
        if (e.code === 'integrity-mismatch') {
          this.totals.integrityMismatches++;
          this.fail(e.code, `segment from peer ${e.peerId} failed its check (${e.message}); peer banned: ${e.key}`);
        } else this.integrity.refused();
        this.emitter.emit('integrity', e);
      },
      bufferAhead: () => bufferAheadSec(d.media()),
      seed: (url) => this.bridge?.seed(url),
      canSeed: () => this.bridge?.controlled ?? false,
      now: d.now,
    });
  }

  /** Starts the worker handshake and P2P. Never throws: problems are reported as 'error' events. */
  async start(): Promise<void> {
    if (this.started || this.destroyed) return;
    this.started = true;
    const { serviceWorker, hasWebRTC, pageUrl } = this.deps;
    if (!serviceWorker) {
      this.fail('unsupported', 'service workers are not available; playing over HTTP');
      return;
    }
    // Only the contract methods cross the port, not the agent's internals.
    const api: AgentApi = {
      hello: (v) => this.agent.hello(v),
      getSegment: (q) => this.agent.getSegment(q),
      putSegment: (p) => this.agent.putSegment(p),
      report: (r) => this.agent.report(r),
      manifestText: (m) => {
        // the integrity manifest of a stream is looked up while its playlist is read, not on the first peer segment
        if (typeof m?.url === 'string') this.manifests?.streamManifest(m.url);
        this.agent.manifestText(m);
      },
    };
    this.bridge = new WorkerBridge(this.config, api, serviceWorker, pageUrl, () => this.agent.workerLost());
    if (hasWebRTC) {
      this.pool.start();
      this.agent.start();
      const d = this.deps;
      this.cancelJoinWait = whenPlayerStarts(
        { bufferAhead: () => bufferAheadSec(d.media()), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number) },
        PLAYER_STARTED_BUFFER_SEC,
        this.config.peerJoinMaxDelayMs,
        () => this.pool.release(),
      );
    }
    else this.fail('unsupported', 'WebRTC is not available; segments come over HTTP only');
    try {
      await this.bridge.start();
    } catch (err) {
      this.fail('unsupported', `service worker registration failed: ${String(err)}`);
    }
  }

  stats(): SwarmfetchStats {
    return {
      ...this.totals,
      verifiedBy: { ...this.verifiedBy },
      peers: this.pool.connectedCount,
      peerList: this.pool.peerStats(),
      storeBytes: this.store.bytes,
      storeMaxBytes: this.config.storeMaxBytes,
      storeSegments: this.store.size,
      peerId: this.pool.peerId,
      active: this.bridge?.controlled ?? false,
      bannedPeers: this.pool.bannedCount,
      integrity: this.integrity.stats(),
    };
  }

  on<K extends keyof SwarmfetchEvents>(event: K, listener: (e: SwarmfetchEvents[K]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  off<K extends keyof SwarmfetchEvents>(event: K, listener: (e: SwarmfetchEvents[K]) => void): void {
    this.emitter.off(event, listener);
  }

  /** Stops P2P and the worker handshake; the worker then sends every segment to the network. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.cancelJoinWait?.();
    this.bridge?.destroy();
    this.agent.destroy();
    this.pool.destroy();
    this.store.clear();
    this.emitter.removeAll();
  }


  private onReport(r: SegmentReport): void {
    const bytes = Number.isFinite(r.bytes) && r.bytes > 0 ? r.bytes : 0;
    if (r.seed) {
      this.totals.seedBytes += bytes;
      this.emitter.emit('seed', { url: String(r.url), bytes, ms: Number(r.ms) || 0 });
      return;
    }
    if (r.source === 'http') this.totals.httpBytes += bytes;
    else if (r.source === 'p2p') this.totals.p2pBytes += bytes;
    else if (r.source === 'store') this.totals.storeHitBytes += bytes;
    const verifiedBy = r.source !== 'http' ? this.verifiedByOf(r.key) : null;
    this.emitter.emit('segment', {
      url: String(r.url), source: r.source, peerId: r.peerId ?? null, bytes, ms: Number(r.ms) || 0,
      fallback: r.fallback ?? null, error: r.error ?? null, verified: verifiedBy !== null, verifiedBy,
    });
  }

  private verifiedByOf(key: unknown): HashSource | null {
    if (typeof key !== 'string') return null;
    return (this.store.get(key) ?? this.store.get(key.split('#')[0] ?? ''))?.verifiedBy ?? null;
  }

  private fail(code: SwarmErrorCode, message: string): void {
    if (this.config.debug) console.warn(`swarmfetch: ${message}`);
    this.emitter.emit('error', { code, message });
  }
}

/** Creates and starts swarmfetch in this page. */
export function createSwarmfetch(options: Partial<SwarmfetchConfig> = {}, deps: Partial<SwarmfetchDeps> = {}): Swarmfetch {
  const instance = new Swarmfetch(options, deps);
  void instance.start();
  return instance;
}

export { SwarmError };
