import type { SegmentAnswer, SegmentQuery, SegmentSource } from '../core/contract';
import { resolveRange } from '../core/parseRangeHeader';
import type { StoredSegment } from './SegmentStore';

/**
 * The bytes a query asks for out of a stored segment: all of it, or a zero-copy Blob slice for a range of a
 * whole file. A stored range (`key` ≠ wholeKey) answers at its own offset. The first delivery of a prefetched or
 * seeded segment is credited to how it arrived; later ones to the store.
 */
export function answerFrom(s: StoredSegment, q: SegmentQuery, key = s.key): SegmentAnswer {
  let source: SegmentSource = 'store';
  let peerId: string | null = null;
  if (!s.delivered) {
    s.delivered = true;
    source = s.from === 'p2p' ? 'p2p' : s.from === 'seed' ? 'http' : 'store';
    peerId = s.peerId ?? null;
  }
  const whole = !q.wholeKey || key === q.wholeKey;
  if (!q.range || !whole) {
    const offset = q.range && 'start' in q.range ? q.range.start : 0;
    const totalBytes = s.totalBytes ?? (offset === 0 ? s.body.size : null);
    return { kind: 'hit', source, peerId, body: s.body, totalBytes, start: whole ? 0 : offset, contentType: s.contentType };
  }
  const size = s.body.size;
  const r = resolveRange(q.range, size);
  if (!r) return { kind: 'unsatisfiable', totalBytes: size };
  return {
    kind: 'hit', source, peerId, body: s.body.slice(r.start, r.end + 1, s.contentType ?? undefined),
    totalBytes: size, start: r.start, contentType: s.contentType,
  };
}

/** The segment for a query in the store: exactly what it asks for, or the whole file it is a range of. */
export function fromStore(store: { get(key: string): StoredSegment | undefined }, query: SegmentQuery): SegmentAnswer | null {
  const exact = store.get(query.key);
  if (exact) return answerFrom(exact, query, query.key);
  const whole = query.wholeKey ? store.get(query.wholeKey) : undefined;
  return whole ? answerFrom(whole, query, query.wholeKey!) : null;
}
