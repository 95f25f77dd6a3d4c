import type { SwarmfetchConfig } from '../core/config';
import { electFetcher, swarmMembers } from './electFetcher';
import type { InflightDownloads } from './InflightDownloads';
import type { PeerLink } from './PeerLink';
import type { PeerPool } from './PeerPool';
import type { PlaylistEntry, Playlists } from './Playlists';
import type { StoredSegment } from './SegmentStore';

/** Concurrent P2P prefetches, and concurrent seeding HTTP downloads. */
const MAX_PREFETCH = 2;
const MAX_SEEDS = 1;
/** Seeding only covers the next few segments after the player's position. */
const SEED_AHEAD_SEGMENTS = 2;
/** Longest a seeding download may take before its segment is free for others to fetch. */
const SEED_TIMEOUT_MS = 10_000;

export interface PrefetcherDeps {
  config: Pick<Readonly<SwarmfetchConfig>, 'urgentBufferSec' | 'prefetchAheadSec' | 'p2pTimeoutMs'>;
  store: { has(key: string): boolean };
  pool: Pick<PeerPool, 'linkFor' | 'fetchersOf' | 'openPeerIds' | 'announce' | 'peerId'> & Partial<Pick<PeerPool, 'sharedKey'>>;
  playlists: Pick<Playlists, 'activeSwarms' | 'upcoming'>;
  inflight: InflightDownloads;
  /** One segment from one peer, checked and stored (see PeerFetch). */
  fromPeer(link: PeerLink, key: string, swarm: string, timeoutMs: number, waitMs: number): Promise<StoredSegment>;
  /** Whether no peer bytes could be taken for `key` (no hash source covers it). */
  refuses(key: string): boolean;
  /** Seconds the page's player has buffered ahead, or null when unknown. */
  bufferAhead(): number | null;
  /** Asks the worker to download `url` over HTTP into the store (it arrives through putSegment). */
  seed(url: string): void;
  /** Whether seeding through the worker is possible now (the page is controlled). */
  canSeed(): boolean;
  /** Asking peers is paused (see PeerPayoff): neither prefetch nor seed, the lines are busy enough. */
  paused?(): boolean;
}

/**
 * Between the player's requests: fetches upcoming segments from peers into the store, and downloads over HTTP the
 * few this page is elected to seed for its swarm (one at a time, the next two segments) — only while the player is
 * comfortably fed: a starting or starving player gets the page's whole attention (and CPU).
 */
export class Prefetcher {
  private readonly prefetching = new Map<string, Promise<StoredSegment | undefined>>();
  private seeds = 0;

  constructor(private readonly deps: PrefetcherDeps) {}

  /** A prefetch already bringing `key`, if any. */
  coming(key: string): Promise<StoredSegment | undefined> | undefined {
    return this.prefetching.get(key);
  }

  /** One round: every active swarm's upcoming segments. */
  tick(): void {
    const { store, pool, config, playlists, inflight } = this.deps;
    const ahead = this.deps.bufferAhead();
    if (ahead !== null && ahead < config.urgentBufferSec) return;
    if (this.deps.paused?.()) return;
    for (const swarm of playlists.activeSwarms()) {
      playlists.upcoming(swarm, config.prefetchAheadSec).forEach((e, i) => {
        if (store.has(e.key) || inflight.has(e.key) || this.prefetching.has(e.key)) return;
        if (this.deps.refuses(e.key)) return; // nobody could take it from a peer: neither prefetch nor seed
        const link = this.prefetching.size < MAX_PREFETCH ? pool.linkFor(e.key) : undefined;
        if (link) {
          const p = this.deps.fromPeer(link, e.key, swarm, config.p2pTimeoutMs * 2, 0).then(
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

  private maybeSeed(e: PlaylistEntry, swarm: string): void {
    const { pool, inflight } = this.deps;
    if (this.seeds >= MAX_SEEDS || !this.deps.canSeed() || pool.fetchersOf(e.key).length > 0) return;
    const members = swarmMembers(pool);
    if (members.length < 2 || electFetcher(pool.sharedKey?.(e.key) ?? e.key, members) !== pool.peerId) return;
    if (!inflight.start(e.key, swarm)) return;
    pool.announce('fetching', [{ key: e.key, swarm }]);
    this.seeds++;
    this.deps.seed(e.url);
    inflight
      .wait(e.key, SEED_TIMEOUT_MS)
      .finally(() => {
        this.seeds--;
        // a seed that brought nothing frees the key (putSegment settles it on success)
        if (inflight.settle(e.key, undefined)) pool.announce('lost', [{ key: e.key, swarm }]);
      });
  }
}
