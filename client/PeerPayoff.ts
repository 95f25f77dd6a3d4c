import { SwarmError } from '../core/SwarmError';

/** The latest peer transfers judged. */
const WINDOW = 8;
/** Transfers judged before asking peers may pause. */
const MIN_JUDGED = 6;
/** Share of them that failed at which asking peers pauses. */
const PAUSE_FAILED_SHARE = 0.75;
/** Distinct peers among the failures (one bad peer is the peer's fault, dealt with by its strikes and ban). */
const MIN_FAILED_PEERS = 2;
/**
 * Shortest deadline whose timeout is judged (as PeerFetch's strikes: STRIKE_MIN_TIMEOUT_MS). A try with less is
 * bounded by the line instead (SegmentResolver's LINE_TRY_FACTOR).
 */
export const JUDGED_MIN_TIMEOUT_MS = 1000;
/** The first pause; each pause that follows the previous one's end within a window doubles, up to the last. */
export const FIRST_PAUSE_MS = 20_000;
export const MAX_PAUSE_MS = 160_000;

interface Outcome {
  peerId: string;
  ok: boolean;
}

/**
 * Whether asking peers pays on this page's lines now. Every peer transfer this page asked for is judged: delivered,
 * or failed on the peers' pace (`peer-timeout`, `peer-stall`; an abort, an `absent`, a closed link or an integrity
 * refusal says nothing of the lines). When most of the latest transfers failed, from more than one peer, asking
 * peers pauses for a while: their uplinks (or ours) cannot carry segments within the player's deadlines, and each
 * try spends the player's time and the peer's upload for nothing — on 1/0.5 Mbit/s lines every segment asked of a
 * peer was abandoned (issue 14). The first pause is FIRST_PAUSE_MS; one that trips again soon after the last ended
 * is twice as long, up to MAX_PAUSE_MS; a window that judges well resets it. Outcomes of a banned peer are forgotten.
 */
export class PeerPayoff {
  private outcomes: Outcome[] = [];
  private pausedUntil = -Infinity;
  private pauseMs = FIRST_PAUSE_MS;
  private pauses = 0;

  constructor(private readonly now: () => number) {}

  /** Asking peers is paused now (segments go to the network at once; nothing is prefetched or seeded). */
  get paused(): boolean {
    return this.now() < this.pausedUntil;
  }

  /** How many times asking peers paused this session. */
  get pauseCount(): number {
    return this.pauses;
  }

  /** A peer transfer this page asked for delivered. */
  delivered(peerId: string): void {
    this.judge({ peerId, ok: true });
  }

  /**
   * A peer transfer this page asked for, with a deadline of `timeoutMs`, failed with `err`; only failures on the peers'
   * pace are judged, and only of transfers given at least JUDGED_MIN_TIMEOUT_MS (a starting or starving player's
   * short tries end on its deadline, or stall behind a busy peer's other uploads: on 50/10 Mbit/s lines a newcomer's
   * 800 ms tries failed while its peers served two others, asking peers paused for 20 s, and the rest of its stream
   * came over HTTP) — a timeout only when the peer's rate was `rateKnown` when it was asked: it was tried before,
   * measured or failed (the first transfer from a peer is how its rate is learnt — on 10/2 Mbit/s lines a newcomer's
   * first tries of three unmeasured peers paused asking peers for 20 s, its whole fill; once measured, a peer too
   * slow for a deadline is not asked: see SegmentResolver, Prefetcher).
   */
  failed(peerId: string, err: unknown, timeoutMs = Infinity, rateKnown = true): void {
    if (!SwarmError.is(err) || timeoutMs < JUDGED_MIN_TIMEOUT_MS) return;
    const late = err.code === 'peer-timeout' && err.details.aborted !== true && rateKnown;
    if (err.code === 'peer-stall' || late) this.judge({ peerId, ok: false });
  }

  /**
   * Runs one transfer from `link`, with a deadline of `timeoutMs`, and judges its outcome (see delivered, failed). A
   * peer tried before — measured, or failed and never delivered (0) — is known: only its first transfer is how its
   * rate is learnt. On 1/0.5 Mbit/s lines, live, peers whose every transfer timed out kept a rate of 0, were never
   * judged, and were asked for every segment: 1.6 MB uploaded, none delivered. A `prefetch` that fails is not judged
   * (one that delivers is): nobody waited for it, and its peer's rate, halved, keeps it from being asked too soon
   * (see Throughput, Prefetcher). On 16/1 Mbit/s lines a starting viewer's first prefetches, asked of holders serving
   * three others, failed with its first tries and paused asking peers for 20 s — the whole VOD, which its player loads
   * within 15 s: in 9 runs of 16, one or two viewers got 0–3 of 30 segments from peers, the others 13–25.
   */
  async transfer<T>(
    link: { remoteId: string; throughput: number | null | undefined },
    timeoutMs: number,
    run: () => Promise<T>,
    prefetch = false,
  ): Promise<T> {
    const rateKnown = typeof link.throughput === 'number';
    let result: T;
    try {
      result = await run();
    } catch (err) {
      if (!prefetch) this.failed(link.remoteId, err, timeoutMs, rateKnown);
      throw err;
    }
    this.delivered(link.remoteId);
    return result;
  }

  /** The peer was banned: its failures were its own, not the lines'. */
  forget(peerId: string): void {
    this.outcomes = this.outcomes.filter((o) => o.peerId !== peerId);
  }

  private judge(o: Outcome): void {
    if (this.paused) return; // transfers asked before the pause, ending during it
    this.outcomes.push(o);
    if (this.outcomes.length > WINDOW) this.outcomes.shift();
    if (this.outcomes.length < MIN_JUDGED) return;
    const failed = this.outcomes.filter((x) => !x.ok);
    if (failed.length < PAUSE_FAILED_SHARE * this.outcomes.length) {
      if (failed.length * 2 <= this.outcomes.length) {
        // peers pay again: a later pause starts afresh
        this.pauseMs = FIRST_PAUSE_MS;
        this.pausedUntil = -Infinity;
      }
      return;
    }
    if (new Set(failed.map((x) => x.peerId)).size < MIN_FAILED_PEERS) return;
    const now = this.now();
    // tripped again within a window's worth of time after the last pause: twice as long
    if (this.pauses > 0 && now - this.pausedUntil < this.pauseMs) this.pauseMs = Math.min(MAX_PAUSE_MS, this.pauseMs * 2);
    this.pausedUntil = now + this.pauseMs;
    this.pauses++;
    this.outcomes = [];
  }
}
