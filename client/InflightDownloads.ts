import type { StoredSegment } from './SegmentStore';

interface Pending {
  swarm: string;
  waiters: Set<(segment: StoredSegment | undefined) => void>;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Segments this page is downloading over HTTP right now (the worker after a miss, or a seeding fetch): others —
 * the player, a peer — can wait for them instead of downloading them again. Every wait is bounded.
 */
export class InflightDownloads {
  private pending = new Map<string, Pending>();

  constructor(private readonly ttlMs: number) {}

  has(key: string): boolean {
    return this.pending.has(key);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Marks a download as started; false when it already was. It ends by `settle`, or on its own after ttlMs. */
  start(key: string, swarm: string): boolean {
    if (this.pending.has(key)) return false;
    const timer = setTimeout(() => this.settle(key, undefined), this.ttlMs);
    this.pending.set(key, { swarm, waiters: new Set(), timer });
    return true;
  }

  /** The segment once downloaded, or undefined when the download fails or takes longer than `ms`. */
  wait(key: string, ms: number): Promise<StoredSegment | undefined> {
    const p = this.pending.get(key);
    if (!p || ms <= 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const done = (s: StoredSegment | undefined) => {
        clearTimeout(timer);
        p.waiters.delete(done);
        resolve(s);
      };
      const timer = setTimeout(() => done(undefined), ms);
      p.waiters.add(done);
    });
  }

  /** Ends a download; returns its swarm when it was pending. */
  settle(key: string, segment: StoredSegment | undefined): string | undefined {
    const p = this.pending.get(key);
    if (!p) return undefined;
    this.pending.delete(key);
    clearTimeout(p.timer);
    for (const w of [...p.waiters]) w(segment);
    return p.swarm;
  }

  /** Ends every download as failed; returns their keys and swarms. */
  clear(): Array<[key: string, swarm: string]> {
    const ended: Array<[string, string]> = [];
    for (const key of [...this.pending.keys()]) {
      const swarm = this.settle(key, undefined);
      if (swarm !== undefined) ended.push([key, swarm]);
    }
    return ended;
  }
}
