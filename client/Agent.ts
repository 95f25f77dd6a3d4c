import type { AgentApi, SegmentAnswer, SegmentPut, SegmentQuery, SegmentReport } from '../core/contract';
import { CONTRACT_VERSION } from '../core/contract';
import { resolveRange } from '../core/parseRangeHeader';
import { SwarmError } from '../core/SwarmError';
import { keyInSwarm } from '../core/swarmId';
import { MAX_KEY_LENGTH } from '../core/segmentKey';
import type { PeerPool } from './PeerPool';
import type { SegmentStore, StoredSegment } from './SegmentStore';

/** Time kept back from the worker's budget for the answer's trip back. */
const ANSWER_MARGIN_MS = 50;
/** Peers tried for one segment before giving up to the network. */
const MAX_PEER_TRIES = 2;

export interface AgentDeps {
  store: SegmentStore;
  pool: Pick<PeerPool, 'join' | 'linkFor'>;
  segmentMaxBytes: number;
  onReport(report: SegmentReport): void;
  onStored(segment: StoredSegment): void;
  now(): number;
}

/**
 * The page agent the service worker talks to: answers segment queries from the store or a peer within the
 * worker's budget, takes the segments the worker fetched over HTTP, and hears what was delivered.
 */
export class Agent implements AgentApi {
  constructor(private readonly deps: AgentDeps) {}

  hello(version: number): { version: number } {
    return { version: version === CONTRACT_VERSION ? CONTRACT_VERSION : -1 };
  }

  async getSegment(query: SegmentQuery): Promise<SegmentAnswer> {
    if (!validQuery(query)) return { kind: 'miss', reason: 'protocol-violation' };
    const { store, pool } = this.deps;
    pool.join(query.swarm);

    const exact = store.get(query.key);
    if (exact) return answerFrom(exact, null, 'store', null, offsetOf(query));
    if (query.wholeKey) {
      const whole = store.get(query.wholeKey);
      if (whole) return answerFrom(whole, query.range, 'store', null);
    }

    const deadline = this.deps.now() + query.budgetMs - ANSWER_MARGIN_MS;
    const tried = new Set<string>();
    let reason: SwarmError['code'] | 'no-peer' = 'no-peer';
    for (let i = 0; i < MAX_PEER_TRIES; i++) {
      const left = deadline - this.deps.now();
      if (left <= 0) break;
      const key = pool.linkFor(query.key, tried) ? query.key : query.wholeKey;
      const link = key ? pool.linkFor(key, tried) : undefined;
      if (!link || !key) break;
      tried.add(link.remoteId);
      try {
        const got = await link.request(key, left);
        if (got.body.size > this.deps.segmentMaxBytes) throw new SwarmError('size-exceeded', 'segment too large');
        const segment: StoredSegment = {
          key, swarm: query.swarm, body: got.body, totalBytes: got.totalBytes, contentType: got.contentType,
        };
        if (store.put(segment)) this.deps.onStored(segment);
        if (key === query.wholeKey) return answerFrom(segment, query.range, 'p2p', link.remoteId);
        return answerFrom(segment, null, 'p2p', link.remoteId, offsetOf(query));
      } catch (err) {
        reason = SwarmError.is(err) ? err.code : 'peer-closed';
      }
    }
    return { kind: 'miss', reason };
  }

  putSegment(put: SegmentPut): void {
    if (!validPut(put, this.deps.segmentMaxBytes)) return;
    const segment: StoredSegment = {
      key: put.key, swarm: put.swarm, body: put.body, totalBytes: put.totalBytes, contentType: put.contentType,
    };
    if (this.deps.store.put(segment)) this.deps.onStored(segment);
  }

  report(report: SegmentReport): void {
    if (typeof report !== 'object' || report === null || typeof report.bytes !== 'number') return;
    this.deps.onReport(report);
  }
}

/** The requested bytes of a stored segment (a zero-copy Blob slice for ranges). */
function answerFrom(
  s: StoredSegment,
  range: SegmentQuery['range'],
  source: 'store' | 'p2p',
  peerId: string | null,
  offset = 0,
): SegmentAnswer {
  if (!range) {
    const totalBytes = s.totalBytes ?? (offset === 0 ? s.body.size : null);
    return { kind: 'hit', source, peerId, body: s.body, totalBytes, start: offset, contentType: s.contentType };
  }
  const size = s.body.size;
  const r = resolveRange(range, size);
  if (!r) return { kind: 'unsatisfiable', totalBytes: size };
  return {
    kind: 'hit', source, peerId, body: s.body.slice(r.start, r.end + 1, s.contentType ?? undefined),
    totalBytes: size, start: r.start, contentType: s.contentType,
  };
}

/** Where the bytes of an exact (range-keyed) answer start in the whole file. */
function offsetOf(q: SegmentQuery): number {
  return q.wholeKey && q.range && 'start' in q.range ? q.range.start : 0;
}

function validQuery(q: SegmentQuery): boolean {
  return (
    typeof q === 'object' && q !== null &&
    typeof q.key === 'string' && q.key.length <= MAX_KEY_LENGTH + 40 &&
    typeof q.swarm === 'string' && typeof q.budgetMs === 'number' && q.budgetMs > 0
  );
}

function validPut(p: SegmentPut, max: number): boolean {
  return (
    typeof p === 'object' && p !== null && typeof p.key === 'string' && typeof p.swarm === 'string' &&
    p.body instanceof Blob && p.body.size <= max && keyInSwarm(p.key.split('#')[0] ?? '', p.swarm)
  );
}
