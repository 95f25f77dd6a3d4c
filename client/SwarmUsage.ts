/** Swarms remembered; beyond, the least recently used is forgotten (and so left when idle). */
const MAX_SWARMS = 64;

/**
 * Which swarms the page's player still uses, so the page can leave the others (a single-page site that plays one
 * stream after another). A swarm is in use while the player asked for one of its segments, or a manifest named
 * it, within `idleMs` — or while another swarm of the same stream (the renditions one master playlist or MPD
 * listed together) is: the page stays in every rendition it may switch to. The stream used last is never left: a
 * paused or ended player still shares what it holds until it plays something else.
 */
export class SwarmUsage {
  private readonly lastUsed = new Map<string, number>();
  private readonly streamOf = new Map<string, string>();
  private checkedAt = -Infinity;

  /** `checkEveryMs`: how often `due` says it is time to look for idle swarms. */
  constructor(
    private readonly idleMs: number,
    private readonly checkEveryMs = 5_000,
  ) {}

  /** Whether it is time to look for idle swarms (`takeIdle`): at most once every `checkEveryMs`. */
  due(now: number): boolean {
    if (now - this.checkedAt < this.checkEveryMs) return false;
    this.checkedAt = now;
    return true;
  }

  /** The player, or a manifest, used `swarm` at `now`. */
  touch(swarm: string, now: number): void {
    this.lastUsed.delete(swarm);
    this.lastUsed.set(swarm, now);
    while (this.lastUsed.size > MAX_SWARMS) {
      const oldest = this.lastUsed.keys().next().value!;
      this.lastUsed.delete(oldest);
      this.streamOf.delete(oldest);
    }
  }

  /** These swarms are renditions of one stream (listed by one manifest). */
  sameStream(swarms: string[]): void {
    if (swarms.length < 2) return;
    const stream = swarms[0]!;
    for (const s of swarms) if (this.lastUsed.has(s)) this.streamOf.set(s, stream);
  }

  /** Swarms no longer in use at `now`; they are forgotten here (a later touch brings one back). */
  takeIdle(now: number): string[] {
    const streamUsed = new Map<string, number>();
    for (const [s, t] of this.lastUsed) {
      const stream = this.streamOf.get(s) ?? s;
      streamUsed.set(stream, Math.max(streamUsed.get(stream) ?? -Infinity, t));
    }
    let latest: string | null = null;
    for (const [stream, t] of streamUsed) if (latest === null || t >= streamUsed.get(latest)!) latest = stream;
    const idle: string[] = [];
    for (const s of this.lastUsed.keys()) {
      const stream = this.streamOf.get(s) ?? s;
      if (stream !== latest && now - streamUsed.get(stream)! >= this.idleMs) idle.push(s);
    }
    for (const s of idle) {
      this.lastUsed.delete(s);
      this.streamOf.delete(s);
    }
    return idle;
  }
}
