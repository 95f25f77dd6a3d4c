import { DEFAULT_CONFIG, type SwarmfetchConfig } from '../core/config';
import { mergeConfig } from '../core/mergeConfig';
import { segmentKey, swarmId, type AgentApi } from '../core/contract';
import { Emitter } from '../core/Emitter';
import type { SwarmErrorCode } from '../core/SwarmError';
import { Agent } from './Agent';
import { createVerifier } from './createVerifier';
import type { IntegrityManifests } from './IntegrityManifests';
import { IntegrityStatus } from './IntegrityStatus';
import { isSupported } from './isSupported';
import { OffloadBeacon } from './OffloadBeacon';
import { PeerPool } from './PeerPool';
import { SegmentStore } from './SegmentStore';
import { ServerList } from './ServerList';
import { SwarmfetchTotals } from './SwarmfetchTotals';
import { JoinGate } from './JoinGate';
import { ManifestCatchUp } from './ManifestCatchUp';
import { defaultDeps, type SwarmfetchDeps } from './swarmfetchDeps';
import type { SwarmfetchEvents, SwarmfetchStats } from './SwarmfetchEvents';
import { TrackerClient } from './TrackerClient';
import { WorkerBridge } from './WorkerBridge';
import { HeldUntilLoaded } from './HeldUntilLoaded';
import { bufferAheadSec, mediaPlaying, playingBufferSec } from './urgency';
import { whenPlayerStarts, type PlayerStartDeps } from './whenPlayerStarts';

export type { IntegrityEvent, SegmentEvent, SwarmfetchEvents, SwarmfetchStats } from './SwarmfetchEvents';
export type { SwarmfetchDeps } from './swarmfetchDeps';

/** Buffered media at which the player is taken to have started (its first frame is out): peers may be joined. */
const PLAYER_STARTED_BUFFER_SEC = 1;
/** Longest the manifests the agent did not get wait for the player to start before they are fetched again. */
const CATCH_UP_MAX_WAIT_MS = 10_000;
/** Longest a manifest fetched again may take (ManifestCatchUp). */
const CATCH_UP_FETCH_TIMEOUT_MS = 10_000;

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
  private beacon: OffloadBeacon | null = null;
  private readonly tracker: TrackerClient;
  private readonly manifests: IntegrityManifests | null;
  private readonly tally: SwarmfetchTotals;
  private readonly integrity: IntegrityStatus;
  private started = false;
  /** The worker could not be registered: P2P stays off (nothing it brought could reach the player). */
  private workerFailed = false;
  /**
   * This page's own requests held at start (signalling, ICE servers, integrity manifests), run once the player's first
   * segment is in (or it started, or a stream was prepared). On the lab's first visits, made as the player loaded its
   * playlists and first segment, they added ~5–15 % to the time to first frame (docs/benchmark.md, sixth session);
   * they are ready well before they are needed: the joins go at the first frame, and a peer segment's check waits for
   * its manifest. Nothing is held when the joins are not (`peerJoinMaxDelayMs` 0).
   */
  private readonly untilLoaded: HeldUntilLoaded;
  private destroyed = false;
  private cancelJoinWait: (() => void) | null = null;
  private cancelCatchUpWait: (() => void) | null = null;
  /** The manifests the agent did not get are fetched again from now on (see ManifestCatchUp). */
  private catchUpDue = false;
  private readonly joinGate: JoinGate;
  private readonly catchUp: ManifestCatchUp;

  constructor(options: Partial<SwarmfetchConfig> = {}, deps: Partial<SwarmfetchDeps> = {}) {
    this.config = mergeConfig(options, DEFAULT_CONFIG);
    this.deps = { ...defaultDeps(), ...deps };
    this.untilLoaded = new HeldUntilLoaded(this.config.peerJoinMaxDelayMs > 0);
    const d = this.deps;
    // signalling picks the server (and moves on when it is lost); the tracker and the oracle ask the one it uses now
    const servers = new ServerList(this.config.serverUrl, d.pageUrl, d.random);
    const serverBase = () => servers.current().href;
    this.tracker = new TrackerClient({
      baseUrl: serverBase,
      timeoutMs: this.config.trackerTimeoutMs,
      fetch: d.fetch,
    });
    this.store = new SegmentStore(
      this.config.storeMaxBytes,
      (evicted) => this.pool.announce('lost', evicted),
      (s) => this.agent.playlists.isBehind(s.swarm, s.key),
    );
    this.tally = new SwarmfetchTotals(this.store, this.emitter);
    this.pool = new PeerPool({
      config: this.config,
      createPeer: (token, id) =>
        id === undefined ? d.createPeer(this.config, token, d.pageUrl, serverBase()) : d.createPeer(this.config, token, d.pageUrl, serverBase(), id),
      servers,
      tracker: this.tracker,
      store: this.store,
      provide: (key, waitMs) => this.agent.provide(key, waitMs),
      events: {
        peer: (e) => this.emitter.emit('peer', e),
        ready: (peerId) => this.emitter.emit('ready', { peerId }),
        upload: (bytes) => this.tally.uploaded(bytes),
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
      fetch: d.fetch, pageUrl: d.pageUrl, serverBase,
      onError: (code, message) => this.fail(code, message),
      onOutcome: (o) => this.integrity.outcome(o),
    });
    this.manifests = integrity.manifests;
    this.agent = new Agent({
      config: this.config,
      store: this.store,
      pool: this.pool,
      onReport: (r) => {
        this.tally.report(r);
        if (r.seed || r.error !== null || !(r.bytes > 0)) return;
        // the player's first segment is in, and with it the line's pace: the page's own requests go (untilLoaded).
        // The joins held at start go at its first frame (whenPlayerStarts, JoinGate) — at once on a page without a
        // media element, which shows none; its next requests, from now on, wait for them rather than go direct
        this.untilLoaded.release();
        if (this.pool.joinsHeld) {
          this.pool.expectRelease();
          this.agent.checkDirect();
          if (bufferAheadSec(this.deps.media()) === null) this.joinGate.playerStarted();
        }
      },
      onStored: (s) => {
        this.tally.stored(s);
        this.pool.announce('have', [s]);
      },
      verifier: integrity.verifier,
      playlistHashes: integrity.playlistHashes,
      ban: (peerId, reason) => this.pool.ban(peerId, reason),
      onIntegrity: (e) => {
        if (e.code === 'integrity-mismatch') {
          this.tally.integrityMismatch();
          this.fail(e.code, `segment from peer ${e.peerId} failed its check (${e.message}); peer banned: ${e.key}`);
        } else this.integrity.refused();
        this.emitter.emit('integrity', e);
      },
      bufferAhead: () => bufferAheadSec(d.media()),
      playingBufferSec: () => playingBufferSec(d.media()),
      seed: (url) => this.bridge?.seed(url),
      onDirect: (on) => {
        this.bridge?.direct(on);
        if (!on) this.joinGate.check();
      },
      // seeding is for peers: not while this page does not serve them
      canSeed: () => (this.bridge?.controlled ?? false) && this.pool.uploadEnabled,
      now: d.now,
    });
    this.joinGate = new JoinGate({
      release: () => {
        this.pool.release();
        this.agent.checkDirect();
      },
      paused: () => this.agent.peersPaused, paceAwaited: () => this.agent.httpPace.paceAwaited,
      now: d.now, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number),
    });
    // nothing waits for these requests, but none is left open: a manifest that takes 10 s is not coming
    this.catchUp = new ManifestCatchUp({
      loaded: () => d.loaded(),
      fetch: (url) => d.fetch(url, { signal: AbortSignal.timeout(CATCH_UP_FETCH_TIMEOUT_MS) }),
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
        if (typeof m?.url === 'string') {
          const url = m.url;
          this.untilLoaded.run(() => this.manifests?.streamManifest(url));
          this.catchUp.noteRead(m.url);
        }
        this.agent.manifestText(m);
      },
      workerError: (e) => this.fail(e.code, e.message),
    };
    this.bridge = new WorkerBridge(this.config, api, serviceWorker, pageUrl, () => this.agent.workerLost(), () => {
      if (this.catchUpDue) this.catchUp.run();
    });
    if (hasWebRTC) {
      // nothing while P2P is switched off: setP2pEnabled(true) goes on from here
      this.untilLoaded.run(() => this.pool.start());
      this.agent.start();
      // the worker hears it with its first port, before the player's first request: joins held, that goes direct
      this.agent.checkDirect();
      if (this.config.offloadBeaconIntervalMs) {
        const pool = this.pool;
        this.beacon = new OffloadBeacon({
          intervalMs: this.config.offloadBeaconIntervalMs,
          totals: () => this.tally.totals,
          enabled: () => !pool.off,
          peer: () => (pool.peerId ? { peerId: pool.peerId, token: pool.token } : null),
          post: (body, last) => this.tracker.beacon(body, last),
        });
        this.beacon.start();
      }
      const d = this.deps;
      const player: PlayerStartDeps = {
        bufferAhead: () => bufferAheadSec(d.media()), playing: () => mediaPlaying(d.media()), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number),
      };
      const joinWaitMs = this.config.peerJoinMaxDelayMs;
      this.cancelJoinWait = whenPlayerStarts(player, PLAYER_STARTED_BUFFER_SEC, joinWaitMs, () => {
        this.untilLoaded.release(); // a page whose worker reports nothing (none controls it yet)
        this.joinGate.playerStarted();
      });
      // the manifests the agent did not get (see ManifestCatchUp), once the player has started (they are all loaded
      // by then, and those the worker still had to hand over are in) and the worker serves the page
      this.cancelCatchUpWait = whenPlayerStarts(player, PLAYER_STARTED_BUFFER_SEC, CATCH_UP_MAX_WAIT_MS, () => {
        this.catchUpDue = true;
        if (this.bridge?.controlled) this.catchUp.run();
      });
    }
    else this.fail('unsupported', 'WebRTC is not available; segments come over HTTP only');
    try {
      await this.bridge.start();
    } catch (err) {
      // nothing can be delivered to this page's player nor kept to share: no peer connection, no upload, no tracker
      this.workerFailed = true;
      this.pool.setEnabled(false);
      this.fail('unsupported', `service worker registration failed: ${String(err)}; P2P off`);
    }
  }

  stats(): SwarmfetchStats {
    const relayed = this.pool.relayedBytes();
    return {
      ...this.tally.totals,
      verifiedBy: { ...this.tally.verifiedBy },
      peers: this.pool.connectedCount,
      peerList: this.pool.peerStats(),
      relayedDownloadedBytes: relayed[0],
      relayedUploadedBytes: relayed[1],
      uplinkBytesPerSec: this.pool.uplinkBytesPerSec,
      p2pPaused: this.agent.payoff.paused,
      p2pPauses: this.agent.payoff.pauseCount,
      storeBytes: this.store.bytes,
      storeMaxBytes: this.config.storeMaxBytes,
      storeSegments: this.store.size,
      peerId: this.pool.peerId,
      active: this.bridge?.controlled ?? false,
      p2pEnabled: !this.pool.off,
      uploadEnabled: this.pool.uploadEnabled,
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

  /**
   * Whether this browser can deliver segments over P2P here (secure context, service workers, WebRTC, WebSocket,
   * crypto.subtle). Makes nothing; where it is false the page plays over HTTP as before.
   */
  static isSupported = isSupported;

  /** See the static isSupported (the drop-in's `window.swarmfetch` is an instance). */
  isSupported(): boolean {
    return isSupported();
  }

  /**
   * P2P on or off at runtime (say, with the viewer's consent; `p2pEnabled: false` starts it off). Off: every peer
   * connection closes and signalling ends (the P2P server and other viewers no longer see this viewer's address),
   * nothing is asked of the P2P server, and every segment goes over HTTP through the worker without waiting for
   * peers. On: joins the swarms again under a new peer id — not on a page whose worker could not be registered.
   */
  setP2pEnabled(enabled: boolean): void {
    this.pool.setEnabled(enabled === true && !this.workerFailed);
  }

  /**
   * Serving peers on or off at runtime (`uploadEnabled` starts it); downloads from peers go on either way. Off: uploads
   * under way end at once (their peers go elsewhere), peers are told this page holds nothing and asked for nothing.
   */
  setUploadEnabled(enabled: boolean): void {
    this.pool.setUploadEnabled(enabled === true);
  }

  /**
   * Gets peers ready for a stream before the player asks for it: joins the swarm of `mediaUrl` (a segment's URL,
   * or a progressive file's) now, so peer connections are made while the page sets up its player and its first
   * requests can already come from peers. A plain `<video src>` reads a whole file ahead at once, so without it the
   * first pieces of a progressive file go over HTTP while the connections are being made. The join goes out at once
   * (with any joins held by peerJoinMaxDelayMs: that delay is for the joins swarmfetch makes on its own). Returns
   * false (and does nothing) for a URL that cannot be shared (not http(s), too long) or after destroy().
   */
  prepare(mediaUrl: string): boolean {
    if (this.destroyed || typeof mediaUrl !== 'string') return false;
    let url: string;
    try {
      url = new URL(mediaUrl, this.deps.pageUrl).href;
    } catch {
      return false;
    }
    const swarm = swarmId(new URL(this.deps.pageUrl).origin, url);
    const key = segmentKey(url);
    if (swarm === null || key === null) return false;
    this.agent.prepare(swarm, key);
    this.cancelJoinWait?.();
    this.cancelJoinWait = null;
    this.untilLoaded.release();
    this.pool.release();
    return true;
  }

  /** Stops P2P and the worker handshake; the worker then sends every segment to the network. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.untilLoaded.destroy();
    this.beacon?.destroy(); // its last one, while the peer id is still known
    this.cancelJoinWait?.();
    this.cancelCatchUpWait?.();
    this.joinGate.destroy();
    this.catchUp.destroy();
    this.bridge?.destroy();
    this.agent.destroy();
    this.pool.destroy();
    this.store.clear();
    this.emitter.removeAll();
  }

  private fail(code: SwarmErrorCode, message: string): void {
    if (this.config.debug) console.warn(`swarmfetch: ${message}`);
    this.emitter.emit('error', { code, message });
  }
}
