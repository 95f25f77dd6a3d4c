import { SwarmError, type SwarmErrorCode } from '../core/SwarmError';
import { chunkKeys, encodeControl, type ControlMessage } from './protocol';
import type { ConnectionLike } from './peer/ConnectionLike';
import { dispatchData, type LinkParts } from './peer/dispatchData';
import { Downloads, type Received } from './peer/Downloads';
import { Handshake } from './peer/Handshake';
import { Heartbeat } from './peer/Heartbeat';
import type { PeerLinkDeps } from './peer/PeerLinkDeps';
import { RemoteHaves } from './peer/RemoteHaves';
import { Throughput } from './peer/Throughput';
import { Uploads } from './peer/Uploads';
import { transportBytesSent } from './peer/WireBytes';

export type { ConnectionLike, DataChannelLike } from './peer/ConnectionLike';
export type { Received } from './peer/Downloads';
export type { PeerLinkDeps, PeerLinkLimits } from './peer/PeerLinkDeps';

/**
 * One peer connection speaking the wire protocol. A dispatcher: each concern is its own object in `peer/` —
 * Handshake (hellos, open deadline), Heartbeat (ping/pong), RemoteHaves (what the peer announced), Downloads (our
 * requests and their reassembly), Uploads (its requests, backpressure), Throughput (bytes moved, rate). Anything
 * the peer does wrong (any of them throws) closes this link and nothing else; what it sends is handed to them by
 * dispatchData.
 */
export class PeerLink {
  readonly remoteId: string;
  /** The connection goes through a TURN relay (learnt once it opened). */
  relayed = false;
  /** When the link was made (dialled or accepted). */
  readonly createdAt: number;
  /** What we hold has been announced to the peer; later news follows as it happens. */
  private announcing = false;
  private closed = false;
  /** When the handshake completed. */
  private openedAt: number | null = null;
  private readonly handshake: Handshake;
  private readonly heartbeat: Heartbeat;
  private readonly haves: RemoteHaves;
  private readonly downloads: Downloads;
  private readonly uploads: Uploads;
  private readonly moved: Throughput;
  /** The parts above that what the peer sends goes to (see dispatchData). */
  private readonly parts: LinkParts;

  constructor(
    private readonly conn: ConnectionLike,
    private readonly deps: PeerLinkDeps,
  ) {
    this.remoteId = conn.peer;
    this.createdAt = deps.now();
    const l = deps.limits;
    const { now } = deps;
    const send = (m: ControlMessage) => this.sendControl(m);
    this.moved = new Throughput(now);
    this.haves = new RemoteHaves(l, now, deps.fetchingIgnored === true, () => deps.onFetchingIgnored?.(this));
    this.heartbeat = new Heartbeat({
      intervalMs: l.pingIntervalMs, send, now, onSilent: (detail) => this.shutdown('peer-timeout', detail),
    });
    this.handshake = new Handshake({
      dialled: deps.dialled === true,
      openTimeoutMs: l.openTimeoutMs,
      send,
      onHelloSent: () => this.announceHeld(),
      onAnsweredLate: () => this.announceHeld(true),
      onOpen: () => this.opened(),
      onTimeout: (detail) => this.shutdown('peer-timeout', detail),
    });
    this.downloads = new Downloads({
      peer: this.remoteId, limits: l, haves: this.haves, throughput: this.moved, send, isOpen: () => this.isOpen, now,
    });
    this.uploads = new Uploads({
      peer: this.remoteId,
      limits: l,
      conn,
      provide: deps.provide,
      throttle: deps.throttle,
      uploadWaitMs: deps.uploadWaitMs,
      uplinkWaitMs: deps.uplinkWaitMs,
      promised: deps.uplinkPromised,
      late: deps.uplinkLate,
      ...(deps.highWaterBytes ? { highWaterBytes: deps.highWaterBytes } : {}),
      send,
      closed: () => this.closed,
      onSent: (bytes) => {
        this.moved.sent(bytes);
        deps.onUpload(this, bytes);
      },
      fail: (code, detail) => this.shutdown(code, detail),
      now,
    });
    const { handshake, heartbeat, haves, downloads, uploads } = this;
    this.parts = { handshake, heartbeat, haves, downloads, uploads };
    conn.on('open', () => this.handshake.channelOpened());
    conn.on('data', (data) => this.onData(data));
    conn.on('close', () => this.shutdown('closed'));
    conn.on('error', (err) => this.shutdown('peer-closed', String((err as Error)?.message ?? err)));
    if (conn.open) queueMicrotask(() => this.handshake.channelOpened());
  }

  /** Bytes queued in this link's data channel, not yet sent. */
  get sendBufferedBytes(): number {
    return this.conn.dataChannel?.bufferedAmount ?? 0;
  }

  /** Bytes this link's connection has put on the wire (its transport's counter); null when it cannot tell. */
  wireBytesSent(): Promise<number | null> {
    return transportBytesSent(this.conn.peerConnection).catch(() => null);
  }

  get isOpen(): boolean {
    return this.handshake.isOpen && !this.closed;
  }

  /** Whether the link ever completed its handshake (a closed one included). */
  get everOpened(): boolean {
    return this.handshake.isOpen;
  }

  get activeDownloads(): number {
    return this.downloads.size;
  }

  /** Whether one more request to this peer stays within maxRequestsInFlight. */
  get canRequest(): boolean {
    return this.downloads.canRequest;
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
    return this.haves.charCount;
  }

  /** Download throughput of completed transfers, bytes per ms (EWMA); null until one completes. */
  get throughput(): number | null {
    return this.moved.bytesPerMs;
  }

  /** Milliseconds since `throughput` was last renewed; null while there is none. */
  get throughputAgeMs(): number | null {
    return this.moved.rateAgeMs;
  }

  /** Segment bytes received from the peer. */
  get downloadedBytes(): number {
    return this.moved.downloadedBytes;
  }

  /** Segment bytes sent to the peer. */
  get uploadedBytes(): number {
    return this.moved.uploadedBytes;
  }

  /**
   * How long the open link has gone without segment bytes moving either way (since it opened, or since the last
   * transfer), in ms; 0 while a transfer is under way or before it opened.
   */
  idleMs(): number {
    if (!this.isOpen || this.openedAt === null || this.downloads.size > 0 || this.uploads.size > 0) return 0;
    return this.deps.now() - (this.moved.lastMovedAt ?? this.openedAt);
  }

  has(key: string): boolean {
    return this.haves.has(key);
  }

  /** Whether the peer announced holding any key that passes `test`. */
  offersAny(test: (key: string) => boolean): boolean {
    return this.haves.offersAny(test);
  }

  /**
   * Whether the peer announced, recently, that it is downloading this segment over HTTP. Always false once requests
   * made on such news ended with nothing FetchingNews.MAX_STRIKES times in a row.
   */
  isFetching(key: string): boolean {
    return this.haves.isFetching(key);
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
    return this.downloads.request(key, timeoutMs, waitMs, signal);
  }

  /** When our open request for `key` is projected to end (see Downloads.projectedDoneAt); null when unknown. */
  projectedDoneAt(key: string): number | null {
    return this.downloads.projectedDoneAt(key);
  }

  /** Stops serving the peer's requests under way: each ends at once, answered `absent` (see Uploads.dropAll). */
  dropUploads(): void {
    this.uploads.dropAll();
  }

  close(reason: SwarmErrorCode | 'closed' = 'closed', detail?: string): void {
    this.shutdown(reason, detail);
  }

  // ---- internals ----

  /** Both hellos are out: start the heartbeat, tell the peer what we hold, and report the link open. */
  private opened(): void {
    this.openedAt = this.deps.now();
    this.heartbeat.start();
    this.announceHeld();
    this.deps.onOpen(this);
  }

  /**
   * Tells the peer everything we hold (once; from then on, news as it happens). `again`: once more, after our first
   * hello went unheard (the dialler was not listening yet, Chromium under load) and the announcement with it.
   * Repeated keys are harmless.
   */
  private announceHeld(again = false): void {
    if (this.closed || this.announcing !== again) return;
    this.announcing = true;
    for (const [swarm, keys] of this.deps.initialHaves()) this.announce('have', swarm, keys);
  }

  private onData(data: unknown): void {
    if (this.closed) return;
    this.heartbeat.heard();
    try {
      dispatchData(data, this.parts);
    } catch (err) {
      const e = SwarmError.is(err) ? err : new SwarmError('protocol-violation', String(err));
      this.shutdown(e.code, e.message);
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
    this.heartbeat.stop();
    this.handshake.stop();
    this.downloads.closeAll();
    this.haves.clear();
    // uploads under way stop at their next step (they see `closed`); wake the ones waiting so their copies go now
    this.uploads.cancelAll();
    try {
      this.conn.close();
    } catch {
      // already closed
    }
    this.deps.onClose(this, reason, detail);
  }
}
