import type { ManifestNotice, SegmentPut, SegmentQuery } from '../core/contract';
import { MAX_KEY_LENGTH, keyInSwarm, parseKeyRange } from '../core/contract';

/** Whether what the worker asked for is a well-formed segment query (anything else is a miss). */
export function isValidQuery(q: SegmentQuery): boolean {
  return (
    typeof q === 'object' && q !== null &&
    typeof q.key === 'string' && q.key.length <= MAX_KEY_LENGTH + 40 &&
    typeof q.swarm === 'string' && typeof q.budgetMs === 'number' && q.budgetMs > 0
  );
}

/** Whether what the worker handed over is a well-formed segment of its swarm, within `maxBytes` (else dropped). */
export function isValidPut(p: SegmentPut, maxBytes: number): boolean {
  return (
    typeof p === 'object' && p !== null && typeof p.key === 'string' && typeof p.swarm === 'string' &&
    typeof p.url === 'string' && (p.totalBytes === null || Number.isSafeInteger(p.totalBytes)) &&
    (p.contentType === null || typeof p.contentType === 'string') && p.body instanceof Blob &&
    p.body.size <= maxBytes && keyInSwarm(parseKeyRange(p.key).url, p.swarm)
  );
}

/** The entries of a manifest notice that name a segment of its swarm, with a URL, a duration and a sequence number. */
export function validEntries(n: ManifestNotice): ManifestNotice['entries'] {
  return n.entries.filter(
    (e) => typeof e?.key === 'string' && keyInSwarm(parseKeyRange(e.key).url, n.swarm) &&
      typeof e.url === 'string' && Number.isFinite(e.durationSec) && Number.isFinite(e.seq),
  );
}
