import type { AgentApi, ManifestNotice, ManifestText, SegmentAnswer, SegmentPut, SegmentQuery, SegmentReport } from '../core/contract';
import { CONTRACT_VERSION } from '../core/contract';
import type { SwarmfetchConfig } from '../core/config';
import type { SwarmErrorCode } from '../core/SwarmError';
import { noticesFromText } from '../core/manifestNotices';
import { isValidPut, isValidQuery, validEntries } from './agentInput';
import { fromStore } from './answerFrom';
import { HttpPace } from './HttpPace';
import { servingEndangers } from './urgency';
import { InflightDownloads } from './InflightDownloads';
import { IntegrityProbe } from './IntegrityProbe';
import type { PeerLink } from './PeerLink';
import type { PeerPool } from './PeerPool';
import { PeerFetch, type IntegrityNotice } from './PeerFetch';
import { PeerPayoff } from './PeerPayoff';
import type { PlaylistHashes } from './PlaylistHashes';
import { Playlists } from './Playlists';
import { Prefetcher } from './Prefetcher';
import { ChangeSignal } from './ChangeSignal';
import { RequestPace } from './RequestPace';
import { SegmentResolver } from './SegmentResolver';
import type { SegmentStore, StoredSegment } from './SegmentStore';
import type { SegmentVerifier } from './SegmentVerifier';
import { SwarmUsage } from './SwarmUsage';
import { TrustedMeta } from './TrustedMeta';

const PREFETCH_TICK_MS = 400;
/** A swarm the player has not used for this long (nor any rendition of its stream) is left. */
export const SWARM_IDLE_MS = 60_000;
/** Notices read from one manifest. */
const MAX_NOTICES = 64;

export type PoolView = Pick<
  PeerPool, 'join' | 'linkFor' | 'fetchersOf' | 'openPeerIds' | 'announce' | 'peerId' | 'connecting'
> & Partial<Pick<PeerPool, 'peerHolds'>> & {
  /** Leaves a swarm the player no longer uses (tracker leave; its links and announcements end). */
  leave?(swarm: string): void;
  /** What peers call a segment (see SharedKeys); the key itself without it. */
  sharedKey?(key: string): string;
  /** P2P is switched off: segments go straight to the network, and no hash source is probed. */
  readonly off?: boolean;
  /** Swarm joins are held and the player has not started: no peer can be linked yet (see PeerPool.joinsHeld). */
  readonly joinsHeld?: boolean;
};

export interface AgentDeps {
  config: Readonly<SwarmfetchConfig>;
  store: SegmentStore;
  pool: PoolView;
  onReport(report: SegmentReport): void;
  onStored(segment: StoredSegment, source: 'http' | 'p2p'): void;
  /** Seconds the page's player has buffered ahead, or null when unknown. */
  bufferAhead(): number | null;
  /** Seconds buffered by the least-fed playing media element, null when none plays (see servingEndangers). */
  playingBufferSec?(): number | null;
  /** Asks the worker to download `url` over HTTP into the store (it arrives through putSegment). */
  seed(url: string): void;
  /** Whether seeding through the worker is possible now (the page is controlled). */
  canSeed(): boolean;
  now(): number;
  /** Where segment hashes read in HLS playlists go (the verifier asks them first). */
  playlistHashes?: Pick<PlaylistHashes, 'set'>;
  /** Checks peer bytes before they are stored or answered; without it (tests only) they are accepted as they come. */
  verifier?: Pick<SegmentVerifier, 'expect' | 'check' | 'canAccept' | 'refuses' | 'probe'>;
  /** Ends a peer's link for the rest of the session. */
  ban?(peerId: string, reason: SwarmErrorCode): void;
  /** `direct` changed: tell the worker (see Agent.direct). */
  onDirect?(on: boolean): void;
  /** A peer's segment failed its check (`integrity-mismatch`: the peer was banned) or could not be checked. */
  onIntegrity?(e: IntegrityNotice): void;
}

/**
 * The page agent the service worker talks to — the facade: it checks what crosses the port, keeps what the page's
 * own HTTP brought, and hands the work to its parts: SegmentResolver (one segment: store → peer → a peer fetching
 * it → HTTP), Prefetcher (upcoming segments from peers, elected seeding), PeerFetch (one checked transfer), and
 * SwarmUsage (leaves the swarms the player no longer uses).
 */
export class Agent implements AgentApi {
  readonly playlists = new Playlists();
  private readonly inflight = new InflightDownloads(15_000);
  /** File sizes and content types from this page's own HTTP responses (a peer's are never used). */
  private readonly meta = new TrustedMeta();
  private readonly peerFetch: PeerFetch;
  /** Whether asking peers pays on this page's lines now (see PeerPayoff). */
  readonly payoff: PeerPayoff;
  private readonly prefetcher: Prefetcher;
  private readonly resolver: SegmentResolver;
  private readonly usage = new SwarmUsage(SWARM_IDLE_MS);
  /** What this page's own HTTP does, so a P2P try never leaves the network too little of the buffer. */
  readonly httpPace = new HttpPace();
  /** How fast the player asks for each swarm's segments: how long a prefetch has (see Prefetcher). */
  private readonly pace = new RequestPace();
  /** Tells the worker when `direct` changed. */
  private readonly directSignal: ChangeSignal;
  private readonly integrityProbe: IntegrityProbe;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly deps: AgentDeps) {
    const { config, store, pool, verifier } = deps;
    this.integrityProbe = new IntegrityProbe(verifier);
    const payoff = (this.payoff = new PeerPayoff(deps.now));
    const wireKey = (key: string) => pool.sharedKey?.(key) ?? key;
    this.peerFetch = new PeerFetch({
      wireKey,
      verifier, meta: this.meta, segmentMaxBytes: config.segmentMaxBytes, now: deps.now, onIntegrity: deps.onIntegrity,
      ban: (peerId, reason) => {
        payoff.forget(peerId);
        deps.ban?.(peerId, reason);
      },
    });
    // asking peers pays not (PeerPayoff), or the line is the player's (HttpPace.lineFull): no tries, prefetch or seed
    const peersPaused = () => this.peersPaused;
    this.directSignal = new ChangeSignal(() => this.direct, deps.onDirect);
    this.prefetcher = new Prefetcher({
      config, store, pool, playlists: this.playlists, inflight: this.inflight,
      fromPeer: (link, key, swarm, timeoutMs, waitMs, signal) => this.fromPeer(link, key, swarm, timeoutMs, waitMs, signal, true),
      refuses: (key) => verifier?.refuses(key) ?? false,
      bufferAhead: deps.bufferAhead, seed: deps.seed, canSeed: deps.canSeed, paused: peersPaused,
      leadsMs: (swarm, durations) => this.pace.leadsMs(swarm, durations, deps.now()),
      left: (swarm) => this.pace.left(swarm, deps.now()),
      expectedBytes: (key) => this.httpPace.expectedBytes(key),
      wireKey, now: deps.now,
    });
    this.resolver = new SegmentResolver({
      urgentBufferSec: config.urgentBufferSec, store, pool, inflight: this.inflight,
      prefetched: (key, withinMs) => this.prefetcher.coming(key, withinMs),
      fromPeer: (link, key, swarm, timeoutMs, waitMs) => this.fromPeer(link, key, swarm, timeoutMs, waitMs),
      isLive: (swarm) => this.playlists.isLive(swarm), bufferAhead: deps.bufferAhead, now: deps.now,
      peersPaused,
      before: (swarm, key, n) => this.playlists.before(swarm, key, n),
      expectedHttpMs: (key) => this.httpPace.expectedMs(key), expectedBytes: (key) => this.httpPace.expectedBytes(key),
      abrSlackMs: (key) => this.httpPace.abrSlackMs(key),
    });
  }

  /** Starts the prefetch loop (and the look for idle swarms). */
  start(): void {
    this.timer ??= setInterval(() => this.tick(), PREFETCH_TICK_MS);
  }

  destroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.integrityProbe.destroy();
    this.prefetcher.destroy();
    this.httpPace.clear();
    this.inflight.clear();
    this.playlists.clear();
    this.pace.clear();
  }

  hello(version: number): { version: number } {
    return { version: version === CONTRACT_VERSION ? CONTRACT_VERSION : -1 };
  }

  /**
   * Whether every request would be answered `no-peer` at once but from the store (which then holds only what the
   * player had: nothing is prefetched or seeded): P2P is off, no peer can be linked yet (the joins wait for the
   * player to start: PeerPool.joinsHeld), or the peers are paused (see peersPaused). The worker hears it (`onDirect`)
   * and fetches without waiting for the answer: the player's first segment is not held up by a round trip to a page
   * busy starting its player (30–90 ms in the lab).
   */
  get direct(): boolean {
    return this.deps.pool.off === true || this.deps.pool.joinsHeld === true || this.peersPaused;
  }

  /** Asking peers does not pay now (PeerPayoff), or the line is the player's (HttpPace.lineFull). */
  get peersPaused(): boolean {
    return this.payoff.paused || this.httpPace.lineFull();
  }

  /** Something `direct` reads changed outside the agent (the pool's joins): the worker hears it if it flipped. */
  checkDirect(): void {
    this.directSignal.check();
  }

  async getSegment(query: SegmentQuery): Promise<SegmentAnswer> {
    if (!isValidQuery(query)) return { kind: 'miss', reason: 'protocol-violation' };
    this.deps.pool.join(query.swarm, query.key);
    this.usage.touch(query.swarm, this.deps.now());
    this.playlists.played(query.swarm, query.wholeKey ?? query.key);
    if (!query.range) this.pace.note(query.swarm, this.deps.now());
    this.httpPace.notePlaying(query.wholeKey ?? query.key, this.playlists.durationOf(query.swarm, query.wholeKey ?? query.key),
      this.playlists.nextUpBitsPerSec(query.swarm));
    this.directSignal.check();
    // the worker fetches it already (nothing waited: its report is the line's pace); peers hear it is on its way
    if (query.direct === true) return this.resolver.miss(query, query.wholeKey ?? query.key, 'no-peer');
    const held = fromStore(this.deps.store, query);
    if (held) return held;
    if (this.deps.pool.off) return { kind: 'miss', reason: 'no-peer' };
    this.integrityProbe.probe(query.swarm, query.key);
    // no peer bytes could be taken for it (no hash source covers it): do not ask peers, spend nobody's upload
    if (this.deps.verifier?.refuses(query.key)) return { kind: 'miss', reason: 'integrity-unavailable' };
    const t0 = this.deps.now();
    const answer = await this.resolver.resolve(query);
    // what the worker's report of its HTTP load will count on top of the network's time (an election wait)
    if (answer.kind === 'miss') this.httpPace.noteMissWait(query.key, this.deps.now() - t0);
    return answer;
  }

  putSegment(put: SegmentPut): void {
    if (!isValidPut(put, this.deps.config.segmentMaxBytes)) return;
    this.meta.learn(put.url, put.totalBytes, put.contentType);
    const segment: StoredSegment = {
      key: put.key, swarm: put.swarm, body: put.body, totalBytes: put.totalBytes, contentType: put.contentType,
      from: put.seed ? 'seed' : 'http', delivered: !put.seed,
    };
    if (this.deps.store.put(segment)) this.deps.onStored(segment, 'http');
    this.inflight.settle(put.key, segment);
  }

  report(report: SegmentReport): void {
    if (typeof report !== 'object' || report === null || typeof report.bytes !== 'number') return;
    if (typeof report.key === 'string' && report.error === null && !report.seed) {
      this.httpPace.noteReport(report.key, report.bytes, report.ms, report.source === 'http' && report.fallback === 'no-peer');
      this.directSignal.check();
    }
    // The worker's HTTP download ended. When it brought nothing to share (an error, a 404, too large), the
    // segment's putSegment never came: free the key and tell peers not to wait for us.
    if (report.source === 'http' && !report.seed && typeof report.key === 'string') {
      const swarm = this.inflight.settle(report.key, undefined);
      if (swarm) this.deps.pool.announce('lost', [{ key: report.key, swarm }]);
    }
    this.deps.onReport(report);
  }

  /**
   * The service worker lost this page's port: the browser stopped it (it may do so at any moment), so the HTTP
   * downloads it was running for this page — after a miss, or seeding — died with it and will never be handed
   * over. Forget them, so neither the player's next request (the browser may send the same one again) nor a
   * peer waits for a download that is not coming, and tell peers not to wait for us.
   */
  workerLost(): void {
    const lost = this.inflight.clear();
    const bySwarm = lost.map(([key, swarm]) => ({ key, swarm }));
    if (bySwarm.length) this.deps.pool.announce('lost', bySwarm);
  }

  manifestText(m: ManifestText): void {
    this.manifest(noticesFromText(m, Date.now()));
  }

  manifest(notices: ManifestNotice[]): void {
    if (!Array.isArray(notices)) return;
    const now = this.deps.now();
    const swarms: string[] = [];
    for (const n of notices.slice(0, MAX_NOTICES)) {
      if (typeof n?.swarm !== 'string' || !Array.isArray(n.entries)) continue;
      const entries = validEntries(n);
      // a segment's hash in its playlist: trusted like the playlist itself (the player fetched it over HTTP)
      for (const e of entries) if (typeof e.sha256 === 'string') this.deps.playlistHashes?.set(e.key, e.sha256);
      // a master playlist's variants: join now, the segments come with the media playlist
      if (entries.length > 0) this.playlists.update(n.swarm, entries, n.live === true);
      if (n.nextUpBitsPerSec !== undefined) this.playlists.setNextUp(n.swarm, n.nextUpBitsPerSec);
      this.deps.pool.join(n.swarm, entries[0]?.key);
      this.usage.touch(n.swarm, now);
      swarms.push(n.swarm);
    }
    this.usage.sameStream(swarms);
    this.directSignal.check();
    this.prefetcher.tick();
  }

  /** One round of prefetching (see Prefetcher). */
  prefetch(): void {
    this.prefetcher.tick();
  }

  /**
   * The page says its player is about to play `swarm` (whose segment `key` it named): join it now, so peers connect
   * before the player's first request rather than after it. Marks the swarm used, like a segment request.
   */
  prepare(swarm: string, key: string): void {
    this.deps.pool.join(swarm, key);
    this.usage.touch(swarm, this.deps.now());
  }

  /** What to serve a peer asking for `key`: the stored segment, or ours once our HTTP download of it ends. */
  provide(key: string, waitMs: number): StoredSegment | undefined | Promise<StoredSegment | undefined> {
    // our own player comes first: while it runs short, the lines are its (the asker hears `absent` at once)
    const playing = this.deps.playingBufferSec?.() ?? null;
    if (servingEndangers(playing, this.deps.config.urgentBufferSec, this.httpPace.lastLoadMs)) return undefined;
    // nor while its line carries little more than what its player plays (see HttpPace.lineFull)
    if (this.httpPace.lineFull()) return undefined;
    return this.deps.store.get(key) ?? (this.inflight.has(key) ? this.inflight.wait(key, waitMs) : undefined);
  }

  private tick(): void {
    this.directSignal.check(); // a pause ends with time; P2P is switched on or off
    this.prefetcher.tick();
    const now = this.deps.now();
    if (this.usage.due(now)) this.leaveIdle(now);
  }

  /** Leaves the swarms the player no longer uses (a single-page site that plays one stream after another). */
  leaveIdle(now = this.deps.now()): string[] {
    const idle = this.usage.takeIdle(now);
    for (const swarm of idle) {
      this.playlists.forget(swarm);
      this.pace.forget(swarm);
      this.integrityProbe.forget(swarm);
      this.deps.pool.leave?.(swarm);
    }
    return idle;
  }

  /** One segment from one peer, checked and stored; its outcome judged (PeerPayoff.transfer: not a prefetch's failure). */
  private async fromPeer(link: PeerLink, key: string, swarm: string, timeoutMs: number, waitMs: number, signal?: AbortSignal, prefetch = false): Promise<StoredSegment> {
    const segment = await this.payoff.transfer(link, timeoutMs, () => this.peerFetch.fetch(link, key, swarm, timeoutMs, waitMs, signal), prefetch);
    if (this.deps.store.put(segment)) this.deps.onStored(segment, 'p2p');
    return segment;
  }
}
