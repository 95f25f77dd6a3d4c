/** Swarms whose pace is remembered. */
const MAX_SWARMS = 32;
/** Weight of the newest interval in the average. */
const NEW_WEIGHT = 0.5;
/** A swarm another was asked for after is left once its own requests are this many of its intervals overdue. */
const LEFT_AFTER_INTERVALS = 2;

interface Pace {
  lastAt: number;
  /** The request before the last one, or null after one request. */
  prevAt: number | null;
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
      this.swarms.set(swarm, { lastAt: now, prevAt: null, intervalMs: null });
      return;
    }
    const interval = Math.max(0, now - p.lastAt);
    p.intervalMs = p.intervalMs === null ? interval : (1 - NEW_WEIGHT) * p.intervalMs + NEW_WEIGHT * interval;
    p.prevAt = p.lastAt;
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

  /**
   * Whether the player has left `swarm` for another — a rendition it switched away from: another swarm was asked for
   * after this one's last request, and this one is LEFT_AFTER_INTERVALS of its intervals overdue; for a swarm asked
   * for only once (hls.js's start level: one segment, then the level its estimate picks), once another was asked for
   * twice since (demuxed audio and video, each asked for once in turn as the player starts, stay current). False for
   * a swarm never asked for. Nothing of a left swarm is worth bringing ahead: the player will not ask for it (measured
   * on 10/2 Mbit/s lines: prefetches of the start level's next two segments, about a third of a run's wasted upload,
   * went to no player).
   */
  left(swarm: string, now: number): boolean {
    const p = this.swarms.get(swarm);
    if (!p) return false;
    for (const [other, q] of this.swarms) {
      if (other === swarm || q.lastAt <= p.lastAt) continue;
      const gone = p.intervalMs === null ? q.prevAt !== null && q.prevAt > p.lastAt : now - p.lastAt > LEFT_AFTER_INTERVALS * p.intervalMs;
      if (gone) return true;
    }
    return false;
  }

  forget(swarm: string): void {
    this.swarms.delete(swarm);
  }

  clear(): void {
    this.swarms.clear();
  }
}
