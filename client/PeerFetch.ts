import { parseKeyRange } from '../core/contract';
import { SwarmError, type SwarmErrorCode } from '../core/SwarmError';
import type { PeerLink, Received } from './PeerLink';
import type { StoredSegment } from './SegmentStore';
import type { Expectation, HashSource, SegmentVerifier } from './SegmentVerifier';
import type { TrustedMeta } from './TrustedMeta';

/** Transfers in a row a peer started but did not finish in time (a drip) before it is dropped for the session. */
const MAX_SLOW_STRIKES = 3;
/** Shortest request deadline whose expiry counts as a strike. */
const STRIKE_MIN_TIMEOUT_MS = 1000;
/** Peers whose strikes are remembered. */
const MAX_STRUCK_PEERS = 256;

export type IntegrityNotice = {
  key: string;
  peerId: string;
  code: 'integrity-mismatch' | 'integrity-unavailable';
  message: string;
};

export interface PeerFetchDeps {
  /** What the peer calls the segment (its shared key; see SharedKeys): asked for by it, checked by `key`. */
  wireKey?(key: string): string;
  /** Checks peer bytes; without one (tests only) they are accepted as they come. */
  verifier?: Pick<SegmentVerifier, 'expect' | 'check' | 'canAccept'> | undefined;
  meta: Pick<TrustedMeta, 'totalBytes' | 'contentType'>;
  segmentMaxBytes: number;
  now(): number;
  /** Ends a peer's link for the rest of the session. */
  ban?: ((peerId: string, reason: SwarmErrorCode) => void) | undefined;
  onIntegrity?: ((e: IntegrityNotice) => void) | undefined;
}

/**
 * One segment from one peer, checked before anyone sees it: the expected hash is looked up while the peer sends
 * (and the request is cancelled as soon as the lookup says the bytes could not be taken anyway); the bytes must match
 * it; the peer's `totalBytes` must match what this page knows first-hand, and its `contentType` is never used. A
 * peer whose transfers keep starting and not finishing in time (a drip) is dropped.
 */
export class PeerFetch {
  /** Per peer: strikes in a row, and the last request asked before the latest strike (see strike). */
  private readonly slowStrikes = new Map<string, { n: number; upTo: number }>();
  /** Requests asked so far (their order). */
  private requestsAsked = 0;

  constructor(private readonly deps: PeerFetchDeps) {}

  /** `signal`: the caller gives up (the request is cancelled; rejects with peer-timeout, `aborted: true`). */
  async fetch(link: PeerLink, key: string, swarm: string, timeoutMs: number, waitMs: number, signal?: AbortSignal): Promise<StoredSegment> {
    const { verifier } = this.deps;
    const t0 = this.deps.now();
    const order = ++this.requestsAsked;
    const expected = verifier?.expect(key);
    const stop = new AbortController();
    if (signal?.aborted) stop.abort();
    signal?.addEventListener('abort', () => stop.abort(), { once: true });
    let refused: SwarmError | null = null;
    void expected?.then((exp) => {
      if (verifier!.canAccept(exp)) return;
      refused = new SwarmError('integrity-unavailable', exp.kind === 'unknown' ? `no trusted hash: ${exp.why}` : 'no hash source covers this segment', {
        key: key.slice(0, 200), reason: exp.kind === 'unknown' ? 'no-hash' : 'no-source',
      });
      stop.abort(refused);
    });
    let got: Received;
    try {
      got = await link.request(this.deps.wireKey?.(key) ?? key, timeoutMs, waitMs, stop.signal);
    } catch (err) {
      if (refused) throw this.unavailable(link, key, refused);
      this.strike(link.remoteId, err, timeoutMs, order);
      throw err;
    }
    this.slowStrikes.delete(link.remoteId);
    if (got.body.size > this.deps.segmentMaxBytes) throw new SwarmError('size-exceeded', 'segment too large');
    let verifiedBy: HashSource | null = null;
    let exp: Expectation | null = null;
    if (verifier && expected) {
      try {
        verifiedBy = await verifier.check(key, got.bytes ?? got.body, expected, Math.max(0, timeoutMs - (this.deps.now() - t0)));
        exp = await expected; // settled: check had it
      } catch (err) {
        const e = SwarmError.is(err) ? err : new SwarmError('integrity-unavailable', String(err));
        if (e.code === 'integrity-mismatch') throw this.mismatch(link, key, e);
        throw this.unavailable(link, key, new SwarmError('integrity-unavailable', e.message, e.details));
      }
    }
    const { url, range } = parseKeyRange(key);
    const ranged = range !== null;
    // the whole file's size: the body itself (hash-checked), else the manifest's, else this page's own HTTP
    const totalBytes = ranged ? (exp?.kind === 'parts' ? exp.totalBytes : null) ?? this.deps.meta.totalBytes(url) : got.body.size;
    if (got.totalBytes !== null && totalBytes !== null && got.totalBytes !== totalBytes) {
      throw this.mismatch(link, key, new SwarmError('integrity-mismatch', 'wrong totalBytes', {
        key: key.slice(0, 200), said: got.totalBytes, want: totalBytes,
      }));
    }
    const contentType = this.deps.meta.contentType(url);
    return {
      key, swarm, body: got.body.type === contentType ? got.body : got.body.slice(0, got.body.size, contentType),
      totalBytes, contentType, from: 'p2p', peerId: link.remoteId, delivered: false, verified: verifiedBy !== null, verifiedBy,
    };
  }

  private mismatch(link: PeerLink, key: string, e: SwarmError): SwarmError {
    this.deps.ban?.(link.remoteId, 'integrity-mismatch');
    this.deps.onIntegrity?.({ key, peerId: link.remoteId, code: 'integrity-mismatch', message: e.message });
    return e;
  }

  /** No trusted hash: the segment comes over HTTP, the peer is not blamed. */
  private unavailable(link: PeerLink, key: string, e: SwarmError): SwarmError {
    this.deps.onIntegrity?.({ key, peerId: link.remoteId, code: 'integrity-unavailable', message: e.message });
    return e;
  }

  /**
   * Counts a transfer the peer started but did not finish in time; a peer that keeps doing so is dropped. Only a
   * transfer that had at least STRIKE_MIN_TIMEOUT_MS counts: a starving player's short tries end on our deadline,
   * not on the peer's pace, and a busy machine must not make an honest peer look like a drip. One slow moment of the
   * peer is one strike: a transfer asked before its latest strike (`order`, see fetch) ran through the same moment
   * and shares it — on 50/10 Mbit/s lines a page running a player's try and three prefetches with one peer had two
   * prefetches projected late and the try time out at once, and banned the swarm's first viewer for the session. A
   * drip is still struck once for each transfer asked after its latest strike.
   */
  private strike(peerId: string, err: unknown, timeoutMs: number, order: number): void {
    if (timeoutMs < STRIKE_MIN_TIMEOUT_MS) return;
    if (!SwarmError.is(err, 'peer-timeout') || !(Number(err.details.received) >= 0)) return;
    const was = this.slowStrikes.get(peerId);
    if (was && order <= was.upTo) return;
    const n = (was?.n ?? 0) + 1;
    if (!was && this.slowStrikes.size >= MAX_STRUCK_PEERS) this.slowStrikes.clear();
    this.slowStrikes.set(peerId, { n, upTo: this.requestsAsked });
    if (n >= MAX_SLOW_STRIKES) {
      this.slowStrikes.delete(peerId);
      this.deps.ban?.(peerId, 'peer-stall');
    }
  }
}
