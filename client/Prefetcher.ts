import type { SwarmfetchConfig } from '../core/config';
import { electFetcher, swarmMembers } from './electFetcher';
import type { InflightDownloads } from './InflightDownloads';
import type { PeerLink } from './PeerLink';
import { transferMs } from './peer/Throughput';
import type { PeerPool } from './PeerPool';
import type { PlaylistEntry, Playlists } from './Playlists';
import type { StoredSegment } from './SegmentStore';
import { budgetFor } from './urgency';

/** Concurrent P2P prefetches (over all peers: the best link first, see PeerSelection), and seeding HTTP downloads. */
const MAX_PREFETCH = 3;
const MAX_SEEDS = 1;
/** Seeding only covers the next few segments after the player's position. */
const SEED_AHEAD_SEGMENTS = 2;
/** Longest a seeding download may take before its segment is free for others to fetch. */
const SEED_TIMEOUT_MS = 10_000;
/** Longest deadline of one prefetch (a VOD segment the player asks for much later: see RequestPace). */
export const MAX_PREFETCH_TIMEOUT_MS = 20_000;
/** A peer is asked only when the player asks for the segment this many times later than the transfer should take. */
const LEAD_MARGIN = 1.5;
/**
 * How much further than prefetchAheadSec of media the window may reach for a VOD player that loads faster than it
 * plays (see Prefetcher.window). hls.js loads a whole short VOD at its line's pace: on 16/1 Mbit/s lines a viewer
 * asked for a 2 s segment every 0.5 s, so its 30 s window (15 segments) came within 7 s, and a holder on a 1 Mbit/s
 * uplink measured at 58 B/ms (2.2 s a segment) was asked for one segment at a time, at the window's end; the
 * segments 10–30 s away by the player's pace are where a slow uplink can be used.
 */
const BURST_WINDOW_FACTOR = 4;
/**
 * Of the store (storeMaxBytes), the most the window's segments may take by their expected sizes: the store evicts
 * the oldest first, so a window larger than the store would push out the nearest segments, brought for the player,
 * with farther ones. At 8 Mbit/s, 30 s of media is 30 MB and four times that is more than the 64 MiB default.
 */
const WINDOW_STORE_SHARE = 0.5;
/** The rate assumed of a peer not measured yet: a 1 Mbit/s uplink (bytes per ms). */
const UNMEASURED_BYTES_PER_MS = 125;
/**
 * A measured rate older than this, of a peer with nothing of ours under way, counts as no worse than an unmeasured
 * peer's when the player's pace is known: the prefetch measures it again, in the background, within its lead. A
 * rate taken in a busy moment otherwise kept the peer out of prefetch until it relaxed (a quarter per 10 s: see
 * Throughput) — 30 s and more for one taken at a quarter of the peer's pace.
 */
const RATE_TRUST_MS = 6000;

/**
 * A live prefetch's deadline: the budget the player's own request for the segment gets (see budgetFor), with what
 * the player has buffered now. A live player asks for a new segment as soon as its playlist lists it — about when
 * this page sees it, since the playlist comes through the worker — so the prefetch runs into the player's request
 * within moments, and the request waits for it only that long. With twice the worker's budget instead (4 s), holders
 * on 1 Mbit/s uplinks admitted three at once, and the players gave them up at their 800 ms: 27 of the 44 transfers
 * given up in a live dsl run, 1.7 of 2.9 MB of upload wasted.
 */
export function liveTimeoutMs(ahead: number | null, config: Pick<SwarmfetchConfig, 'urgentBufferSec' | 'p2pTimeoutMs'>): number {
  return budgetFor(ahead, config.urgentBufferSec, config.p2pTimeoutMs).budgetMs;
}

interface Prefetch {
  segment: Promise<StoredSegment | undefined>;
  link: PeerLink;
  /** What the peer calls the segment (the key its download runs under). */
  wireKey: string;
  stop: AbortController;
}

export interface PrefetcherDeps {
  config: Pick<Readonly<SwarmfetchConfig>, 'urgentBufferSec' | 'prefetchAheadSec' | 'p2pTimeoutMs' | 'storeMaxBytes'>;
  store: { has(key: string): boolean };
  pool: Pick<PeerPool, 'linkFor' | 'fetchersOf' | 'openPeerIds' | 'announce' | 'peerId'> & Partial<Pick<PeerPool, 'sharedKey'>>;
  playlists: Pick<Playlists, 'activeSwarms' | 'upcoming'> & Partial<Pick<Playlists, 'isLive'>>;
  inflight: InflightDownloads;
  /** One segment from one peer, checked and stored (see PeerFetch); `signal` gives it up. */
  fromPeer(link: PeerLink, key: string, swarm: string, timeoutMs: number, waitMs: number, signal?: AbortSignal): Promise<StoredSegment>;
  /** Ms until the player asks for each of a swarm's upcoming segments (their durations given); null unknown. */
  leadsMs?(swarm: string, durationsSec: readonly number[]): number[] | null;
  /** Bytes expected for a segment (see HttpPace), or null. */
  expectedBytes?(key: string): number | null;
  /** What peers call a segment (see SharedKeys). */
  wireKey?(key: string): string;
  now?(): number;
  /** Whether no peer bytes could be taken for `key` (no hash source covers it). */
  refuses(key: string): boolean;
  /** Seconds the page's player has buffered ahead, or null when unknown. */
  bufferAhead(): number | null;
  /** Asks the worker to download `url` over HTTP into the store (it arrives through putSegment). */
  seed(url: string): void;
  /** Whether seeding through the worker is possible now (the page is controlled). */
  canSeed(): boolean;
  /** Whether the player has left `swarm` for another (see RequestPace.left): neither prefetch nor seed there. */
  left?(swarm: string): boolean;
  /** Asking peers is paused (see PeerPayoff), or the line is the player's (HttpPace.lineFull): neither prefetch nor seed. */
  paused?(): boolean;
}

/**
 * Between the player's requests: fetches upcoming segments from peers into the store, and downloads over HTTP the
 * few this page is elected to seed for its swarm (one at a time, the next two segments) — only while the player is
 * comfortably fed: a starting or starving player gets the page's whole attention (and CPU).
 *
 * VOD, once the player's pace is known (RequestPace): a segment is asked of a peer only when the player will ask
 * for it later than the transfer should take at that peer's measured rate (LEAD_MARGIN times), and the transfer gets
 * that long (at least twice the worker's P2P budget, at most MAX_PREFETCH_TIMEOUT_MS) — so a peer on a 1 Mbit/s
 * uplink serves the segments the player asks for 5–20 s later, instead of failing at the next ones. A prefetch the
 * player asks for before it could end is given up (see `coming`), and the player's segment goes to the network.
 */
export class Prefetcher {
  private readonly prefetching = new Map<string, Prefetch>();
  private seeds = 0;

  constructor(private readonly deps: PrefetcherDeps) {}

  /**
   * A prefetch already bringing `key`, if any: its segment, if it comes within `withinMs`; else it is given up then
   * (at once when its transfer, at the rate it runs, would end later) and the promise resolves undefined.
   */
  coming(key: string, withinMs: number): Promise<StoredSegment | undefined> | undefined {
    const p = this.prefetching.get(key);
    if (!p) return undefined;
    const now = this.deps.now?.() ?? Date.now();
    const end = p.link.projectedDoneAt?.(p.wireKey) ?? null;
    if (end !== null && end > now + withinMs) {
      p.stop.abort();
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        p.stop.abort();
        resolve(undefined);
      }, Math.max(0, withinMs));
      void p.segment.then((s) => {
        clearTimeout(t);
        resolve(s);
      });
    });
  }

  /** Gives up every prefetch under way. */
  destroy(): void {
    for (const p of this.prefetching.values()) p.stop.abort();
    this.prefetching.clear();
  }

  /** One round: every active swarm's upcoming segments. */
  tick(): void {
    const { store, pool, config, playlists, inflight } = this.deps;
    const ahead = this.deps.bufferAhead();
    if (ahead !== null && ahead < config.urgentBufferSec) return;
    if (this.deps.paused?.()) return;
    for (const swarm of playlists.activeSwarms()) {
      if (this.deps.left?.(swarm) === true) continue;
      const live = playlists.isLive?.(swarm) === true;
      const { upcoming, leads } = this.window(swarm);
      upcoming.forEach((e, i) => {
        if (store.has(e.key) || inflight.has(e.key) || this.prefetching.has(e.key)) return;
        if (this.deps.refuses(e.key)) return; // nobody could take it from a peer: neither prefetch nor seed
        const link = this.prefetching.size < MAX_PREFETCH ? pool.linkFor(e.key) : undefined;
        if (link) {
          const lead = leads?.[i] ?? null;
          // the player's pace unknown (a rendition just switched to): the next segments, with twice the worker's
          // budget — from a peer not measured too slow for that. Live: what the player's own request will get (see
          // liveTimeoutMs)
          const timeoutMs = live
            ? liveTimeoutMs(ahead, config)
            : lead === null ? config.p2pTimeoutMs * 2 : Math.min(MAX_PREFETCH_TIMEOUT_MS, Math.max(config.p2pTimeoutMs * 2, lead));
          if (this.inTime(link, e.key, lead ?? timeoutMs, lead !== null)) this.start(link, e.key, swarm, timeoutMs);
          return;
        }
        if (i < SEED_AHEAD_SEGMENTS) this.maybeSeed(e, swarm);
      });
    }
  }

  /**
   * The segments worth bringing ahead in `swarm`, with the time until the player asks for each (null: its pace is
   * unknown, or live): those it will ask for within prefetchAheadSec — at most BURST_WINDOW_FACTOR times that much
   * media. At the pace it plays that is prefetchAheadSec of media, as for live and an unknown pace; a VOD player
   * filling its buffer faster reaches further within the same time (see BURST_WINDOW_FACTOR). Either way no more
   * than fits in part of the store (WINDOW_STORE_SHARE).
   */
  private window(swarm: string): { upcoming: PlaylistEntry[]; leads: number[] | null } {
    const { playlists, config } = this.deps;
    const near = (): PlaylistEntry[] => this.fitStore(playlists.upcoming(swarm, config.prefetchAheadSec));
    if (playlists.isLive?.(swarm) === true || !this.deps.leadsMs) return { upcoming: near(), leads: null };
    const wide = this.fitStore(playlists.upcoming(swarm, config.prefetchAheadSec * BURST_WINDOW_FACTOR));
    const leads = this.deps.leadsMs(swarm, wide.map((e) => e.durationSec));
    if (leads === null) return { upcoming: near(), leads: null };
    let n = 0;
    while (n < wide.length && (leads[n] ?? Infinity) <= config.prefetchAheadSec * 1000) n++;
    return { upcoming: wide.slice(0, n), leads: leads.slice(0, n) };
  }

  /** The first of `entries` whose expected sizes (unknown: none) add up to WINDOW_STORE_SHARE of the store. */
  private fitStore(entries: PlaylistEntry[]): PlaylistEntry[] {
    const room = this.deps.config.storeMaxBytes * WINDOW_STORE_SHARE;
    let bytes = 0;
    for (let i = 0; i < entries.length; i++) {
      bytes += this.deps.expectedBytes?.(entries[i]!.key) ?? 0;
      if (bytes > room) return entries.slice(0, i);
    }
    return entries;
  }

  /**
   * Whether `link`, at its measured rate shared with the downloads it runs for us already, should bring `key` within
   * `leadMs` (its size unknown: worth a try). `assumeSlow` (a lead from the player's pace): an unmeasured peer is taken
   * for a slow uplink, and the transfer must fit the lead LEAD_MARGIN times; otherwise (the deadline is all there is)
   * an unmeasured peer is tried, and the transfer must fit the deadline.
   */
  private inTime(link: PeerLink, key: string, leadMs: number, assumeSlow: boolean): boolean {
    const ms = transferMs(this.rateOf(link, assumeSlow), this.deps.expectedBytes?.(key) ?? null);
    return ms === null || ms * (1 + link.activeDownloads) * (assumeSlow ? LEAD_MARGIN : 1) <= leadMs;
  }

  /**
   * The rate `inTime` reads: the measured one; with `assumeSlow`, UNMEASURED_BYTES_PER_MS for a peer not measured, and
   * at least that for one whose rate is older than RATE_TRUST_MS with nothing of ours under way (measured again).
   */
  private rateOf(link: PeerLink, assumeSlow: boolean): number | null {
    const measured = link.throughput;
    if (!assumeSlow) return measured;
    if (measured === null) return UNMEASURED_BYTES_PER_MS;
    const age = link.throughputAgeMs;
    const stale = typeof age === 'number' && age >= RATE_TRUST_MS && link.activeDownloads === 0;
    return stale ? Math.max(measured, UNMEASURED_BYTES_PER_MS) : measured;
  }

  private start(link: PeerLink, key: string, swarm: string, timeoutMs: number): void {
    const stop = new AbortController();
    const segment = this.deps.fromPeer(link, key, swarm, timeoutMs, 0, stop.signal).then(
      (s) => s,
      () => undefined,
    );
    const p: Prefetch = { segment, link, wireKey: this.deps.wireKey?.(key) ?? key, stop };
    this.prefetching.set(key, p);
    void segment.finally(() => {
      if (this.prefetching.get(key) === p) this.prefetching.delete(key);
    });
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
