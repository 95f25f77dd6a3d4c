/** One segment of a rendition as the manifest lists it. */
export interface PlaylistEntry {
  key: string;
  url: string;
  durationSec: number;
  seq: number;
}

/** Most entries kept per swarm (a long VOD is cut to the part around the playhead by the worker anyway). */
const MAX_ENTRIES = 5000;
const MAX_SWARMS = 32;
/** A declared rate above this (bits/s) is not believed. */
const MAX_BITS_PER_SEC = 1e10;

/**
 * What comes next in each swarm: the segment lists the service worker parsed from manifests, and where the
 * player is (the last segment it asked for).
 */
export class Playlists {
  private lists = new Map<string, { entries: PlaylistEntry[]; index: Map<string, number>; live: boolean }>();
  private positions = new Map<string, string>();
  /** Per swarm, the rate (bits/s) of its master playlist's next rung up (see ManifestNotice.nextUpBitsPerSec). */
  private nextUp = new Map<string, number>();

  /** Notes the rate of the rung above `swarm` in its master playlist (a rate out of range is dropped). */
  setNextUp(swarm: string, bitsPerSec: unknown): void {
    if (typeof bitsPerSec !== 'number' || !Number.isFinite(bitsPerSec) || bitsPerSec <= 0 || bitsPerSec > MAX_BITS_PER_SEC) return;
    this.nextUp.delete(swarm);
    if (this.nextUp.size >= MAX_SWARMS) this.nextUp.delete(this.nextUp.keys().next().value!);
    this.nextUp.set(swarm, bitsPerSec);
  }

  /** The rate (bits/s) of the rung above `swarm` in its master playlist, or null when unknown or the top. */
  nextUpBitsPerSec(swarm: string): number | null {
    return this.nextUp.get(swarm) ?? null;
  }

  update(swarm: string, entries: PlaylistEntry[], live: boolean): void {
    const prev = this.lists.get(swarm);
    let merged = entries.slice(0, MAX_ENTRIES);
    if (live && prev) {
      // a sliding window: keep what we knew before the window's start, append what is new
      const firstSeq = merged[0]?.seq ?? Infinity;
      const older = prev.entries.filter((e) => e.seq < firstSeq);
      merged = [...older, ...merged].slice(-MAX_ENTRIES);
    }
    if (!prev && this.lists.size >= MAX_SWARMS) {
      const oldest = this.lists.keys().next().value;
      if (oldest !== undefined) this.lists.delete(oldest);
    }
    this.lists.set(swarm, { entries: merged, index: new Map(merged.map((e, i) => [e.key, i])), live });
  }

  isLive(swarm: string): boolean {
    return this.lists.get(swarm)?.live ?? false;
  }

  /** Notes that the player asked for `key` (its position in that swarm). */
  played(swarm: string, key: string): void {
    if (this.lists.get(swarm)?.index.has(key)) this.positions.set(swarm, key);
  }

  position(swarm: string): string | undefined {
    return this.positions.get(swarm);
  }

  /** Swarms with a known position. */
  activeSwarms(): string[] {
    return [...this.positions.keys()].filter((s) => this.lists.has(s));
  }

  /** Entries after the player's position, covering `aheadSec` seconds. For live with no position: the newest. */
  upcoming(swarm: string, aheadSec: number): PlaylistEntry[] {
    const list = this.lists.get(swarm);
    if (!list) return [];
    const pos = this.positions.get(swarm);
    const from = pos !== undefined ? (list.index.get(pos) ?? -1) + 1 : list.entries.length;
    const out: PlaylistEntry[] = [];
    let sec = 0;
    for (let i = from; i < list.entries.length && sec < aheadSec; i++) {
      out.push(list.entries[i]!);
      sec += list.entries[i]!.durationSec;
    }
    return out;
  }

  /** The keys of the (at most) `n` entries right before `key` in its swarm's playlist; [] when unknown or first. */
  before(swarm: string, key: string, n: number): string[] {
    const list = this.lists.get(swarm);
    const i = list?.index.get(key);
    if (!list || i === undefined) return [];
    return list.entries.slice(Math.max(0, i - n), i).map((e) => e.key);
  }

  /** The duration (s) of `key` in its swarm's playlist, or null when unknown. */
  durationOf(swarm: string, key: string): number | null {
    const list = this.lists.get(swarm);
    const i = list?.index.get(key);
    return list && i !== undefined ? list.entries[i]!.durationSec : null;
  }

  /** Whether `key` lies before the player's position in its swarm. */
  isBehind(swarm: string, key: string): boolean {
    const list = this.lists.get(swarm);
    const pos = this.positions.get(swarm);
    if (!list || pos === undefined) return false;
    const i = list.index.get(key);
    const p = list.index.get(pos);
    return i !== undefined && p !== undefined && i < p;
  }

  /** Forgets a swarm the page left. */
  forget(swarm: string): void {
    this.lists.delete(swarm);
    this.positions.delete(swarm);
  }

  clear(): void {
    this.lists.clear();
    this.positions.clear();
    this.nextUp.clear();
  }
}
