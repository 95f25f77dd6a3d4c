import { SwarmError, type SwarmErrorCode } from '../core/SwarmError';
import { keyInSwarm } from '../core/swarmId';
import {
  PROTOCOL_VERSION,
  FRAME_HEADER_BYTES,
  MAX_REQ_WAIT_MS,
  chunkKeys,
  Reassembly,
  dataFrames,
  decodeControl,
  decodeDataFrame,
  encodeControl,
  type ControlMessage,
} from './protocol';
import type { StoredSegment } from './SegmentStore';
import { TokenBucket } from './TokenBucket';

/** The part of an RTCDataChannel a link needs for backpressure. */
export interface DataChannelLike {
  bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  addEventListener(type: 'bufferedamountlow' | 'close', listener: () => void): void;
  removeEventListener(type: 'bufferedamountlow' | 'close', listener: () => void): void;
}

/** The part of a PeerJS DataConnection a link needs (so tests can use a fake). */
export interface ConnectionLike {
  readonly peer: string;
  readonly open: boolean;
  readonly dataChannel?: DataChannelLike;
  send(data: string | ArrayBuffer): void;
  close(): void;
  on(event: 'open' | 'close', listener: () => void): unknown;
  on(event: 'data', listener: (data: unknown) => void): unknown;
  on(event: 'error', listener: (err: unknown) => void): unknown;
}

export interface PeerLinkLimits {
  /** Largest segment accepted from the peer. */
  segmentMaxBytes: number;
  /** A download with no bytes for this long fails with peer-stall. */
  stallMs: number;
  /** Pause sending while the channel buffers more than this. */
  sendHighWaterBytes: number;
  /**
   * Requests the peer may have open with us at once (being served, or waiting for our download). One more drops
   * the peer (too-many-requests); our own requests to a peer never exceed it.
   */
  maxRequestsInFlight: number;
  /** Requests per second the peer may send (bursts up to one second's worth); faster drops it (rate-exceeded). */
  maxRequestsPerSec: number;
  /** Segment keys remembered from the peer's announcements. */
  maxRemoteKeys: number;
  /** Longest an upload waits for the channel to drain before the link is closed. */
  drainTimeoutMs: number;
  /**
   * An open link that heard nothing for this long sends a ping; one whose ping stays unanswered (nothing at all
   * heard) for twice this long closes with peer-timeout. Catches a peer that vanished without closing.
   */
  pingIntervalMs: number;
}

export interface PeerLinkDeps {
  limits: PeerLinkLimits;
  /**
   * This page dialled the connection (the peer accepted it). The dialler never speaks first: it says hello only
   * once it has heard the accepting side's (see protocol.ts). @default false
   */
  dialled?: boolean;
  /** The segment to serve for a key, or undefined; may wait up to `waitMs` for a download in progress. */
  provide(key: string, waitMs: number): StoredSegment | undefined | Promise<StoredSegment | undefined>;
  /** Milliseconds to wait before sending `bytes` more (upload rate cap); 0 = now. */
  throttle(bytes: number): number;
  /** Milliseconds the upload cap would hold a `bytes` transfer back now (nothing booked). */
  uploadWaitMs(bytes: number): number;
  /** Keys to announce once the link is open. */
  initialHaves(): Map<string, string[]>;
  onOpen(link: PeerLink): void;
  onClose(link: PeerLink, reason: SwarmErrorCode | 'closed', detail?: string): void;
  onUpload(link: PeerLink, bytes: number): void;
  now(): number;
}

export interface Received {
  body: Blob;
  /** The same bytes as `body`, contiguous in memory (for the integrity check), when the link has them. */
  bytes?: Uint8Array;
  totalBytes: number | null;
  contentType: string | null;
}

interface Download {
  key: string;
  resolve(value: Received): void;
  reject(err: SwarmError): void;
  assembly: Reassembly | null;
  meta: { totalBytes: number | null; contentType: string | null } | null;
  stallTimer: ReturnType<typeof setTimeout>;
  startedAt: number;
}

/** Cancelled request ids whose in-flight frames are still dropped quietly. */
const MAX_TOMBSTONES = 64;
/** How long a peer's "fetching" news is believed. */
const FETCHING_FRESH_MS = 8_000;
const MAX_REMOTE_FETCHING = 512;
/** An upload the cap would delay longer than this is refused (absent). */
const UPLOAD_BUSY_MS = 1000;
/** The accepting side repeats its hello after this long, then twice as long each time, until it hears one. */
const HELLO_RETRY_FIRST_MS = 250;
/** Hellos a peer may repeat (answers to our repeats, or its own repeats crossing ours); more ends the link. */
const MAX_EXTRA_HELLOS = 8;
/** Pings answered at most this often (a peer that pings faster gets fewer pongs, and its own check copes). */
const PONG_MIN_GAP_MS = 100;

/**
 * One peer connection speaking the wire protocol: announcements both ways, requests out with stall detection,
 * uploads with backpressure. Anything the peer does wrong closes this link and nothing else.
 */
export class PeerLink {
  readonly remoteId: string;
  private helloSeen = false;
  private helloSent = false;
  /** What we hold has been announced to the peer; later news follows as it happens. */
  private announcing = false;
  private helloRetry: ReturnType<typeof setTimeout> | null = null;
  private extraHellos = 0;
  /** Our side of the channel reported open (sending is possible). */
  private channelOpen = false;
  /** Both hellos exchanged (ours sent, theirs received): the link is usable. */
  private opened = false;
  private closed = false;
  private nextId = 1;
  private downloads = new Map<number, Download>();
  private uploads = new Set<number>();
  private cancelledUploads = new Set<number>();
  private tombstones = new Map<number, number>();
  private remoteKeys = new Set<string>();
  /** Keys the peer said it is downloading over HTTP now, with when that news goes stale. */
  private remoteFetching = new Map<string, number>();
  /** The peer's request budget (maxRequestsPerSec). */
  private readonly requestBudget: TokenBucket;
  /** When anything last arrived from the peer; when our unanswered ping left (null: none out); our last pong. */
  private lastHeardAt: number;
  private pingSentAt: number | null = null;
  private lastPongAt = -Infinity;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  /** Download throughput of completed transfers, bytes per ms (EWMA); null until one completes. */
  throughput: number | null = null;
  downloadedBytes = 0;
  uploadedBytes = 0;

  constructor(
    private readonly conn: ConnectionLike,
    private readonly deps: PeerLinkDeps,
  ) {
    this.remoteId = conn.peer;
    this.requestBudget = new TokenBucket(Math.max(1, deps.limits.maxRequestsPerSec), deps.now);
    this.lastHeardAt = deps.now();
    conn.on('open', () => this.onOpen());
    conn.on('data', (data) => this.onData(data));
    conn.on('close', () => this.shutdown('closed'));
    conn.on('error', (err) => this.shutdown('peer-closed', String((err as Error)?.message ?? err)));
    if (conn.open) queueMicrotask(() => this.onOpen());
  }

  get isOpen(): boolean {
    return this.opened && !this.closed;
  }

  /** Whether the link ever completed its handshake (a closed one included). */
  get everOpened(): boolean {
    return this.opened;
  }

  get activeDownloads(): number {
    return this.downloads.size;
  }

  /** Whether one more request to this peer stays within maxRequestsInFlight. */
  get canRequest(): boolean {
    return this.isOpen && this.downloads.size < this.deps.limits.maxRequestsInFlight;
  }

  has(key: string): boolean {
    return this.remoteKeys.has(key);
  }

  /** Whether the peer announced, recently, that it is downloading this segment over HTTP. */
  isFetching(key: string): boolean {
    const until = this.remoteFetching.get(key);
    if (until === undefined) return false;
    if (until > this.deps.now()) return true;
    this.remoteFetching.delete(key);
    return false;
  }

  /** Tells the peer about segments this page now holds (or no longer holds). */
  announce(type: 'have' | 'lost' | 'fetching', swarm: string, keys: string[]): void {
    // before our first announcement (the store as it is then) news is not sent: that announcement includes it
    if (this.closed || !this.announcing) return;
    for (const chunk of chunkKeys(keys)) this.sendControl({ t: type, swarm, keys: chunk });
  }

  /**
   * Asks the peer for a segment; settles within `timeoutMs` (peer-timeout) and fails on a stall (peer-stall).
   * `waitMs` lets a peer that is still downloading it answer once it has it (the first byte may take that long).
   */
  request(key: string, timeoutMs: number, waitMs = 0): Promise<Received> {
    if (!this.isOpen) return Promise.reject(new SwarmError('peer-closed', 'link not open', { peer: this.remoteId }));
    if (!this.canRequest) {
      // the peer would drop us for it: never send more than it allows
      return Promise.reject(new SwarmError('too-many-requests', 'requests in flight to this peer at the limit', {
        peer: this.remoteId, limit: this.deps.limits.maxRequestsInFlight,
      }));
    }
    const id = this.nextId++;
    waitMs = Math.min(MAX_REQ_WAIT_MS, Math.max(0, Math.floor(waitMs)));
    return new Promise<Received>((resolve, reject) => {
      const deadline = setTimeout(() => this.failDownload(id, 'peer-timeout', true), timeoutMs);
      const download: Download = {
        key,
        resolve: (v) => {
          clearTimeout(deadline);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(deadline);
          reject(e);
        },
        assembly: null,
        meta: null,
        stallTimer: setTimeout(() => this.failDownload(id, 'peer-stall', true), this.deps.limits.stallMs + waitMs),
        startedAt: this.deps.now(),
      };
      this.downloads.set(id, download);
      this.sendControl({ t: 'req', id, key, waitMs });
    });
  }

  close(reason: SwarmErrorCode | 'closed' = 'closed', detail?: string): void {
    this.shutdown(reason, detail);
  }

  // ---- incoming ----

  private onOpen(): void {
    if (this.closed || this.channelOpen) return;
    this.channelOpen = true;
    // the accepting side speaks first; the dialler answers once it has heard it (or now, if it already has)
    if (!this.deps.dialled || this.helloSeen) this.sayHello();
  }

  private sayHello(): void {
    if (this.closed || this.helloSent) return;
    this.helloSent = true;
    this.sendControl({ t: 'hello', v: PROTOCOL_VERSION });
    // the peer's hello may have come before our channel reported open (nothing could be sent until then)
    if (this.helloSeen) return this.finishOpen();
    if (this.deps.dialled) return;
    // the accepting side announces what it holds with its hello, so the dialler knows it the moment it opens
    this.announceHeld();
    // The accepting side's hello, sent the moment its channel opens, is sometimes never delivered (Chromium, about
    // 1 connection in 100 under load): say it again, backing off, until the dialler's answer arrives.
    this.repeatHello(HELLO_RETRY_FIRST_MS);
  }

  private repeatHello(afterMs: number): void {
    this.helloRetry = setTimeout(() => {
      this.helloRetry = null;
      if (this.closed || this.helloSeen) return;
      this.sendControl({ t: 'hello', v: PROTOCOL_VERSION });
      this.repeatHello(afterMs * 2);
    }, afterMs);
  }

  /** Both hellos are out: start the heartbeat, tell the peer what we hold, and report the link open. */
  private finishOpen(): void {
    if (this.opened || this.closed) return;
    this.opened = true;
    const every = Math.max(50, this.deps.limits.pingIntervalMs / 2);
    this.heartbeatTimer = setInterval(() => this.heartbeat(), every);
    this.announceHeld();
    this.deps.onOpen(this);
  }

  /** Tells the peer everything we hold (once); from then on, news as it happens. */
  private announceHeld(): void {
    if (this.announcing || this.closed) return;
    this.announcing = true;
    for (const [swarm, keys] of this.deps.initialHaves()) this.announce('have', swarm, keys);
  }

  private onData(data: unknown): void {
    if (this.closed) return;
    this.lastHeardAt = this.deps.now();
    try {
      if (typeof data === 'string') this.onControl(decodeControl(data));
      else if (data instanceof ArrayBuffer) this.onFrame(data);
      else if (ArrayBuffer.isView(data) && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
        this.onFrame(data.buffer as ArrayBuffer);
      } else throw new SwarmError('protocol-violation', 'unexpected data type');
    } catch (err) {
      const e = SwarmError.is(err) ? err : new SwarmError('protocol-violation', String(err));
      this.shutdown(e.code, e.message);
    }
  }

  private onControl(m: ControlMessage): void {
    if (!this.helloSeen) {
      if (m.t === 'hello') {
        if (m.v !== PROTOCOL_VERSION) throw new SwarmError('protocol-violation', 'protocol version mismatch', { v: m.v });
        this.helloSeen = true;
        if (this.helloRetry) clearTimeout(this.helloRetry);
        if (this.helloSent) this.finishOpen();
        else if (this.channelOpen) this.sayHello();
        return;
      }
      // announcements may come before a hello that was lost (its repeat follows); nothing else may
      if (m.t !== 'have' && m.t !== 'lost' && m.t !== 'fetching') {
        throw new SwarmError('protocol-violation', 'expected hello', { t: m.t });
      }
    }
    switch (m.t) {
      case 'hello':
        // a repeated hello: the accepting side has not heard ours yet (the dialler answers again), or repeats
        // that crossed our answer (ignored); bounded, and never a different version
        if (m.v !== PROTOCOL_VERSION) throw new SwarmError('protocol-violation', 'protocol version changed', { v: m.v });
        if (++this.extraHellos > MAX_EXTRA_HELLOS) throw new SwarmError('protocol-violation', 'too many hellos');
        if (this.deps.dialled) this.sendControl({ t: 'hello', v: PROTOCOL_VERSION });
        return;
      case 'ping': {
        const now = this.deps.now();
        if (now - this.lastPongAt >= PONG_MIN_GAP_MS) {
          this.lastPongAt = now;
          this.sendControl({ t: 'pong' });
        }
        return;
      }
      case 'pong':
        return; // being heard is all it is for
      case 'have':
        for (const key of m.keys) {
          if (!keyInSwarm(key, m.swarm)) throw new SwarmError('protocol-violation', 'key outside swarm');
          if (this.remoteKeys.size >= this.deps.limits.maxRemoteKeys) {
            // forget the oldest announcement rather than grow
            const oldest = this.remoteKeys.values().next().value;
            if (oldest !== undefined) this.remoteKeys.delete(oldest);
          }
          this.remoteKeys.add(key);
          this.remoteFetching.delete(key);
        }
        return;
      case 'lost':
        for (const key of m.keys) {
          this.remoteKeys.delete(key);
          this.remoteFetching.delete(key);
        }
        return;
      case 'fetching': {
        const until = this.deps.now() + FETCHING_FRESH_MS;
        for (const key of m.keys) {
          if (!keyInSwarm(key, m.swarm)) throw new SwarmError('protocol-violation', 'key outside swarm');
          if (this.remoteFetching.size >= MAX_REMOTE_FETCHING) this.remoteFetching.delete(this.remoteFetching.keys().next().value!);
          this.remoteFetching.set(key, until);
        }
        return;
      }
      case 'req': {
        const { maxRequestsPerSec, maxRequestsInFlight } = this.deps.limits;
        if (this.requestBudget.take(1) > 0) {
          throw new SwarmError('rate-exceeded', 'peer sends requests too fast', { limitPerSec: maxRequestsPerSec });
        }
        if (this.uploads.size - this.cancelledUploads.size >= maxRequestsInFlight) {
          throw new SwarmError('too-many-requests', 'peer has too many requests in flight', { limit: maxRequestsInFlight });
        }
        void this.serve(m.id, m.key, m.waitMs);
        return;
      }
      case 'cancel':
        if (this.uploads.has(m.id)) this.cancelledUploads.add(m.id);
        return;
      case 'absent': {
        const d = this.downloads.get(m.id);
        if (d) {
          this.remoteKeys.delete(d.key);
          this.failDownload(m.id, 'peer-absent', false);
        } else this.endTombstone(m.id);
        return;
      }
      case 'send': {
        const d = this.downloads.get(m.id);
        if (!d) {
          // a request we cancelled: its frames may still come, never more than first allowed
          const left = this.tombstones.get(m.id);
          if (left === undefined) throw new SwarmError('protocol-violation', 'send for no request', { id: m.id });
          this.tombstones.set(m.id, Math.min(left, m.bytes));
          return;
        }
        if (d.assembly) throw new SwarmError('protocol-violation', 'second send for a request');
        if (m.bytes > this.deps.limits.segmentMaxBytes) {
          throw new SwarmError('size-exceeded', 'declared segment too large', { bytes: m.bytes });
        }
        d.assembly = new Reassembly(m.bytes, this.deps.limits.segmentMaxBytes);
        d.meta = { totalBytes: m.totalBytes, contentType: m.contentType };
        this.touch(m.id, d);
        return;
      }
      case 'done': {
        const d = this.downloads.get(m.id);
        if (!d) {
          this.endTombstone(m.id);
          return;
        }
        if (!d.assembly || !d.meta) throw new SwarmError('protocol-violation', 'done before send');
        const { blob: body, bytes } = d.assembly.take(d.meta.contentType); // throws when short
        this.finishDownload(m.id, d);
        d.resolve({ body, bytes, totalBytes: d.meta.totalBytes, contentType: d.meta.contentType });
        return;
      }
    }
  }

  private onFrame(frame: ArrayBuffer): void {
    if (!this.helloSeen) throw new SwarmError('protocol-violation', 'data before hello');
    const { id, payload } = decodeDataFrame(frame);
    const d = this.downloads.get(id);
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
    this.downloadedBytes += payload.byteLength;
    this.touch(id, d);
  }

  /** The last word on a cancelled request; anything else is an answer to no request. */
  private endTombstone(id: number): void {
    if (!this.tombstones.delete(id)) throw new SwarmError('protocol-violation', 'answer to no request', { id });
  }

  private touch(id: number, d: Download): void {
    clearTimeout(d.stallTimer);
    d.stallTimer = setTimeout(() => this.failDownload(id, 'peer-stall', true), this.deps.limits.stallMs);
  }

  private finishDownload(id: number, d: Download): void {
    clearTimeout(d.stallTimer);
    this.downloads.delete(id);
    const ms = Math.max(1, this.deps.now() - d.startedAt);
    const rate = (d.assembly?.declaredBytes ?? 0) / ms;
    this.throughput = this.throughput === null ? rate : 0.7 * this.throughput + 0.3 * rate;
  }

  private failDownload(id: number, code: SwarmErrorCode, cancel: boolean): void {
    const d = this.downloads.get(id);
    if (!d) return;
    clearTimeout(d.stallTimer);
    this.downloads.delete(id);
    if (cancel && !this.closed) {
      // remember how many bytes may still come for it
      const left = d.assembly ? d.assembly.declaredBytes - d.assembly.receivedBytes : this.deps.limits.segmentMaxBytes;
      this.tombstones.set(id, left);
      if (this.tombstones.size > MAX_TOMBSTONES) this.tombstones.delete(this.tombstones.keys().next().value!);
      this.sendControl({ t: 'cancel', id });
    }
    if (code === 'peer-stall' || code === 'peer-timeout') {
      this.throughput = this.throughput === null ? 0 : this.throughput / 2;
    }
    // `received`: bytes of a transfer under way (-1 when the peer never started sending)
    const received = d.assembly ? d.assembly.receivedBytes : -1;
    d.reject(new SwarmError(code, `request ${id} failed`, { peer: this.remoteId, key: d.key, received }));
  }

  // ---- uploads ----

  private async serve(id: number, key: string, waitMs: number): Promise<void> {
    if (this.uploads.has(id)) {
      this.sendControl({ t: 'absent', id });
      return;
    }
    this.uploads.add(id);
    try {
      const segment = await this.deps.provide(key, waitMs);
      if (this.closed) return;
      // Absent rather than slow: a peer held back by its upload cap lets the asker go elsewhere at once.
      if (!segment || this.cancelledUploads.has(id) || this.deps.uploadWaitMs(segment.body.size) > UPLOAD_BUSY_MS) {
        this.sendControl({ t: 'absent', id });
        return;
      }
      const bytes = new Uint8Array(await segment.body.arrayBuffer());
      if (this.closed) return;
      this.sendControl({
        t: 'send', id, bytes: bytes.byteLength, totalBytes: segment.totalBytes, contentType: segment.contentType,
      });
      for (const frame of dataFrames(id, bytes)) {
        if (this.closed) return;
        if (this.cancelledUploads.has(id)) return;
        await this.drain();
        const wait = this.deps.throttle(frame.byteLength);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (this.closed || this.cancelledUploads.has(id)) return;
        this.conn.send(frame);
        const payload = frame.byteLength - FRAME_HEADER_BYTES;
        this.uploadedBytes += payload;
        this.deps.onUpload(this, payload);
      }
      this.sendControl({ t: 'done', id });
    } catch (err) {
      if (!this.closed) this.shutdown(SwarmError.is(err) ? err.code : 'peer-closed', String(err));
    } finally {
      this.uploads.delete(id);
      this.cancelledUploads.delete(id);
    }
  }

  /**
   * Liveness: a link can stay "open" long after the peer is gone (a killed tab, a lost network: no close ever
   * arrives), holding a slot and attracting requests. Ping a silent peer; close it when the ping goes unanswered.
   * A page whose timers are throttled (background tab) only checks late; its answers to pings never are late.
   */
  private heartbeat(): void {
    if (this.closed) return;
    const now = this.deps.now();
    const interval = this.deps.limits.pingIntervalMs;
    if (this.pingSentAt !== null) {
      if (this.lastHeardAt >= this.pingSentAt) this.pingSentAt = null;
      else {
        if (now - this.pingSentAt >= 2 * interval) {
          this.shutdown('peer-timeout', `no answer to a ping for ${Math.round(now - this.pingSentAt)} ms`);
        }
        return;
      }
    }
    if (now - this.lastHeardAt >= interval) {
      this.pingSentAt = now;
      this.sendControl({ t: 'ping' });
    }
  }

  /** Resolves when the channel has room; rejects (peer-stall) when it does not drain in time. */
  private drain(): Promise<void> {
    const dc = this.conn.dataChannel;
    const high = this.deps.limits.sendHighWaterBytes;
    if (!dc || dc.bufferedAmount <= high) return Promise.resolve();
    dc.bufferedAmountLowThreshold = Math.floor(high / 4);
    return new Promise((resolve, reject) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        dc.removeEventListener('bufferedamountlow', onLow);
        dc.removeEventListener('close', onClose);
        if (ok) resolve();
        else reject(new SwarmError('peer-stall', 'send buffer did not drain', { peer: this.remoteId }));
      };
      const onLow = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), this.deps.limits.drainTimeoutMs);
      dc.addEventListener('bufferedamountlow', onLow);
      dc.addEventListener('close', onClose);
    });
  }

  private sendControl(m: ControlMessage): void {
    if (this.closed) return;
    try {
      this.conn.send(encodeControl(m));
    } catch (err) {
      this.shutdown('peer-closed', String(err));
    }
  }

  private shutdown(reason: SwarmErrorCode | 'closed', detail?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.helloRetry) clearTimeout(this.helloRetry);
    for (const [id] of this.downloads) this.failDownload(id, 'peer-closed', false);
    this.remoteKeys.clear();
    try {
      this.conn.close();
    } catch {
      // already closed
    }
    this.deps.onClose(this, reason, detail);
  }
}
