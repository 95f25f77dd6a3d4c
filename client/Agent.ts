import type {
  AgentApi,
  ManifestNotice,
  ManifestText,
  SegmentAnswer,
  SegmentPut,
  SegmentQuery,
  SegmentReport,
  SegmentSource,
} from '../core/contract';
import { CONTRACT_VERSION } from '../core/contract';
import type { SwarmfetchConfig } from '../core/config';
import { resolveRange } from '../core/parseRangeHeader';
import { SwarmError, type SwarmErrorCode } from '../core/SwarmError';
import { keyInSwarm } from '../core/swarmId';
import { noticesFromText } from '../core/manifestNotices';
import { MAX_KEY_LENGTH } from '../core/segmentKey';
import { electFetcher } from './electFetcher';
import { InflightDownloads } from './InflightDownloads';
import type { PeerLink } from './PeerLink';
import type { PeerPool } from './PeerPool';
import type { PlaylistHashes } from './PlaylistHashes';
import { Playlists, type PlaylistEntry } from './Playlists';
import type { SegmentStore, StoredSegment } from './SegmentStore';
import type { SegmentVerifier } from './SegmentVerifier';
import { PeerFetch, type IntegrityNotice } from './PeerFetch';
import { TrustedMeta } from './TrustedMeta';
import { budgetFor } from './urgency';

/** Time kept back from the worker's budget for the answer's trip back. */
const ANSWER_MARGIN_MS = 50;
/** Peers tried for one segment before giving up to the network. */
const MAX_PEER_TRIES = 2;
/** Longest a request waits for the elected peer of its swarm to start downloading a segment. */
const ELECTION_WAIT_MS = 1200;
/** Live: how long a viewer that is not the elected one waits for another's `fetching` before fetching itself. */
const LIVE_ELECTION_WAIT_MS = 150;
/** Longest a request waits for peer connections that are being made (they take ~100–300 ms). */
const CONNECT_WAIT_MS = 800;
const POLL_MS = 40;
/** Concurrent P2P prefetches, and concurrent seeding HTTP downloads. */
const MAX_PREFETCH = 2;
const MAX_SEEDS = 1;
/** Seeding only covers the next few segments after the player's position. */
const SEED_AHEAD_SEGMENTS = 2;
const PREFETCH_TICK_MS = 400;
/** Longest a seeding download may take before its segment is free for others to fetch. */
const SEED_TIMEOUT_MS = 10_000;
/** Swarms whose hash sources were probed (see Agent.probe), and how long after its first request. */
const MAX_PROBED_SWARMS = 64;
const PROBE_DELAY_MS = 1000;

export type PoolView = Pick<
  PeerPool, 'join' | 'linkFor' | 'fetchersOf' | 'openPeerIds' | 'announce' | 'peerId' | 'connecting'
>;

export interface AgentDeps {
  config: Readonly<SwarmfetchConfig>;
  store: SegmentStore;
  pool: PoolView;
  onReport(report: SegmentReport): void;
  onStored(segment: StoredSegment, source: 'http' | 'p2p'): void;
  /** Seconds the page's player has buffered ahead, or null when unknown. */
  bufferAhead(): number | null;
  /** Asks the worker to download `url` over HTTP into the store (it arrives through putSegment). */
  seed(url: string): void;
  /** Whether seeding through the worker is possible now (the page is controlled). */
  canSeed(): boolean;
  now(): number;
  /** Where segment hashes read in HLS playlists go (the verifier asks them first). */
  playlistHashes?: Pick<PlaylistHashes, 'set'>;
  /** Checks peer bytes before they are stored or answered; without it (tests only) they are accepted as they come. */
  verifier?: Pick<SegmentVerifier, 'expect' | 'check' | 'canAccept' | 'refuses'>;
  /** Ends a peer's link for the rest of the session. */
  ban?(peerId: string, reason: SwarmErrorCode): void;
  /** A peer's segment failed its check (`integrity-mismatch`: the peer was banned) or could not be checked. */
  onIntegrity?(e: IntegrityNotice): void;
}

type Miss = SwarmErrorCode | 'not-found' | 'no-peer';

/**
 * The page agent the service worker talks to. For each segment: store → a peer that holds it → a peer
 * downloading it now (when the player's buffer allows) → HTTP by the worker. Between requests it fetches
 * upcoming segments from peers into the store, and downloads over HTTP the few it was elected to seed.
 */
export class Agent implements AgentApi {
  readonly playlists = new Playlists();
  private readonly inflight = new InflightDownloads(15_000);
  private readonly prefetching = new Map<string, Promise<StoredSegment | undefined>>();
  private seeds = 0;
  /** File sizes and content types from this page's own HTTP responses (a peer's are never used). */
  private readonly meta = new TrustedMeta();
  private readonly peerFetch: PeerFetch;
  private readonly probed = new Set<string>();
  private readonly probeTimers = new Set<ReturnType<typeof setTimeout>>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly deps: AgentDeps) {
    this.peerFetch = new PeerFetch({
      verifier: deps.verifier, meta: this.meta, segmentMaxBytes: deps.config.segmentMaxBytes, now: deps.now,
      ban: deps.ban, onIntegrity: deps.onIntegrity,
    });
  }

  /** Starts the prefetch loop. */
  start(): void {
    this.timer ??= setInterval(() => this.prefetch(), PREFETCH_TICK_MS);
  }

  destroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const t of this.probeTimers) clearTimeout(t);
    this.probeTimers.clear();
    this.inflight.clear();
    this.playlists.clear();
  }

  hello(version: number): { version: number } {
    return { version: version === CONTRACT_VERSION ? CONTRACT_VERSION : -1 };
  }

  async getSegment(query: SegmentQuery): Promise<SegmentAnswer> {
    if (!validQuery(query)) return { kind: 'miss', reason: 'protocol-violation' };
    const { pool } = this.deps;
    pool.join(query.swarm);
    this.playlists.played(query.swarm, query.wholeKey ?? query.key);

    const held = this.fromStore(query);
    if (held) return held;
    this.probe(query.swarm, query.key);
    // no peer bytes could be taken for it (no hash source covers it): do not ask peers, spend nobody's upload
    if (this.deps.verifier?.refuses(query.key)) return { kind: 'miss', reason: 'integrity-unavailable' };

    const { budgetMs, starving, connectWaitMs } = budgetFor(
      this.deps.bufferAhead(),
      this.deps.config.urgentBufferSec,
      query.budgetMs - ANSWER_MARGIN_MS,
    );
    const deadline = this.deps.now() + budgetMs;
    const key = query.wholeKey ?? query.key;
    let reason: Miss = 'no-peer';

    // Already on its way here: a prefetch from a peer, or our own HTTP download.
    const coming = this.prefetching.get(key) ?? (this.inflight.has(key) ? this.inflight.wait(key, budgetMs) : undefined);
    if (coming) {
      const s = await withTimeout(coming, budgetMs);
      if (s) return answerFrom(s, query);
      reason = 'peer-timeout';
    }

    const tried = new Set<string>();
    for (let i = 0; i < MAX_PEER_TRIES; i++) {
      const left = deadline - this.deps.now();
      if (left <= 0) break;
      const k = pool.linkFor(query.key, tried) ? query.key : query.wholeKey;
      const link = k ? pool.linkFor(k, tried) : undefined;
      if (!link || !k) break;
      // a starving player does not wait on a peer that has failed and never delivered (the best one, so all are)
      if (starving && link.throughput === 0) break;
      tried.add(link.remoteId);
      const got = await this.fromPeer(link, k, query.swarm, left, 0).catch((e: unknown) => e as SwarmError);
      if (!(got instanceof Error)) return answerFrom(got, query, k);
      reason = SwarmError.is(got) ? got.code : 'peer-closed';
    }

    // A fed player: a peer is downloading it now, or the peer elected to will be soon — wait for it while the buffer
    // allows. A starving player that has started: only a short wait for the connections being made right now.
    const waitForPeers = !starving || (connectWaitMs > 0 && pool.connecting);
    if (waitForPeers && !query.wholeKey) {
      const fetcher = starving
        ? await this.awaitFetcher(key, Math.min(deadline, this.deps.now() + connectWaitMs), tried, 0)
        : await this.awaitFetcher(key, deadline, tried, this.playlists.isLive(query.swarm) ? LIVE_ELECTION_WAIT_MS : ELECTION_WAIT_MS);
      if (fetcher) {
        const left = deadline - this.deps.now();
        const got = await this.fromPeer(fetcher, key, query.swarm, left, Math.max(0, left - 100)).catch(
          (e: unknown) => e as SwarmError,
        );
        if (!(got instanceof Error)) return answerFrom(got, query, key);
        reason = SwarmError.is(got) ? got.code : 'peer-closed';
      }
    }

    // The worker fetches it over HTTP now: tell peers, so they ask us instead of the origin.
    if (!query.range && this.inflight.start(key, query.swarm)) pool.announce('fetching', [{ key, swarm: query.swarm }]);
    return { kind: 'miss', reason };
  }

  putSegment(put: SegmentPut): void {
    if (!validPut(put, this.deps.config.segmentMaxBytes)) return;
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
    for (const n of notices.slice(0, 64)) {
      if (typeof n?.swarm !== 'string' || !Array.isArray(n.entries)) continue;
      const entries: ManifestNotice['entries'] = n.entries.filter(
        (e) => typeof e?.key === 'string' && keyInSwarm(e.key.split('#')[0] ?? '', n.swarm) &&
          typeof e.url === 'string' && Number.isFinite(e.durationSec) && Number.isFinite(e.seq),
      );
      // a segment's hash in its playlist: trusted like the playlist itself (the player fetched it over HTTP)
      for (const e of entries) if (typeof e.sha256 === 'string') this.deps.playlistHashes?.set(e.key, e.sha256);
      // a master playlist's variants: join now, the segments come with the media playlist
      if (entries.length > 0) this.playlists.update(n.swarm, entries, n.live === true);
      this.deps.pool.join(n.swarm);
    }
    this.prefetch();
  }

  /**
   * One round of prefetching: upcoming segments from peers, and the ones this page is elected to seed. Only while
   * the player is comfortably fed: a starting or starving player gets the page's whole attention (and CPU).
   */
  prefetch(): void {
    const { store, pool, config } = this.deps;
    const ahead = this.deps.bufferAhead();
    if (ahead !== null && ahead < config.urgentBufferSec) return;
    for (const swarm of this.playlists.activeSwarms()) {
      const upcoming = this.playlists.upcoming(swarm, config.prefetchAheadSec);
      upcoming.forEach((e, i) => {
        if (store.has(e.key) || this.inflight.has(e.key) || this.prefetching.has(e.key)) return;
        if (this.deps.verifier?.refuses(e.key)) return; // nobody could take it from a peer: neither prefetch nor seed
        const link = this.prefetching.size < MAX_PREFETCH ? pool.linkFor(e.key) : undefined;
        if (link) {
          const p = this.fromPeer(link, e.key, swarm, config.p2pTimeoutMs * 2, 0).then(
            (s) => s,
            () => undefined,
          );
          this.prefetching.set(e.key, p);
          void p.finally(() => this.prefetching.delete(e.key));
          return;
        }
        if (i < SEED_AHEAD_SEGMENTS) this.maybeSeed(e, swarm);
      });
    }
  }

  /** What to serve a peer asking for `key`: the stored segment, or ours once our HTTP download of it ends. */
  provide(key: string, waitMs: number): StoredSegment | undefined | Promise<StoredSegment | undefined> {
    return this.deps.store.get(key) ?? (this.inflight.has(key) ? this.inflight.wait(key, waitMs) : undefined);
  }

  // ---- internals ----

  private fromStore(query: SegmentQuery): SegmentAnswer | null {
    const exact = this.deps.store.get(query.key);
    if (exact) return answerFrom(exact, query, query.key);
    const whole = query.wholeKey ? this.deps.store.get(query.wholeKey) : undefined;
    return whole ? answerFrom(whole, query, query.wholeKey!) : null;
  }

  private async fromPeer(link: PeerLink, key: string, swarm: string, timeoutMs: number, waitMs: number): Promise<StoredSegment> {
    const segment = await this.peerFetch.fetch(link, key, swarm, timeoutMs, waitMs);
    if (this.deps.store.put(segment)) this.deps.onStored(segment, 'p2p');
    return segment;
  }

  /**
   * Looks up the hash of the first segment asked in each swarm, peers or not, so the page learns early whether its
   * stream has a hash source at all (and says so: see Swarmfetch's integrity status). A moment later, not at once:
   * the playlist that lists the segment may still be on its way to the page, and its hash (live HLS) makes any
   * other lookup — an origin copy for the oracle — unneeded. Lookups are cached.
   */
  private probe(swarm: string, key: string): void {
    const { verifier } = this.deps;
    if (!verifier || this.probed.has(swarm)) return;
    if (this.probed.size >= MAX_PROBED_SWARMS) this.probed.delete(this.probed.values().next().value!);
    this.probed.add(swarm);
    const t = setTimeout(() => {
      this.probeTimers.delete(t);
      void verifier.expect(key);
    }, PROBE_DELAY_MS);
    this.probeTimers.add(t);
  }

  /** Members of a swarm as this page sees it: itself and its open peers. */
  private members(): string[] {
    const me = this.deps.pool.peerId;
    return me ? [me, ...this.deps.pool.openPeerIds()] : [];
  }

  /**
   * A peer that holds or downloads `key`, waiting (until `deadline`) up to CONNECT_WAIT_MS while peer connections
   * are being made, then up to ELECTION_WAIT_MS while the peer elected to download it has not said so yet.
   * Null when this page is the elected one, or nobody turns up. `electionWaitMs`: how long the elected peer gets —
   * 0 for a starving player (connections only); LIVE_ELECTION_WAIT_MS for live, where every viewer wants the newest
   * segment within about a second: the first to ask fetches it after that short wait (at once when elected), since
   * waiting long for an elected viewer whose player has not asked yet adds to the latency and often ends in a
   * second HTTP copy; the wait only lets two viewers asking at nearly the same moment see each other's `fetching`.
   */
  private async awaitFetcher(key: string, deadline: number, tried: ReadonlySet<string>, electionWaitMs: number): Promise<PeerLink | null> {
    const { pool } = this.deps;
    const now = (): number => this.deps.now();
    // Connections being made may bring a peer that holds it or will fetch it: give them a moment.
    const connectUntil = Math.min(deadline, now() + CONNECT_WAIT_MS);
    let waitUntil: number | null = null;
    for (;;) {
      const found = pool.linkFor(key, tried) ?? pool.fetchersOf(key).find((l) => !tried.has(l.remoteId));
      if (found) return found;
      if (this.deps.store.has(key)) return null;
      if (!(pool.connecting && now() + POLL_MS <= connectUntil)) {
        // the swarm as it is now: wait for its elected member to say it is fetching, unless that is us
        if (waitUntil === null) {
          const members = this.members();
          const elected = members.length > 1 ? electFetcher(key, members) : null;
          waitUntil = Math.min(deadline, now() + (elected && elected !== pool.peerId ? electionWaitMs : 0));
        }
        if (now() + POLL_MS > waitUntil) return null;
      }
      await sleep(POLL_MS);
    }
  }

  private maybeSeed(e: PlaylistEntry, swarm: string): void {
    const { pool } = this.deps;
    if (this.seeds >= MAX_SEEDS || !this.deps.canSeed() || pool.fetchersOf(e.key).length > 0) return;
    const members = this.members();
    if (members.length < 2 || electFetcher(e.key, members) !== pool.peerId) return;
    if (!this.inflight.start(e.key, swarm)) return;
    pool.announce('fetching', [{ key: e.key, swarm }]);
    this.seeds++;
    this.deps.seed(e.url);
    this.inflight
      .wait(e.key, SEED_TIMEOUT_MS)
      .finally(() => {
        this.seeds--;
        // a seed that brought nothing frees the key (putSegment settles it on success)
        if (this.inflight.settle(e.key, undefined)) pool.announce('lost', [{ key: e.key, swarm }]);
      });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function withTimeout<T>(p: Promise<T | undefined>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), Math.max(0, ms));
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
    );
  });
}

/**
 * The bytes a query asks for out of a stored segment: all of it, or a zero-copy Blob slice for a range of a
 * whole file. A stored range (`key` ≠ wholeKey) answers at its own offset.
 */
function answerFrom(s: StoredSegment, q: SegmentQuery, key = s.key): SegmentAnswer {
  // The first delivery of a prefetched or seeded segment is credited to how it arrived; later ones to the store.
  let source: SegmentSource = 'store';
  let peerId: string | null = null;
  if (!s.delivered) {
    s.delivered = true;
    source = s.from === 'p2p' ? 'p2p' : s.from === 'seed' ? 'http' : 'store';
    peerId = s.peerId ?? null;
  }
  const whole = !q.wholeKey || key === q.wholeKey;
  if (!q.range || !whole) {
    const offset = q.range && 'start' in q.range ? q.range.start : 0;
    const totalBytes = s.totalBytes ?? (offset === 0 ? s.body.size : null);
    return { kind: 'hit', source, peerId, body: s.body, totalBytes, start: whole ? 0 : offset, contentType: s.contentType };
  }
  const size = s.body.size;
  const r = resolveRange(q.range, size);
  if (!r) return { kind: 'unsatisfiable', totalBytes: size };
  return {
    kind: 'hit', source, peerId, body: s.body.slice(r.start, r.end + 1, s.contentType ?? undefined),
    totalBytes: size, start: r.start, contentType: s.contentType,
  };
}

function validQuery(q: SegmentQuery): boolean {
  return (
    typeof q === 'object' && q !== null &&
    typeof q.key === 'string' && q.key.length <= MAX_KEY_LENGTH + 40 &&
    typeof q.swarm === 'string' && typeof q.budgetMs === 'number' && q.budgetMs > 0
  );
}

function validPut(p: SegmentPut, max: number): boolean {
  return (
    typeof p === 'object' && p !== null && typeof p.key === 'string' && typeof p.swarm === 'string' &&
    typeof p.url === 'string' && (p.totalBytes === null || Number.isSafeInteger(p.totalBytes)) &&
    (p.contentType === null || typeof p.contentType === 'string') && p.body instanceof Blob && p.body.size <= max && keyInSwarm(p.key.split('#')[0] ?? '', p.swarm)
  );
}
