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
import { FetchingNews } from './peer/FetchingNews';
import { CANCELLED, cancelUpload, drainOrCancel, newUpload, whileWanted, type Upload } from './peer/Upload';
import { RemoteKeys } from './peer/RemoteKeys';
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
  /**
   * Characters of key text remembered from the peer's announcements (the sum of the keys' lengths); past it, or
   * past maxRemoteKeys, the oldest announcement is forgotten. @default REMOTE_KEY_CHARS_MAX (1 Mi)
   */
  maxRemoteKeyChars?: number;
  /**
   * Announcements (`have`/`lost`/`fetching`) the peer may send, in characters of key text per second (each message
   * also costs ANNOUNCE_MESSAGE_COST), with bursts up to `announceBurstChars`; faster ends the link (rate-exceeded).
   * @default ANNOUNCE_CHARS_PER_SEC (64 Ki)
   */
  announceCharsPerSec?: number;
  /** @default ANNOUNCE_BURST_CHARS (2 Mi: a whole store announced at once, twice over) */
  announceBurstChars?: number;
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
  /**
   * The peer's `fetching` news is not believed from the start (it used up its strikes on an earlier link this
   * session). @default false
   */
  fetchingIgnored?: boolean;
  /** Requests made on the peer's `fetching` news ended with nothing too often: that news is ignored from now on. */
  onFetchingIgnored?(link: PeerLink): void;
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
  /** Sent because the peer said it was fetching the key (not that it held it): ending with nothing is a strike. */
  onFetchingNews: boolean;
}

/** Default characters of key text remembered per peer (~1 MiB; an honest store of 1 GiB in 1 MiB pieces is ~0.2). */
export const REMOTE_KEY_CHARS_MAX = 1024 * 1024;
/** Default sustained announcement rate, characters of key text per second (~300 keys/s of 200 characters). */
export const ANNOUNCE_CHARS_PER_SEC = 64 * 1024;
/** Default announcement burst: a whole store announced with the hello, twice over. */
export const ANNOUNCE_BURST_CHARS = 2 * REMOTE_KEY_CHARS_MAX;
/** What one announcement message costs beyond its keys (so a flood of empty ones is counted too). */
export const ANNOUNCE_MESSAGE_COST = 64;

/** Cancelled request ids whose in-flight frames are still dropped quietly. */
const MAX_TOMBSTONES = 64;
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
  /** Requests of the peer being served, cancelled ones included until they are gone (they hold their place). */
  private uploads = new Map<number, Upload>();
  private tombstones = new Map<number, number>();
  private readonly remoteKeys: RemoteKeys;
  /** Keys the peer said it is downloading over HTTP now (and whether that news is still believed). */
  private readonly remoteFetching: FetchingNews;
  /** The peer's request budget (maxRequestsPerSec). */
  private readonly requestBudget: TokenBucket;
  /** The peer's announcement budget, in characters of key text. */
  private readonly announceBudget: TokenBucket;
  /** When the handshake completed, and when segment bytes last moved either way (a transfer completed or a frame sent). */
  private openedAt: number | null = null;
  private lastUsefulAt: number | null = null;
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
    const l = deps.limits;
    this.requestBudget = new TokenBucket(Math.max(1, l.maxRequestsPerSec), deps.now);
    this.announceBudget = new TokenBucket(
      Math.max(1, l.announceCharsPerSec ?? ANNOUNCE_CHARS_PER_SEC), deps.now, l.announceBurstChars ?? ANNOUNCE_BURST_CHARS,
    );
    this.remoteKeys = new RemoteKeys(l.maxRemoteKeys, l.maxRemoteKeyChars ?? REMOTE_KEY_CHARS_MAX);
    this.remoteFetching = new FetchingNews(deps.now, deps.fetchingIgnored === true, () => deps.onFetchingIgnored?.(this));
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

  /** This page dialled the connection (a peer the tracker chose), rather than the peer dialling in. */
  get dialled(): boolean {
    return this.deps.dialled === true;
  }

  /** Requests of the peer held now, cancelled ones that have not ended yet included. */
  get uploadsInFlight(): number {
    return this.uploads.size;
  }

  /** Characters of key text remembered from the peer's announcements. */
  get remoteKeyChars(): number {
    return this.remoteKeys.charCount;
  }

  /**
   * How long the open link has gone without segment bytes moving either way (since it opened, or since the last
   * transfer), in ms; 0 while a transfer is under way or before it opened.
   */
  idleMs(): number {
    if (!this.isOpen || this.openedAt === null || this.downloads.size > 0 || this.uploads.size > 0) return 0;
    return this.deps.now() - (this.lastUsefulAt ?? this.openedAt);
  }

  has(key: string): boolean {
    return this.remoteKeys.has(key);
  }

  /** Whether the peer announced holding any key that passes `test`. */
  offersAny(test: (key: string) => boolean): boolean {
    return this.remoteKeys.some(test);
  }

  /**
   * Whether the peer announced, recently, that it is downloading this segment over HTTP. Always false once requests
   * made on such news ended with nothing FetchingNews.MAX_STRIKES times in a row.
   */
  isFetching(key: string): boolean {
    return this.remoteFetching.isFetching(key);
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
   * `signal`: aborting cancels the request on the wire like a timeout does (frames still on their way, up to the
   * declared size, are dropped quietly) and rejects with `signal.reason` when it is a SwarmError, else with
   * peer-timeout whose details carry `aborted: true` and no `received` count. An abort is never held against the peer
   * (no strike, no ban, no throughput penalty).
   */
  request(key: string, timeoutMs: number, waitMs = 0, signal?: AbortSignal): Promise<Received> {
    if (signal?.aborted) return Promise.reject(this.abortError(key, signal));
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
      const onAbort = () => this.failDownload(id, 'peer-timeout', true, this.abortError(key, signal!));
      const settled = () => {
        clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
      };
      const download: Download = {
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
        stallTimer: setTimeout(() => this.failDownload(id, 'peer-stall', true), this.deps.limits.stallMs + waitMs),
        startedAt: this.deps.now(),
        onFetchingNews: !this.remoteKeys.has(key) && this.remoteFetching.isFetching(key),
      };
      this.downloads.set(id, download);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sendControl({ t: 'req', id, key, waitMs });
    });
  }

  private abortError(key: string, signal: AbortSignal): SwarmError {
    const reason: unknown = signal.reason;
    if (SwarmError.is(reason)) return reason;
    return new SwarmError('peer-timeout', 'request aborted', { peer: this.remoteId, key, aborted: true });
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
    this.openedAt = this.deps.now();
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
        this.chargeAnnouncement(m.keys);
        for (const key of m.keys) {
          if (!keyInSwarm(key, m.swarm)) throw new SwarmError('protocol-violation', 'key outside swarm');
          this.remoteKeys.add(key); // bounded by count and characters: the oldest is forgotten
          this.remoteFetching.forget(key);
        }
        return;
      case 'lost':
        this.chargeAnnouncement(m.keys);
        for (const key of m.keys) {
          this.remoteKeys.delete(key);
          this.remoteFetching.forget(key);
        }
        return;
      case 'fetching': {
        this.chargeAnnouncement(m.keys);
        for (const key of m.keys) {
          if (!keyInSwarm(key, m.swarm)) throw new SwarmError('protocol-violation', 'key outside swarm');
        }
        this.remoteFetching.heard(m.keys);
        return;
      }
      case 'req': {
        const { maxRequestsPerSec, maxRequestsInFlight } = this.deps.limits;
        if (this.requestBudget.take(1) > 0) {
          throw new SwarmError('rate-exceeded', 'peer sends requests too fast', { limitPerSec: maxRequestsPerSec });
        }
        let live = 0;
        for (const u of this.uploads.values()) if (!u.cancelled) live++;
        if (live >= maxRequestsInFlight) {
          throw new SwarmError('too-many-requests', 'peer has too many requests in flight', { limit: maxRequestsInFlight });
        }
        // Cancelled uploads still winding down hold their place: no new work until one is gone. Not a violation: an
        // honest asker sends its next request right after a cancel and cannot know when our upload ended.
        if (this.uploads.size >= maxRequestsInFlight || this.uploads.has(m.id)) {
          this.sendControl({ t: 'absent', id: m.id });
          return;
        }
        void this.serve(m.id, m.key, m.waitMs);
        return;
      }
      case 'cancel': {
        const u = this.uploads.get(m.id);
        if (u) cancelUpload(u); // ends its wait now: its copy of the segment goes with it
        return;
      }
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

  /** Books an announcement against the peer's budget; a peer over it is flooding (rate-exceeded). */
  private chargeAnnouncement(keys: readonly string[]): void {
    let chars = ANNOUNCE_MESSAGE_COST;
    for (const k of keys) chars += k.length;
    if (this.announceBudget.take(chars) > 0) {
      throw new SwarmError('rate-exceeded', 'peer sends announcements too fast', {
        limitCharsPerSec: this.deps.limits.announceCharsPerSec ?? ANNOUNCE_CHARS_PER_SEC,
      });
    }
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
    if (d.onFetchingNews) this.remoteFetching.delivered();
    this.lastUsefulAt = this.deps.now();
    const ms = Math.max(1, this.deps.now() - d.startedAt);
    const rate = (d.assembly?.declaredBytes ?? 0) / ms;
    this.throughput = this.throughput === null ? rate : 0.7 * this.throughput + 0.3 * rate;
  }

  /**
   * Ends a download. `cancel`: tell the peer, and tolerate what it already sent. `aborted`: our caller gave up (the
   * error to reject with); not the peer's doing, so neither a strike nor a throughput penalty.
   */
  private failDownload(id: number, code: SwarmErrorCode, cancel: boolean, aborted?: SwarmError): void {
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
    if (aborted) return d.reject(aborted);
    if (code === 'peer-stall' || code === 'peer-timeout') {
      this.throughput = this.throughput === null ? 0 : this.throughput / 2;
    }
    // `received`: bytes of a transfer under way (-1 when the peer never started sending)
    const received = d.assembly ? d.assembly.receivedBytes : -1;
    // asked because it said it was fetching, and nothing came of it
    if (d.onFetchingNews && code !== 'peer-closed' && received <= 0) this.remoteFetching.strike();
    d.reject(new SwarmError(code, `request ${id} failed`, { peer: this.remoteId, key: d.key, received }));
  }

  // ---- uploads ----

  private async serve(id: number, key: string, waitMs: number): Promise<void> {
    const up = newUpload();
    this.uploads.set(id, up);
    try {
      const segment = await whileWanted(up, this.deps.provide(key, waitMs));
      if (this.closed) return;
      // Absent rather than slow: a peer held back by its upload cap lets the asker go elsewhere at once.
      if (segment === CANCELLED || !segment || this.deps.uploadWaitMs(segment.body.size) > UPLOAD_BUSY_MS) {
        this.sendControl({ t: 'absent', id });
        return;
      }
      const read = await whileWanted(up, segment.body.arrayBuffer());
      if (this.closed) return;
      if (read === CANCELLED) {
        this.sendControl({ t: 'absent', id });
        return;
      }
      const bytes = new Uint8Array(read);
      this.sendControl({
        t: 'send', id, bytes: bytes.byteLength, totalBytes: segment.totalBytes, contentType: segment.contentType,
      });
      // A cancel ends each wait below at once: this coroutine returns and its copy of the segment is freed.
      for (const frame of dataFrames(id, bytes)) {
        if (this.closed || up.cancelled) return;
        const { sendHighWaterBytes, drainTimeoutMs } = this.deps.limits;
        if (!(await drainOrCancel(up, this.conn.dataChannel, sendHighWaterBytes, drainTimeoutMs, this.remoteId))) return;
        const wait = this.deps.throttle(frame.byteLength);
        if (wait > 0 && (await whileWanted(up, new Promise<void>((r) => setTimeout(r, wait)))) === CANCELLED) return;
        if (this.closed || up.cancelled) return;
        this.conn.send(frame);
        const payload = frame.byteLength - FRAME_HEADER_BYTES;
        this.uploadedBytes += payload;
        this.lastUsefulAt = this.deps.now();
        this.deps.onUpload(this, payload);
      }
      this.sendControl({ t: 'done', id });
    } catch (err) {
      if (!this.closed) this.shutdown(SwarmError.is(err) ? err.code : 'peer-closed', String(err));
    } finally {
      this.uploads.delete(id);
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
    this.remoteFetching.clear();
    // uploads under way stop at their next step (they see `closed`); wake the ones waiting so their copies go now
    for (const u of this.uploads.values()) cancelUpload(u);
    try {
      this.conn.close();
    } catch {
      // already closed
    }
    this.deps.onClose(this, reason, detail);
  }
}
