/** Swarms whose pace is remembered. */
const MAX_SWARMS = 32;
/** Weight of the newest interval in the average. */
const NEW_WEIGHT = 0.5;

interface Pace {
  lastAt: number;
  /** Milliseconds between the player's requests (average), or null after one request. */
  intervalMs: number | null;
}

/**
 * How fast the player asks for the segments of each swarm: the time between its requests (an average). While it
 * fills its buffer it asks one segment after the other; once full, one per segment duration (it plays one, it asks
 * one). From that, how long until it asks for an upcoming segment — the time a prefetch from a peer has (see
 * Prefetcher): on a 1 Mbit/s uplink a 380 KB segment takes 3 s, so only a segment the player asks for later than that
 * can come from such a peer.
 */
export class RequestPace {
  private readonly swarms = new Map<string, Pace>();

  /** The player asked for a segment of `swarm` at `now`. */
  note(swarm: string, now: number): void {
    const p = this.swarms.get(swarm);
    if (!p) {
      if (this.swarms.size >= MAX_SWARMS) this.swarms.delete(this.swarms.keys().next().value!);
      this.swarms.set(swarm, { lastAt: now, intervalMs: null });
      return;
    }
    const interval = Math.max(0, now - p.lastAt);
    p.intervalMs = p.intervalMs === null ? interval : (1 - NEW_WEIGHT) * p.intervalMs + NEW_WEIGHT * interval;
    p.lastAt = now;
  }

  /**
   * Milliseconds until the player asks for the upcoming segments of `swarm` whose durations are `durationsSec` (the
   * first is the one right after its last request), one figure per segment; null while its pace is unknown (fewer
   * than two requests). A player never asks slower than it plays (unless paused): each segment counts at most its
   * own duration.
   */
  leadsMs(swarm: string, durationsSec: readonly number[], now: number): number[] | null {
    const p = this.swarms.get(swarm);
    if (!p || p.intervalMs === null) return null;
    const since = Math.max(0, now - p.lastAt);
    let at = 0;
    return durationsSec.map((d) => {
      at += Math.min(p.intervalMs!, Math.max(0, d) * 1000);
      return Math.max(0, Math.round(at - since));
    });
  }

  forget(swarm: string): void {
    this.swarms.delete(swarm);
  }

  clear(): void {
    this.swarms.clear();
  }
}
