import { SwarmError, type SwarmErrorCode } from '../../core/SwarmError';
import { FRAME_HEADER_BYTES, dataFrames, type ControlMessage } from '../protocol';
import type { StoredSegment } from '../SegmentStore';
import { TokenBucket } from '../TokenBucket';
import type { ConnectionLike } from './ConnectionLike';
import { stallMsFor } from './stallMsFor';
import { CANCELLED, cancelUpload, drainOrCancel, newUpload, whileWanted, type Upload } from './Upload';

/**
 * An upload the cap would delay longer than this is refused (absent); so is one that would leave the uplink (see
 * UplinkMeter) later than this, when the asker did not say its deadline.
 */
const UPLOAD_BUSY_MS = 1000;
/**
 * Of the asker's deadline (`withinMs`), the part by which the uplink must have carried the segment; of its silence
 * limit, the part by which what the uplink queues ahead must have left.
 */
const WITHIN_SHARE = 0.8;
/**
 * Transfers whose every frame was handed on, remembered (per link) for a `late` cancel: a channel hands a whole
 * segment to the transport at once, which may still be sending it when its asker gives up.
 */
const MAX_RECENT = 16;
/** ...for this long. */
const RECENT_MS = 30_000;

/** The bounds on what one peer asks of us (see PeerLinkLimits). */
export interface UploadLimits {
  /**
   * The asker's silence limit before `stallMsFor` stretches it (PeerLinkLimits.stallMs: this page's own, as every
   * page of a site has the same config): how long it waits for a transfer's first bytes.
   */
  stallMs: number;
  maxRequestsPerSec: number;
  maxRequestsInFlight: number;
  sendHighWaterBytes: number;
  drainTimeoutMs: number;
}

export interface UploadsDeps {
  /** The peer's id, for error details. */
  peer: string;
  limits: UploadLimits;
  /** Where frames go (its data channel, read at each frame, for backpressure). */
  conn: Pick<ConnectionLike, 'send' | 'dataChannel'>;
  /** The segment to serve for a key, or undefined; may wait up to `waitMs` for a download in progress. */
  provide(key: string, waitMs: number): StoredSegment | undefined | Promise<StoredSegment | undefined>;
  /** Milliseconds to wait before sending `bytes` more (upload rate cap); 0 = now. */
  throttle(bytes: number): number;
  /** Milliseconds the upload cap would hold a `bytes` transfer back now (nothing booked). */
  uploadWaitMs(bytes: number): number;
  /** Milliseconds until `bytes` more would have left the uplink, behind what it queues now (0: unknown). */
  uplinkWaitMs?: ((bytes: number) => number) | undefined;
  /**
   * `deltaBytes` more (fewer, when negative) promised to uploads and not yet handed to a channel: what the page's
   * uplink owes beyond what its channels queue, which `uplinkWaitMs` counts too (see UploadBudget.promise).
   */
  promised?: ((deltaBytes: number) => void) | undefined;
  /** What the data channel may queue before a transfer waits, now (default limits.sendHighWaterBytes). */
  highWaterBytes?(): number;
  send(m: ControlMessage): void;
  /** Whether the link has closed (uploads stop at their next step). */
  closed(): boolean;
  /** `bytes` of segment payload went out. */
  onSent(bytes: number): void;
  /**
   * The asker gave up a transfer of ours as late (its deadline passed, or the bytes stopped) after `handedBytes` of it
   * were handed to the channel over `elapsedMs` since its first frame: the uplink carried less than it was thought to
   * (see UplinkMeter.late).
   */
  late?: ((handedBytes: number, elapsedMs: number) => void) | undefined;
  /** Serving failed in a way that ends the link. */
  fail(code: SwarmErrorCode, detail: string): void;
  now(): number;
}

/**
 * The peer's requests of this page: bounded by rate (maxRequestsPerSec, faster is rate-exceeded) and by count
 * (maxRequestsInFlight live ones; one more is too-many-requests), each served in frames that wait for the channel
 * to drain below sendHighWaterBytes (the link closes when it does not within drainTimeoutMs) and for the upload
 * cap. A cancel ends the upload at once (see Upload); until it has, it holds its place among the peer's requests.
 */
export class Uploads {
  /** Requests being served, cancelled ones included until they are gone. */
  private readonly open = new Map<number, Upload>();
  private readonly budget: TokenBucket;
  /** Transfers sending or sent: request id → payload bytes handed on, and when the first frame was (see MAX_RECENT). */
  private readonly sending = new Map<number, { handed: number; startedAt: number }>();

  constructor(private readonly deps: UploadsDeps) {
    this.budget = new TokenBucket(Math.max(1, deps.limits.maxRequestsPerSec), deps.now);
  }

  /** Requests of the peer held now, cancelled ones that have not ended yet included. */
  get size(): number {
    return this.open.size;
  }

  /** A `req`; throws rate-exceeded or too-many-requests when the peer breaks its bounds. */
  onRequest(m: Extract<ControlMessage, { t: 'req' }>): void {
    const { maxRequestsPerSec, maxRequestsInFlight } = this.deps.limits;
    if (this.budget.take(1) > 0) {
      throw new SwarmError('rate-exceeded', 'peer sends requests too fast', { limitPerSec: maxRequestsPerSec });
    }
    let live = 0;
    for (const u of this.open.values()) if (!u.cancelled) live++;
    if (live >= maxRequestsInFlight) {
      throw new SwarmError('too-many-requests', 'peer has too many requests in flight', { limit: maxRequestsInFlight });
    }
    // Cancelled uploads still winding down hold their place: no new work until one is gone. Not a violation: an
    // honest asker sends its next request right after a cancel and cannot know when our upload ended.
    if (this.open.size >= maxRequestsInFlight || this.open.has(m.id)) {
      this.deps.send({ t: 'absent', id: m.id });
      return;
    }
    void this.serve(m.id, m.key, m.waitMs, m.withinMs);
  }

  /** `late`: the asker gave it up because its bytes did not come in time (see UploadsDeps.late). */
  onCancel(id: number, late = false): void {
    const u = this.open.get(id);
    if (u) cancelUpload(u); // ends its wait now: its copy of the segment goes with it
    const s = this.sending.get(id);
    if (!s) return; // not sending yet (waiting for the segment): the uplink is not in question
    this.sending.delete(id);
    const elapsedMs = this.deps.now() - s.startedAt;
    if (late && s.handed > 0 && elapsedMs <= RECENT_MS) this.deps.late?.(s.handed, elapsedMs);
  }

  /** The link closed: uploads under way stop at their next step; the waiting ones are woken so their copies go now. */
  cancelAll(): void {
    for (const u of this.open.values()) cancelUpload(u);
  }

  /**
   * This page stopped serving (upload switched off): every upload ends at once, as a cancel does, and the peer is
   * told `absent` for each (mid-transfer too), so it asks elsewhere or goes to HTTP at once, as after any absent.
   */
  dropAll(): void {
    for (const u of this.open.values()) {
      if (u.cancelled) continue; // the peer's own cancel: it expects nothing more
      u.dropped = true;
      cancelUpload(u);
    }
  }

  private async serve(id: number, key: string, waitMs: number, withinMs?: number): Promise<void> {
    const { deps } = this;
    const up = newUpload();
    this.open.set(id, up);
    // by when the uplink must have carried it: most of the asker's deadline, when it said one, counted from now —
    // the time spent waiting for our own download of the segment is gone from it (live: the holder is usually
    // still fetching when the others ask, and a transfer admitted against the whole deadline after that wait ran
    // late, its bytes wasted)
    const askedAt = deps.now();
    const said = withinMs !== undefined && withinMs > 0;
    const uplinkLimitMs = said ? withinMs * WITHIN_SHARE : UPLOAD_BUSY_MS;
    // ...and by when its first bytes must have begun to leave: the asker's silence limit (its stall timer until the
    // first bytes, the wait for our download included), less what the uplink queues ahead of them. On 16/1 Mbit/s
    // lines a holder admitted uploads its line could finish within their deadlines, and the askers of the later ones
    // heard nothing within their 750 ms, gave them up (peer-stall), and counted the holder as failing.
    const silenceLimitMs = said ? (stallMsFor(deps.limits.stallMs, withinMs) + waitMs) * WITHIN_SHARE : Infinity;
    const tooLate = (bytes: number) => {
      const elapsedMs = said ? deps.now() - askedAt : 0;
      return (
        deps.uploadWaitMs(bytes) > UPLOAD_BUSY_MS ||
        (deps.uplinkWaitMs?.(bytes) ?? 0) > uplinkLimitMs - elapsedMs ||
        (deps.uplinkWaitMs?.(0) ?? 0) > silenceLimitMs - elapsedMs
      );
    };
    // what this upload still owes the uplink, promised from the moment it is admitted until each frame is handed on
    let owed = 0;
    const owe = (deltaBytes: number): void => {
      owed += deltaBytes;
      deps.promised?.(deltaBytes);
    };
    try {
      // refused before anything is waited for when what the uplink holds already would not leave in time: the asker
      // hears it at once rather than after our own download of the segment
      if (tooLate(0)) {
        deps.send({ t: 'absent', id });
        return;
      }
      const segment = await whileWanted(up, deps.provide(key, waitMs));
      if (deps.closed()) return;
      // Absent rather than slow: a peer held back by its upload cap lets the asker go elsewhere at once.
      if (segment === CANCELLED || !segment || tooLate(segment.body.size)) {
        deps.send({ t: 'absent', id });
        return;
      }
      owe(segment.body.size);
      const read = await whileWanted(up, segment.body.arrayBuffer());
      if (deps.closed()) return;
      if (read === CANCELLED) {
        deps.send({ t: 'absent', id });
        return;
      }
      const bytes = new Uint8Array(read);
      deps.send({ t: 'send', id, bytes: bytes.byteLength, totalBytes: segment.totalBytes, contentType: segment.contentType });
      const sent = { handed: 0, startedAt: deps.now() };
      this.sending.set(id, sent);
      if (this.sending.size > MAX_RECENT) this.sending.delete(this.sending.keys().next().value!);
      // A cancel ends each wait below at once: this coroutine returns and its copy of the segment is freed.
      for (const frame of dataFrames(id, bytes)) {
        if (deps.closed() || up.cancelled) return this.ended(up, id);
        const { sendHighWaterBytes, drainTimeoutMs } = deps.limits;
        const highWater = Math.min(sendHighWaterBytes, deps.highWaterBytes?.() ?? sendHighWaterBytes);
        if (!(await drainOrCancel(up, deps.conn.dataChannel, highWater, drainTimeoutMs, deps.peer))) return this.ended(up, id);
        const wait = deps.throttle(frame.byteLength);
        if (wait > 0 && (await whileWanted(up, new Promise<void>((r) => setTimeout(r, wait)))) === CANCELLED) return this.ended(up, id);
        if (deps.closed() || up.cancelled) return this.ended(up, id);
        deps.conn.send(frame);
        const payloadBytes = frame.byteLength - FRAME_HEADER_BYTES;
        sent.handed += payloadBytes;
        owe(-Math.min(owed, payloadBytes));
        deps.onSent(payloadBytes);
      }
      deps.send({ t: 'done', id });
    } catch (err) {
      if (!deps.closed()) deps.fail(SwarmError.is(err) ? err.code : 'peer-closed', String(err));
    } finally {
      if (owed > 0) owe(-owed);
      this.open.delete(id);
    }
  }

  /** A transfer stopped midway: a peer's own cancel needs no answer; one this page dropped is answered `absent`. */
  private ended(up: Upload, id: number): void {
    if (up.dropped && !this.deps.closed()) this.deps.send({ t: 'absent', id });
  }
}
