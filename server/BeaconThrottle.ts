/**
 * At most one beacon per peer id in `intervalMs`. Remembers only peers whose last accepted beacon is more recent than
 * that (older entries are dropped as beacons come in), so it holds at most the peers heard from in the last interval.
 */
export class BeaconThrottle {
  /** Peer id → when its last beacon was accepted; kept in that order (an accepted id is moved to the end). */
  private readonly last = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Whether `peerId` may send a beacon now; if so it is booked (the next one waits `intervalMs`). */
  take(peerId: string): boolean {
    const t = this.now();
    for (const [id, at] of this.last) {
      if (t - at < this.intervalMs) break;
      this.last.delete(id);
    }
    const at = this.last.get(peerId);
    // a clock that went back counts from the new time
    if (at !== undefined && t - at < this.intervalMs && t >= at) return false;
    this.last.delete(peerId);
    this.last.set(peerId, t);
    return true;
  }

  /** Peers remembered now. */
  get size(): number {
    return this.last.size;
  }
}
