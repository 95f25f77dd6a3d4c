import { SwarmError, type SwarmErrorCode } from '../../core/SwarmError';
import { MAX_REQ_WAIT_MS, type ControlMessage } from '../protocol';
import { Reassembly } from './Reassembly';
import { stallMsFor } from './stallMsFor';
import type { RemoteHaves } from './RemoteHaves';
import type { Throughput } from './Throughput';

/** A segment a peer sent. */
export interface Received {
  body: Blob;
  /** The same bytes as `body`, contiguous in memory (for the integrity check), when the link has them. */
  bytes?: Uint8Array;
  totalBytes: number | null;
  contentType: string | null;
}

/** The bounds on our requests to one peer (see PeerLinkLimits). */
export interface DownloadLimits {
  segmentMaxBytes: number;
  stallMs: number;
  maxRequestsInFlight: number;
}

export interface DownloadsDeps {
  /** The peer's id, for error details. */
  peer: string;
  limits: DownloadLimits;
  /** What the peer announced: an absent forgets the key; requests made on fetching news strike or clear. */
  haves: RemoteHaves;
  throughput: Throughput;
  send(m: ControlMessage): void;
  /** Whether requests may go out (handshake complete, link not closed). */
  isOpen(): boolean;
  now(): number;
}

interface Download {
  key: string;
  resolve(value: Received): void;
  reject(err: SwarmError): void;
  assembly: Reassembly | null;
  meta: { totalBytes: number | null; contentType: string | null } | null;
  stallTimer: ReturnType<typeof setTimeout>;
  startedAt: number;
  /** When the request times out (peer-timeout). */
  deadlineAt: number;
  /** How long it may go without a byte before it fails (peer-stall): see stallMsFor. */
  stallMs: number;
  /** When its `send` came (the transfer's first word), or null before. */
  sendAt: number | null;
  /** Sent because the peer said it was fetching the key (not that it held it): ending with nothing is a strike. */
  onFetchingNews: boolean;
}

/** Cancelled request ids whose in-flight frames are still dropped quietly. */
const MAX_TOMBSTONES = 64;
/** A transfer's finish is projected from its own rate once it has run this long and brought this much. */
const PROJECT_AFTER_MS = 250;
const PROJECT_AFTER_BYTES = 32 * 1024;

/**
 * Our requests to one peer and their reassembly: `req` out; `send` (the declared size, bounded by segmentMaxBytes)
 * → frames → `done` in; `absent`. Each request settles within its deadline (peer-timeout) and fails when no byte
 * comes for its stall limit (peer-stall; see stallMsFor); a cancelled one leaves a tombstone so the frames still on their way (never more
 * than declared) are dropped quietly. Anything else from the peer about requests is a protocol violation (thrown).
 */
export class Downloads {
  private nextId = 1;
  private readonly open = new Map<number, Download>();
  private readonly tombstones = new Map<number, number>();
  private closed = false;

  constructor(private readonly deps: DownloadsDeps) {}

  get size(): number {
    return this.open.size;
  }

  /** Whether one more request stays within maxRequestsInFlight (and the link is open). */
  get canRequest(): boolean {
    return this.deps.isOpen() && this.open.size < this.deps.limits.maxRequestsInFlight;
  }

  /**
   * When the transfer of `key` under way is projected to end, at the rate its bytes have come since its `send`;
   * null when no request for it is open, or it has not run long enough to tell (see PROJECT_AFTER_MS).
   */
  projectedDoneAt(key: string): number | null {
    for (const d of this.open.values()) if (d.key === key) return this.projectedEnd(d);
    return null;
  }

  /** See PeerLink.request. */
  request(key: string, timeoutMs: number, waitMs = 0, signal?: AbortSignal): Promise<Received> {
    const { peer, limits } = this.deps;
    if (signal?.aborted) return Promise.reject(this.abortError(key, signal));
    if (!this.deps.isOpen()) return Promise.reject(new SwarmError('peer-closed', 'link not open', { peer }));
    if (!this.canRequest) {
      // the peer would drop us for it: never send more than it allows
      return Promise.reject(new SwarmError('too-many-requests', 'requests in flight to this peer at the limit', {
        peer, limit: limits.maxRequestsInFlight,
      }));
    }
    const id = this.nextId++;
    waitMs = Math.min(MAX_REQ_WAIT_MS, Math.max(0, Math.floor(waitMs)));
    const stallMs = stallMsFor(limits.stallMs, timeoutMs);
    return new Promise<Received>((resolve, reject) => {
      const deadline = setTimeout(() => this.fail(id, 'peer-timeout', true), timeoutMs);
      const onAbort = () => this.fail(id, 'peer-timeout', true, this.abortError(key, signal!));
      const settled = () => {
        clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
      };
      this.open.set(id, {
        key,
        resolve: (v) => {
          settled();
          resolve(v);
        },
        reject: (e) => {
          settled();
          reject(e);
        },
        assembly: null,
        meta: null,
        stallTimer: setTimeout(() => this.fail(id, 'peer-stall', true), stallMs + waitMs),
        stallMs,
        startedAt: this.deps.now(),
        deadlineAt: this.deps.now() + timeoutMs,
        sendAt: null,
        onFetchingNews: this.deps.haves.onlyFetching(key),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.deps.send({ t: 'req', id, key, waitMs, withinMs: Math.max(0, Math.round(timeoutMs)) });
    });
  }

  onAbsent(id: number): void {
    const d = this.open.get(id);
    if (!d) return this.endTombstone(id);
    this.deps.haves.absent(d.key);
    this.fail(id, 'peer-absent', false);
  }

  onSend(m: Extract<ControlMessage, { t: 'send' }>): void {
    const d = this.open.get(m.id);
    if (!d) {
      // a request we cancelled: its frames may still come, never more than first allowed
      const left = this.tombstones.get(m.id);
      if (left === undefined) throw new SwarmError('protocol-violation', 'send for no request', { id: m.id });
      this.tombstones.set(m.id, Math.min(left, m.bytes));
      return;
    }
    if (d.assembly) throw new SwarmError('protocol-violation', 'second send for a request');
    const max = this.deps.limits.segmentMaxBytes;
    if (m.bytes > max) throw new SwarmError('size-exceeded', 'declared segment too large', { bytes: m.bytes });
    d.assembly = new Reassembly(m.bytes, max);
    d.meta = { totalBytes: m.totalBytes, contentType: m.contentType };
    d.sendAt = this.deps.now();
    this.touch(m.id, d);
  }

  onDone(id: number): void {
    const d = this.open.get(id);
    if (!d) return this.endTombstone(id);
    if (!d.assembly || !d.meta) throw new SwarmError('protocol-violation', 'done before send');
    const { blob: body, bytes } = d.assembly.take(d.meta.contentType); // throws when short
    clearTimeout(d.stallTimer);
    this.open.delete(id);
    if (d.onFetchingNews) this.deps.haves.delivered();
    this.deps.throughput.completed(d.assembly.declaredBytes, d.startedAt);
    d.resolve({ body, bytes, totalBytes: d.meta.totalBytes, contentType: d.meta.contentType });
  }

  /** One data frame (already decoded; the handshake has checked the peer said hello). */
  onFrame(id: number, payload: Uint8Array): void {
    const d = this.open.get(id);
    if (!d) {
      // frames of a request we cancelled may still arrive, up to the size that was declared
      const left = this.tombstones.get(id);
      if (left === undefined || payload.byteLength > left) {
        throw new SwarmError('protocol-violation', 'frame for no request', { id });
      }
      this.tombstones.set(id, left - payload.byteLength);
      return;
    }
    if (!d.assembly) throw new SwarmError('protocol-violation', 'frame before send', { id });
    d.assembly.push(payload);
    this.deps.throughput.received(payload.byteLength);
    // at the rate it has come so far, it would not be here before its deadline: given up now, not at the deadline,
    // so the segment goes to the network while there is still time (a peer on a slow uplink, a busy one)
    if (this.lateAtThisRate(d)) return this.fail(id, 'peer-timeout', true);
    this.touch(id, d);
  }

  /** The link closed: every download fails with peer-closed (no cancel sent, no strike). */
  closeAll(): void {
    this.closed = true;
    for (const [id] of this.open) this.fail(id, 'peer-closed', false);
  }

  private abortError(key: string, signal: AbortSignal): SwarmError {
    const reason: unknown = signal.reason;
    if (SwarmError.is(reason)) return reason;
    return new SwarmError('peer-timeout', 'request aborted', { peer: this.deps.peer, key, aborted: true });
  }

  /** Whether the transfer, at the rate it has come since its `send`, would end after its deadline. */
  private lateAtThisRate(d: Download): boolean {
    const end = this.projectedEnd(d);
    return end !== null && end > d.deadlineAt;
  }

  /** When the transfer would end at the rate it has come since its `send`; null too early to tell (or not started). */
  private projectedEnd(d: Download): number | null {
    const a = d.assembly;
    if (!a || d.sendAt === null) return null;
    const now = this.deps.now();
    if (a.complete) return now;
    const elapsed = now - d.sendAt;
    if (elapsed < PROJECT_AFTER_MS || a.receivedBytes < PROJECT_AFTER_BYTES) return null;
    return now + ((a.declaredBytes - a.receivedBytes) * elapsed) / a.receivedBytes;
  }

  /**
   * Counts what came of an unfinished transfer in the peer's rate, when it ran long enough to say (PROJECT_AFTER_MS,
   * PROJECT_AFTER_BYTES); whether it did.
   */
  private measureSoFar(d: Download): boolean {
    const a = d.assembly;
    if (!a || d.sendAt === null || a.receivedBytes < PROJECT_AFTER_BYTES || this.deps.now() - d.sendAt < PROJECT_AFTER_MS) return false;
    this.deps.throughput.completed(a.receivedBytes, d.startedAt);
    return true;
  }

  /** The last word on a cancelled request; anything else is an answer to no request. */
  private endTombstone(id: number): void {
    if (!this.tombstones.delete(id)) throw new SwarmError('protocol-violation', 'answer to no request', { id });
  }

  private touch(id: number, d: Download): void {
    clearTimeout(d.stallTimer);
    d.stallTimer = setTimeout(() => this.fail(id, 'peer-stall', true), d.stallMs);
  }

  /**
   * Ends a download. `cancel`: tell the peer, and tolerate what it already sent. `aborted`: our caller gave up (the
   * error to reject with); not the peer's doing, so neither a strike nor a throughput penalty.
   */
  private fail(id: number, code: SwarmErrorCode, cancel: boolean, aborted?: SwarmError): void {
    const d = this.open.get(id);
    if (!d) return;
    clearTimeout(d.stallTimer);
    this.open.delete(id);
    if (cancel && !this.closed) {
      // remember how many bytes may still come for it
      const left = d.assembly ? d.assembly.declaredBytes - d.assembly.receivedBytes : this.deps.limits.segmentMaxBytes;
      this.tombstones.set(id, left);
      if (this.tombstones.size > MAX_TOMBSTONES) this.tombstones.delete(this.tombstones.keys().next().value!);
      // late: our deadline passed or the peer went silent (not our caller giving up): its uplink is slower than it thinks
      this.deps.send(aborted === undefined && (code === 'peer-timeout' || code === 'peer-stall') ? { t: 'cancel', id, late: true } : { t: 'cancel', id });
    }
    // given up by us, or a deadline its bytes came too slowly for: what came so far says how fast the peer sends (a
    // 2 Mbit/s uplink missing an 800 ms deadline is a 2 Mbit/s uplink, not a dead peer — counted as 0, it was never
    // asked for a segment again, not even one the player wants 10 s later: see Prefetcher)
    const measured = (aborted !== undefined || code === 'peer-timeout') && this.measureSoFar(d);
    if (aborted) return d.reject(aborted);
    if (code === 'peer-stall' || (code === 'peer-timeout' && !measured)) this.deps.throughput.failed(d.startedAt);
    // `received`: bytes of a transfer under way (-1 when the peer never started sending)
    const received = d.assembly ? d.assembly.receivedBytes : -1;
    // asked because it said it was fetching, and nothing came of it
    if (d.onFetchingNews && code !== 'peer-closed' && received <= 0) this.deps.haves.strike();
    d.reject(new SwarmError(code, `request ${id} failed`, { peer: this.deps.peer, key: d.key, received }));
  }
}
