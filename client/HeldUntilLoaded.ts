/**
 * Work a page holds back until its player's first segment is in (see Swarmfetch: signalling, ICE servers, integrity
 * manifests), so that during start-up the page's connections and main thread are the player's. `hold` false: nothing
 * is held (joins at once, `peerJoinMaxDelayMs` 0). Once released, work runs at once; once destroyed, never.
 */
export class HeldUntilLoaded {
  private held: Array<() => void> | null;
  private destroyed = false;

  constructor(hold: boolean) {
    this.held = hold ? [] : null;
  }

  /** Runs `fn` now, or when released. */
  run(fn: () => void): void {
    if (this.destroyed) return;
    if (this.held) this.held.push(fn);
    else fn();
  }

  /** Runs what was held, in order, once. */
  release(): void {
    const held = this.held;
    this.held = null;
    if (held && !this.destroyed) for (const fn of held) fn();
  }

  /** Drops what was held; nothing runs after. */
  destroy(): void {
    this.destroyed = true;
    this.held = null;
  }
}
