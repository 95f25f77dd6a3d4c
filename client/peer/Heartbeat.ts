import type { ControlMessage } from '../protocol';

/** Pings answered at most this often (a peer that pings faster gets fewer pongs, and its own check copes). */
const PONG_MIN_GAP_MS = 100;

export interface HeartbeatDeps {
  /**
   * An open link that heard nothing for this long sends a ping; one whose ping stays unanswered (nothing at all
   * heard) for twice this long is silent.
   */
  intervalMs: number;
  send(m: ControlMessage): void;
  /** The peer stopped answering: the link is to close (peer-timeout). */
  onSilent(detail: string): void;
  now(): number;
}

/**
 * Liveness of one link (`ping`/`pong`): a link can stay "open" long after the peer is gone (a killed tab, a lost
 * network: no close ever arrives), holding a slot and attracting requests. A silent peer is pinged; when the ping
 * goes unanswered the link is silent. Anything heard from the peer counts as an answer. A page whose timers are
 * throttled (background tab) only checks late; its answers to pings never are late.
 */
export class Heartbeat {
  /** When anything last arrived from the peer; when our unanswered ping left (null: none out); our last pong. */
  private lastHeardAt: number;
  private pingSentAt: number | null = null;
  private lastPongAt = -Infinity;
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;

  constructor(private readonly deps: HeartbeatDeps) {
    this.lastHeardAt = deps.now();
  }

  /** Something arrived from the peer. */
  heard(): void {
    this.lastHeardAt = this.deps.now();
  }

  /** The link opened: check every half interval (at least every 50 ms). */
  start(): void {
    if (this.stopped || this.timer) return;
    this.timer = setInterval(() => this.check(), Math.max(50, this.deps.intervalMs / 2));
  }

  /** The peer asked whether we are there. */
  onPing(): void {
    const now = this.deps.now();
    if (now - this.lastPongAt < PONG_MIN_GAP_MS) return;
    this.lastPongAt = now;
    this.deps.send({ t: 'pong' });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private check(): void {
    if (this.stopped) return;
    const now = this.deps.now();
    const interval = this.deps.intervalMs;
    if (this.pingSentAt !== null) {
      if (this.lastHeardAt >= this.pingSentAt) this.pingSentAt = null;
      else {
        if (now - this.pingSentAt >= 2 * interval) {
          this.deps.onSilent(`no answer to a ping for ${Math.round(now - this.pingSentAt)} ms`);
        }
        return;
      }
    }
    if (now - this.lastHeardAt >= interval) {
      this.pingSentAt = now;
      this.deps.send({ t: 'ping' });
    }
  }
}
