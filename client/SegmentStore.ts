import type { HashSource } from './SegmentVerifier';

/** One stored segment: the same Blob is handed to the service worker and read for peers (never copied here). */
export interface StoredSegment {
  key: string;
  swarm: string;
  body: Blob;
  /** Size of the whole file when `body` is a byte range of it. */
  totalBytes: number | null;
  contentType: string | null;
  /** How the bytes reached this page: the player's own HTTP request, a seeding download, or a peer. */
  from?: 'http' | 'seed' | 'p2p';
  /** The peer it came from, when `from` is 'p2p'. */
  peerId?: string | null;
  /** Whether the player has had these bytes (false for prefetched and seeded segments until first asked). */
  delivered?: boolean;
  /** Peer bytes that matched a trusted hash (see SegmentVerifier). */
  verified?: boolean;
  /** Where that hash came from. */
  verifiedBy?: HashSource | null;
}

/**
 * The bounded in-memory segment store. Holds at most `maxBytes` of segment bodies, evicting the oldest first;
 * `onEvict` hears every key that leaves so peers can be told.
 */
export class SegmentStore {
  private entries = new Map<string, StoredSegment>();
  private held = 0;

  constructor(
    private maxBytes: number,
    private readonly onEvict: (evicted: StoredSegment[]) => void = () => {},
    /** Segments to evict before any other (those behind the playhead), oldest first among them. */
    private readonly evictFirst: (segment: StoredSegment) => boolean = () => false,
  ) {}

  /** Bytes of segment bodies held. */
  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): StoredSegment | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Stores a segment (newest last). Returns false when it is larger than the whole store. */
  put(segment: StoredSegment): boolean {
    if (segment.body.size > this.maxBytes) return false;
    this.remove(segment.key, false);
    this.entries.set(segment.key, segment);
    this.held += segment.body.size;
    this.evictTo(this.maxBytes);
    return true;
  }

  /** Keys held, grouped by swarm. */
  keysBySwarm(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const s of this.entries.values()) {
      const list = out.get(s.swarm);
      if (list) list.push(s.key);
      else out.set(s.swarm, [s.key]);
    }
    return out;
  }

  setMaxBytes(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.evictTo(maxBytes);
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
  }

  private remove(key: string, notify: boolean): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.held -= old.body.size;
    if (notify) this.onEvict([old]);
  }

  private evictTo(limit: number): void {
    if (this.held <= limit) return;
    const evicted: StoredSegment[] = [];
    for (const pass of [true, false]) {
      for (const [key, s] of this.entries) {
        if (this.held <= limit) break;
        if (pass && !this.evictFirst(s)) continue;
        this.entries.delete(key);
        this.held -= s.body.size;
        evicted.push(s);
      }
    }
    if (evicted.length) this.onEvict(evicted);
  }
}
