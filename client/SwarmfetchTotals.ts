import { parseKeyRange, type SegmentReport } from '../core/contract';
import type { Emitter } from '../core/Emitter';
import type { HashSource } from './SegmentVerifier';
import type { SegmentStore, StoredSegment } from './SegmentStore';
import type { SwarmfetchEvents } from './SwarmfetchEvents';

/**
 * What this page counted (for `stats()` and the offload beacon): bytes by source, uploaded and seeded, segments
 * checked (and by which hash source), integrity mismatches — and the `segment` and `seed` events the worker's
 * reports become.
 */
export class SwarmfetchTotals {
  readonly totals = {
    httpBytes: 0, p2pBytes: 0, storeHitBytes: 0, uploadedBytes: 0, seedBytes: 0, verifiedSegments: 0, integrityMismatches: 0,
  };
  readonly verifiedBy: Record<HashSource, number> = { playlist: 0, manifest: 0, oracle: 0 };

  constructor(
    private readonly store: Pick<SegmentStore, 'get'>,
    private readonly emitter: Pick<Emitter<SwarmfetchEvents>, 'emit'>,
  ) {}

  uploaded(bytes: number): void {
    this.totals.uploadedBytes += bytes;
  }

  /** A segment entered the store (counted as checked when it was). */
  stored(s: StoredSegment): void {
    if (!s.verifiedBy) return;
    this.totals.verifiedSegments++;
    this.verifiedBy[s.verifiedBy]++;
  }

  integrityMismatch(): void {
    this.totals.integrityMismatches++;
  }

  /** The worker's report of one segment delivered (or seeded): counted, and told as an event. */
  report(r: SegmentReport): void {
    const bytes = Number.isFinite(r.bytes) && r.bytes > 0 ? r.bytes : 0;
    if (r.seed) {
      this.totals.seedBytes += bytes;
      this.emitter.emit('seed', { url: String(r.url), bytes, ms: Number(r.ms) || 0 });
      return;
    }
    if (r.source === 'http') this.totals.httpBytes += bytes;
    else if (r.source === 'p2p') this.totals.p2pBytes += bytes;
    else if (r.source === 'store') this.totals.storeHitBytes += bytes;
    const verifiedBy = r.source !== 'http' ? this.verifiedByOf(r.key) : null;
    this.emitter.emit('segment', {
      url: String(r.url), source: r.source, peerId: r.peerId ?? null, bytes, ms: Number(r.ms) || 0,
      fallback: r.fallback ?? null, error: r.error ?? null, verified: verifiedBy !== null, verifiedBy,
    });
  }

  private verifiedByOf(key: unknown): HashSource | null {
    if (typeof key !== 'string') return null;
    return (this.store.get(key) ?? this.store.get(parseKeyRange(key).url))?.verifiedBy ?? null;
  }
}
