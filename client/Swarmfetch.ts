import Peer from 'peerjs';
import { DEFAULT_CONFIG, type SwarmfetchConfig } from '../core/config';
import { mergeConfig } from '../core/mergeConfig';
import type { AgentApi, SegmentReport, SegmentSource } from '../core/contract';
import { Emitter } from '../core/Emitter';
import { SwarmError, type SwarmErrorCode } from '../core/SwarmError';
import { Agent } from './Agent';
import { PeerPool, type PeerLike } from './PeerPool';
import { SegmentStore } from './SegmentStore';
import { TrackerClient } from './TrackerClient';
import { WorkerBridge } from './WorkerBridge';
import { bufferAheadSec, type MediaLike } from './urgency';

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
  /** Bytes held in the segment store. */
  storeBytes: number;
  storeSegments: number;
  /** This page's peer id, once signalling is up. */
  peerId: string | null;
  /** Whether the service worker controls this page. */
  active: boolean;
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
}

export interface SwarmfetchEvents {
  segment: SegmentEvent;
  peer: { peerId: string; state: 'connected' | 'disconnected'; reason?: string };
  ready: { peerId: string };
  error: { code: SwarmErrorCode; message: string };
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
  private totals = { httpBytes: 0, p2pBytes: 0, storeHitBytes: 0, uploadedBytes: 0, seedBytes: 0 };
  private started = false;
  private destroyed = false;

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
    });
    this.agent = new Agent({
      config: this.config,
      store: this.store,
      pool: this.pool,
      onReport: (r) => this.onReport(r),
      onStored: (s) => this.pool.announce('have', [s]),
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
      manifestText: (m) => this.agent.manifestText(m),
    };
    this.bridge = new WorkerBridge(this.config, api, serviceWorker, pageUrl);
    if (hasWebRTC) {
      this.pool.start();
      this.agent.start();
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
      peers: this.pool.connectedCount,
      storeBytes: this.store.bytes,
      storeSegments: this.store.size,
      peerId: this.pool.peerId,
      active: this.bridge?.controlled ?? false,
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
      return;
    }
    if (r.source === 'http') this.totals.httpBytes += bytes;
    else if (r.source === 'p2p') this.totals.p2pBytes += bytes;
    else if (r.source === 'store') this.totals.storeHitBytes += bytes;
    this.emitter.emit('segment', {
      url: String(r.url), source: r.source, peerId: r.peerId ?? null, bytes, ms: Number(r.ms) || 0,
      fallback: r.fallback ?? null, error: r.error ?? null,
    });
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
