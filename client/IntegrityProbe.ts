import type { SegmentVerifier } from './SegmentVerifier';

/** Swarms whose hash sources were probed, and how long after a swarm's first request. */
const MAX_PROBED_SWARMS = 64;
const PROBE_DELAY_MS = 1000;

/**
 * Finds out, for the first segment asked in each swarm, peers or not, whether its stream has a hash source at all
 * (and says so: see Swarmfetch's integrity status) — without fetching a hash (see SegmentVerifier.probe). A moment
 * later, not at once: the playlist that carries its hashes may still be on its way to the page.
 */
export class IntegrityProbe {
  private readonly probed = new Set<string>();
  private readonly probeTimers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly verifier: Pick<SegmentVerifier, 'probe'> | undefined) {}

  /** The player asked for `key` of `swarm`: probe the swarm once (at most MAX_PROBED_SWARMS remembered). */
  probe(swarm: string, key: string): void {
    const { verifier } = this;
    if (!verifier || this.probed.has(swarm)) return;
    if (this.probed.size >= MAX_PROBED_SWARMS) this.probed.delete(this.probed.values().next().value!);
    this.probed.add(swarm);
    const t = setTimeout(() => {
      this.probeTimers.delete(t);
      void verifier.probe(key);
    }, PROBE_DELAY_MS);
    this.probeTimers.add(t);
  }

  /** The swarm was left: probed again if it is played again. */
  forget(swarm: string): void {
    this.probed.delete(swarm);
  }

  /** Cancels the probes not made yet. */
  destroy(): void {
    for (const t of this.probeTimers) clearTimeout(t);
    this.probeTimers.clear();
  }
}
