import type { SegmentAnswer, SegmentQuery } from '../core/contract';
import { SwarmError, type SwarmErrorCode } from '../core/SwarmError';
import { answerFrom } from './answerFrom';
import { electFetcher, swarmMembers } from './electFetcher';
import type { InflightDownloads } from './InflightDownloads';
import type { PeerLink } from './PeerLink';
import { JUDGED_MIN_TIMEOUT_MS } from './PeerPayoff';
import type { PeerPool } from './PeerPool';
import type { StoredSegment } from './SegmentStore';
import { transferMs } from './peer/Throughput';
import { budgetFor } from './urgency';

/** Time kept back from the worker's budget for the answer's trip back. */
const ANSWER_MARGIN_MS = 50;
/** Peers tried for one segment before giving up to the network. */
const MAX_PEER_TRIES = 2;
/**
 * A holder is not asked when its measured rate would take more than this many times the time left (see resolve):
 * on 10/2 Mbit/s lines peers measured at 30–50 B/ms (8–13 s for a 375 KB segment) wasted 5.6 MB of 11 uploaded;
 * skipping any peer that missed the budget at all cost a third of the offload on 50/10 Mbit/s lines.
 */
const HOLDER_SLOWNESS_FACTOR = 2;
/** Longest a request waits for the elected peer of its swarm to start downloading a segment. */
const ELECTION_WAIT_MS = 1200;
/** Live: how long a viewer that is not the elected one waits for another's `fetching` before fetching itself. */
const LIVE_ELECTION_WAIT_MS = 150;
/**
 * VOD: the elected peer is waited for only when it announced one of this many segments right before the one asked
 * for (it is at this page's position, so about to fetch it); a peer behind never fetches it in time.
 */
const ELECTED_NEAR_SEGMENTS = 2;
/**
 * Longest a request waits for peer connections that are being made (they take ~100–300 ms), when it asked no peer:
 * one that asked the peers it has already waits for no newcomer. In a swarm, one is being connected most of the
 * time; on 16/1 Mbit/s lines fed players whose open peers had failed waited 0.46–0.8 s for them, for nothing, before
 * HTTP.
 */
const CONNECT_WAIT_MS = 800;
const POLL_MS = 40;
/**
 * A peer's bytes come down this page's own line, behind a peer's uplink that is rarely faster: a request with a
 * budget too short for its failure to be judged (PeerPayoff's JUDGED_MIN_TIMEOUT_MS: an 800 ms starving try, a fed
 * player's few hundred ms beyond the urgent mark) asks no peer when that budget is under this many times the line's
 * own expected time for the segment (HttpPace) — no peer could bring it in time, and the try only delays the load the
 * player waits for. Live on 1/0.5 Mbit/s lines, 800 ms tries for 65 KB segments (0.5–0.65 s of the line) timed out or
 * came back `absent` one after another, each adding 0.4–0.9 s to a load, and the latency kept it: a starting
 * viewer's, and a fed one's at the live edge (4–4.8 s buffered: max(800 ms, buffer − 4 s) of budget). Bounded up to
 * 800 ms only, the tries of 0.8–1 s (4.8–5 s buffered) went on, unjudged: in one run a viewer's 16 tries timed out,
 * four viewers uploaded 2.5 MB and delivered none, and asking peers never paused. So every try is bounded by the line
 * or judged. Only the short budgets: the line's pace is read from this page's HTTP loads, which a loaded machine
 * makes slow too (a late viewer's first loads took 0.8–1.3 s on an unshaped lab line), and a player with more
 * buffered can spare a try.
 */
const LINE_TRY_FACTOR = 2;

type Miss = SwarmErrorCode | 'not-found' | 'no-peer';

export type ResolverPool = Pick<PeerPool, 'linkFor' | 'fetchersOf' | 'openPeerIds' | 'announce' | 'peerId' | 'connecting'> &
  Partial<Pick<PeerPool, 'sharedKey' | 'peerHolds' | 'linkOf'>>;

export interface SegmentResolverDeps {
  urgentBufferSec: number;
  store: { has(key: string): boolean };
  pool: ResolverPool;
  inflight: InflightDownloads;
  /**
   * A prefetch from a peer already bringing `key`, if any: its segment within `withinMs`, else undefined (the
   * prefetch is then given up).
   */
  prefetched(key: string, withinMs: number): Promise<StoredSegment | undefined> | undefined;
  /** One segment from one peer, checked and stored (see PeerFetch). */
  fromPeer(link: PeerLink, key: string, swarm: string, timeoutMs: number, waitMs: number): Promise<StoredSegment>;
  isLive(swarm: string): boolean;
  /** Seconds the page's player has buffered ahead, or null when unknown. */
  bufferAhead(): number | null;
  now(): number;
  /** Asking peers is paused (see PeerPayoff): a segment not already on its way goes to the network at once. */
  peersPaused?(): boolean;
  /** The keys of the (at most) `n` playlist entries right before `key` in its swarm; [] when unknown. */
  before?(swarm: string, key: string, n: number): string[];
  /** Milliseconds this page's HTTP is expected to take for `key`, or null when unknown (see HttpPace). */
  expectedHttpMs?(key: string): number | null;
  /** Bytes expected for `key` (see HttpPace), or null when unknown. */
  expectedBytes?(key: string): number | null;
  /** Longest the player's request for `key` may wait for peers and stay honest to its ABR (HttpPace.abrSlackMs). */
  abrSlackMs?(key: string): number | null;
}

/**
 * Finds one segment the store does not hold, within the worker's budget: a prefetch or our own download already
 * on its way → a peer that holds it → (while the player's buffer allows) a peer downloading it now, or the one
 * elected to → a miss, after which the worker fetches it over HTTP and peers are told so.
 */
export class SegmentResolver {
  constructor(private readonly deps: SegmentResolverDeps) {}

  async resolve(query: SegmentQuery): Promise<SegmentAnswer> {
    const { pool, inflight } = this.deps;
    const key = query.wholeKey ?? query.key;
    const httpMs = this.deps.expectedHttpMs?.(key) ?? null;
    const { budgetMs, starving, connectWaitMs } = budgetFor(
      this.deps.bufferAhead(),
      this.deps.urgentBufferSec,
      query.budgetMs - ANSWER_MARGIN_MS,
      httpMs,
    );
    // what peers may take of it: no more than the player's ABR can take as the network's time (our own download
    // below is the network's)
    const slack = this.deps.abrSlackMs?.(key) ?? null;
    const peerBudgetMs = slack === null ? budgetMs : Math.min(budgetMs, slack);
    const deadline = this.deps.now() + peerBudgetMs;
    let reason: Miss = 'no-peer';

    // A prefetch from a peer bringing it: waited for within the budget, like a peer asked now — given up at once when
    // at the rate it runs it would end later, and then the network it is (a peer asked again would be as slow).
    const prefetch = this.deps.prefetched(key, peerBudgetMs);
    if (prefetch) {
      const s = await prefetch;
      if (s) return answerFrom(s, query);
      return this.miss(query, key, 'peer-timeout');
    }
    // Our own HTTP download of it, already on its way.
    if (inflight.has(key)) {
      const s = await withTimeout(inflight.wait(key, budgetMs), budgetMs);
      if (s) return answerFrom(s, query);
      reason = 'peer-timeout';
    }

    const tried = new Set<string>();
    // asking peers paused, or a short budget no peer could meet through this page's own line (see LINE_TRY_FACTOR)
    const lineTooSlow = httpMs !== null && budgetMs < JUDGED_MIN_TIMEOUT_MS && budgetMs < LINE_TRY_FACTOR * httpMs;
    const askPeers = this.deps.peersPaused?.() !== true && !lineTooSlow;
    const tries = { left: askPeers ? MAX_PEER_TRIES : 0 };
    const held = await this.askHolders(query, deadline, starving, tried, tries);
    if (held.answer) return held.answer;
    reason = held.reason ?? reason;

    // A fed player: a peer is downloading it now, or the peer elected to will be soon — wait for it while the buffer
    // allows. A starving player that has started: only a short wait for the connections being made right now.
    const waitForPeers = askPeers && peerBudgetMs > 0 && (!starving || (connectWaitMs > 0 && pool.connecting));
    if (waitForPeers && !query.wholeKey) {
      const fetcher = starving
        ? await this.awaitFetcher(key, query.swarm, Math.min(deadline, this.deps.now() + connectWaitMs), tried, 0)
        : await this.awaitFetcher(key, query.swarm, deadline, tried, this.deps.isLive(query.swarm) ? LIVE_ELECTION_WAIT_MS : ELECTION_WAIT_MS);
      if (fetcher) {
        tried.add(fetcher.remoteId);
        tries.left = Math.max(0, tries.left - 1);
        const left = deadline - this.deps.now();
        const got = await this.deps.fromPeer(fetcher, key, query.swarm, left, Math.max(0, left - 100)).catch(
          (e: unknown) => e as SwarmError,
        );
        if (!(got instanceof Error)) return answerFrom(got, query, key);
        reason = SwarmError.is(got) ? got.code : 'peer-closed';
        // it failed (closed mid-transfer, say): another holder may still bring it in time, as when holders were
        // there from the start — a request that came while its page's first connections were being made got one
        // peer only (seen: the peer closed, and the segment went to HTTP with 5 s of budget left)
        const again = await this.askHolders(query, deadline, starving, tried, tries);
        if (again.answer) return again.answer;
        reason = again.reason ?? reason;
      }
    }

    return this.miss(query, key, reason);
  }

  /**
   * Asks the holders of `key` not in `tried`, best first, while `tries.left` and time remain (a holder skipped as too
   * slow is no try): its answer, or the last failure's code (none when no holder was asked).
   */
  private async askHolders(
    query: SegmentQuery, deadline: number, starving: boolean, tried: Set<string>, tries: { left: number },
  ): Promise<{ answer?: SegmentAnswer; reason?: Miss }> {
    const { pool } = this.deps;
    let reason: Miss | undefined;
    while (tries.left > 0) {
      const left = deadline - this.deps.now();
      if (left <= 0) break;
      const k = pool.linkFor(query.key, tried) ? query.key : query.wholeKey;
      const link = k ? pool.linkFor(k, tried) : undefined;
      if (!link || !k) break;
      // a starving player does not wait on a peer that has failed and never delivered (the best one, so all are)
      if (starving && link.throughput === 0) break;
      tried.add(link.remoteId);
      // nor does anyone ask a holder measured at less than half the pace the budget needs: its bytes would be thrown
      // away halfway (the next best is asked instead). Only that far off: a rate taken on a busy moment — a peer
      // serving others, a loaded machine — must not shut a peer out of the player's requests
      if (this.tooSlow(link, k, left * HOLDER_SLOWNESS_FACTOR)) continue;
      tries.left--;
      const got = await this.deps.fromPeer(link, k, query.swarm, left, 0).catch((e: unknown) => e as SwarmError);
      if (!(got instanceof Error)) return { answer: answerFrom(got, query, k) };
      reason = SwarmError.is(got) ? got.code : 'peer-closed';
    }
    return reason === undefined ? {} : { reason };
  }

  /**
   * Whether `link`, at its measured rate, would bring `key` after `leftMs` (a rate of 0 — it failed before ever
   * delivering — is not judged here): then it is not waited for. The rate is what its transfers got, alongside the
   * others it ran for us at the time: it is not shared out again.
   */
  private tooSlow(link: PeerLink, key: string, leftMs: number): boolean {
    const rate = link.throughput;
    if (typeof rate !== 'number' || !(rate > 0)) return false;
    const ms = transferMs(rate, this.deps.expectedBytes?.(key) ?? null);
    return ms !== null && ms > leftMs;
  }

  /** The worker fetches it over HTTP now: tell peers, so they ask us instead of the origin. */
  miss(query: SegmentQuery, key: string, reason: Miss): SegmentAnswer {
    if (!query.range && this.deps.inflight.start(key, query.swarm)) this.deps.pool.announce('fetching', [{ key, swarm: query.swarm }]);
    return { kind: 'miss', reason };
  }

  /**
   * A peer that holds or downloads `key`, waiting (until `deadline`) up to CONNECT_WAIT_MS while peer connections
   * are being made (when no peer was asked: `tried` is empty), then up to ELECTION_WAIT_MS while the peer elected to
   * download it has not said so yet (one in `tried` is not waited for). Null when this page is the elected one, or
   * nobody turns up. `electionWaitMs`: how long the elected peer gets — 0 for a starving player (connections only);
   * LIVE_ELECTION_WAIT_MS for live, where every viewer wants the newest
   * segment within about a second: the first to ask fetches it after that short wait (at once when elected), since
   * waiting long for an elected viewer whose player has not asked yet adds to the latency and often ends in a
   * second HTTP copy; the wait only lets two viewers asking at nearly the same moment see each other's `fetching`.
   */
  private async awaitFetcher(key: string, swarm: string, deadline: number, tried: ReadonlySet<string>, electionWaitMs: number): Promise<PeerLink | null> {
    const { pool } = this.deps;
    const now = (): number => this.deps.now();
    // Connections being made may bring a peer that holds it or will fetch it: give them a moment — unless peers
    // were asked already (see CONNECT_WAIT_MS)
    const connectUntil = tried.size === 0 ? Math.min(deadline, now() + CONNECT_WAIT_MS) : now();
    let waitUntil: number | null = null;
    for (;;) {
      const found = pool.linkFor(key, tried) ?? pool.fetchersOf(key).find((l) => !tried.has(l.remoteId) && !this.tooSlow(l, key, deadline - now()));
      if (found) return found;
      if (this.deps.store.has(key)) return null;
      if (!(pool.connecting && now() + POLL_MS <= connectUntil)) {
        // the swarm as it is now: wait for its elected member to say it is fetching, unless that is us
        if (waitUntil === null) {
          const members = swarmMembers(pool);
          const elected = members.length > 1 ? electFetcher(pool.sharedKey?.(key) ?? key, members) : null;
          // an elected peer asked already is never taken (it failed, or answered `absent`): nothing to wait for
          const worthIt = elected !== null && elected !== pool.peerId && !tried.has(elected) && this.electedNear(elected, swarm, key) && !this.electedTooSlow(elected, key, deadline - now());
          waitUntil = Math.min(deadline, now() + (worthIt ? electionWaitMs : 0));
        }
        if (now() + POLL_MS > waitUntil) return null;
      }
      await sleep(POLL_MS);
    }
  }

  /**
   * Whether the elected peer's link, at its measured rate, could not bring `key` within `leftMs` even once it had
   * it: waiting for it would only add to the player's load time, which hls.js reads as a slow network (on 10/2
   * Mbit/s lines, loads of 1.2 s waits plus 0.35 s of HTTP halved its bandwidth estimate).
   */
  private electedTooSlow(elected: string, key: string, leftMs: number): boolean {
    const link = this.deps.pool.linkOf?.(elected);
    return link !== undefined && this.tooSlow(link, key, leftMs);
  }

  /**
   * Whether the elected peer is at this page's position in a VOD swarm: it announced holding (or fetching) one of
   * the segments right before `key`. One behind would fetch it only when its own player gets there: waiting for it
   * only delays the player's load, which the player reads as a slow network (measured on 16/1 Mbit/s lines: loads
   * that waited out the election 1.2 s, the player's bandwidth estimate at a third of the line). Live swarms, and
   * streams whose playlist this page does not know, keep the wait.
   */
  private electedNear(elected: string, swarm: string, key: string): boolean {
    const { pool } = this.deps;
    if (this.deps.isLive(swarm) || !pool.peerHolds || !this.deps.before) return true;
    const before = this.deps.before(swarm, key, ELECTED_NEAR_SEGMENTS);
    return before.length === 0 || pool.peerHolds(elected, before);
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
