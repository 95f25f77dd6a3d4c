export interface JoinGateDeps {
  /** Lets the pool's held joins go (PeerPool.release). */
  release(): void;
  /** Whether the agent's peers are paused (Agent.peersPaused): the line is the player's, or peers do not pay. */
  paused(): boolean;
  /** Whether this page's HTTP pace is still to come (HttpPace.paceAwaited). */
  paceAwaited(): boolean;
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Longest the joins wait for the line's pace to be known, once the player has started (or its wait ran out). */
export const LINE_WAIT_MS = 15_000;
/** How often the pace is looked for meanwhile. */
const RECHECK_MS = 250;

/**
 * When the joins held at start (`peerJoinMaxDelayMs`) go: once the player has started — it shows its first frame,
 * or has 1 s buffered when not told to play, or the wait for that ran out (whenPlayerStarts) — and the line is known
 * not to be the player's. While it is (`paused`: it carries under 3× the rate played or the rung above's), they wait
 * until it no longer is — `check()` is called on each change. While the line's pace is still to come (not for a
 * progressive file's pieces, which never tell it), they wait for it, at most LINE_WAIT_MS.
 * Why: on 1/0.5 Mbit/s lines a late viewer joined as its second load ran (or, its first frame 8–12 s after start,
 * when the 5 s wait ran out, before anything was known of its line): its peers' handshakes and announcements on its
 * downlink made that load 0.7–1.4 s, hls.js's estimate fell to 0.24–0.38 Mbit/s, and it stayed at 180p for 10–17
 * loads. Not before the first frame: a page joining as its first segment came in made its peer connections while
 * the player appended that segment (RTCPeerConnections, offers, candidates: 50–70 ms of script and as much of the
 * browser's own work on the main thread, with 3 peers), and its first frame came 100–450 ms later than without
 * swarmfetch. The player's next requests, made meanwhile, wait for the connections (PeerPool.expectRelease) rather
 * than go to the network: a page that joined at 1 s buffered without it fetched its next two or three segments over
 * HTTP (0.89–0.94 of the offload limit on 50/10 Mbit/s lines, against 0.98).
 */
export class JoinGate {
  private startedAt: number | null = null;
  private timer: unknown = null;
  private released = false;

  constructor(private readonly deps: JoinGateDeps) {}

  /** The player has started: it shows its first frame, or has 1 s buffered (or the wait for that ran out). */
  playerStarted(): void {
    this.startedAt ??= this.deps.now();
    this.check();
  }

  /** Releases the joins if they may go now (see the class). */
  check(): void {
    if (this.startedAt === null || this.released || this.timer !== null || this.deps.paused()) return;
    if (this.deps.paceAwaited() && this.deps.now() - this.startedAt < LINE_WAIT_MS) {
      this.timer = this.deps.setTimeout(() => {
        this.timer = null;
        this.check();
      }, RECHECK_MS);
      return;
    }
    this.released = true;
    this.deps.release();
  }

  destroy(): void {
    if (this.timer !== null) this.deps.clearTimeout(this.timer);
    this.timer = null;
    this.released = true;
  }
}
