import type { SelectableLink } from '../../client/peer/PeerSelection';
import { RULES } from './model';

/** What a link reads of the viewer at its other end. */
export interface LinkEnd {
  readonly id: string;
  readonly alive: boolean;
  /** Segments held (what the real link learns from `have`/`lost` news; here read directly, no delay). */
  readonly store: ReadonlyMap<string, number>;
  /** Segments being fetched over HTTP (the real `fetching` news). */
  readonly inflight: ReadonlyMap<string, unknown>;
}

/**
 * One side of a peer link, standing in for client/PeerLink.ts where the real PeerSelection and LinkRegistry read it:
 * open state, who dialled, throughput of completed downloads, downloads under way, what the other end holds or fetches,
 * idle time. `close()` also closes the other side (the data channel is one for both).
 */
export class SimLink implements SelectableLink {
  isOpen = false;
  closed = false;
  /** Bytes per ms of the last completed download from this peer; null until one completed. */
  throughput: number | null = null;
  activeDownloads = 0;
  /** The other end's link to us, once its side exists. */
  other: SimLink | null = null;
  private lastActiveAt: number;

  constructor(
    readonly remote: LinkEnd,
    readonly dialled: boolean,
    private readonly now: () => number,
    /** Tells our own registry that this link went away (when the other side closed it). */
    private readonly onClosedByRemote: (link: SimLink) => void,
  ) {
    this.lastActiveAt = now();
  }

  get remoteId(): string {
    return this.remote.id;
  }

  get canRequest(): boolean {
    return this.isOpen && this.activeDownloads < RULES.peerMaxRequestsInFlight;
  }

  has(key: string): boolean {
    return this.remote.store.has(key);
  }

  isFetching(key: string): boolean {
    return this.remote.inflight.has(key);
  }

  /** Segment bytes went either way now. */
  touch(): void {
    this.lastActiveAt = this.now();
    if (this.other) this.other.lastActiveAt = this.lastActiveAt;
  }

  idleMs(): number {
    return this.isOpen ? this.now() - this.lastActiveAt : 0;
  }

  offersAny(test: (key: string) => boolean): boolean {
    for (const key of this.remote.store.keys()) if (test(key)) return true;
    return false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.isOpen = false;
    const other = this.other;
    if (other && !other.closed) {
      other.closed = true;
      other.isOpen = false;
      other.onClosedByRemote(other);
    }
  }
}
