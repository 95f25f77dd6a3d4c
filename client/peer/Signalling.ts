import { SwarmError, type SwarmErrorCode } from '../../core/SwarmError';
import { boundLostMessages } from './boundLostMessages';
import type { ConnectionLike } from './ConnectionLike';

/** The part of a PeerJS MediaConnection the pool needs: media calls are refused. */
export interface MediaConnectionLike {
  readonly peer?: string;
  close(): void;
}

/** The part of a PeerJS `Peer` the pool needs (so tests can use a fake). */
export interface PeerLike {
  readonly id: string | null;
  readonly destroyed: boolean;
  readonly disconnected: boolean;
  /** PeerJS's options: `config` is the RTCConfiguration of each connection it makes from then on. */
  readonly options?: { config?: object };
  on(event: 'open', listener: (id: string) => void): unknown;
  on(event: 'connection', listener: (conn: ConnectionLike) => void): unknown;
  on(event: 'call', listener: (call: MediaConnectionLike) => void): unknown;
  on(event: 'disconnected' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: { type?: string; message?: string }) => void): unknown;
  connect(id: string, options: { reliable: boolean; serialization: 'raw' }): ConnectionLike | undefined;
  reconnect(): void;
  destroy(): void;
}

export interface SignallingDeps {
  /** Makes a PeerJS Peer (a new one after the old was destroyed). */
  createPeer(token: string): PeerLike;
  /**
   * `n` cryptographically random bytes (the page's signalling token proves it holds its peer id to the tracker).
   * @default crypto.getRandomValues
   */
  randomBytes?: ((n: number) => Uint8Array) | undefined;
  /** Signalling is up under this peer id (again, after a reconnect or a new Peer). */
  onReady(id: string): void;
  /** A peer dials this page. */
  onConnection(conn: ConnectionLike): void;
  onError(e: { code: SwarmErrorCode; message: string }): void;
}

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** Random bytes in the signalling token (128 bits). */
const TOKEN_BYTES = 16;

/**
 * This page's PeerJS Peer and its life: made with a token from a cryptographic source, reconnected when signalling
 * drops and replaced when it dies, each retry after a backoff (1 s doubling to 30 s, reset once it is up). Media
 * calls are refused at once and what PeerJS keeps for unknown connections is bounded. Links already made keep
 * working meanwhile.
 */
export class Signalling {
  readonly token: string;
  private peer: PeerLike | null = null;
  private readyId: string | null = null;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private destroyed = false;

  constructor(private readonly deps: SignallingDeps) {
    const randomBytes = deps.randomBytes ?? ((n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n)));
    const bytes = randomBytes(TOKEN_BYTES);
    if (bytes.length !== TOKEN_BYTES) throw new SwarmError('unsupported', 'random source gave too few bytes');
    this.token = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** This page's peer id while signalling is up. */
  get peerId(): string | null {
    return this.readyId;
  }

  /** Makes the Peer (once); false when it cannot be made (no WebRTC, say). */
  start(): boolean {
    if (this.destroyed) return false;
    if (this.peer) return true;
    let peer: PeerLike;
    try {
      peer = this.deps.createPeer(this.token);
    } catch (err) {
      this.deps.onError({ code: 'unsupported', message: String(err) });
      return false;
    }
    this.peer = peer;
    boundLostMessages(peer); // what PeerJS keeps of signalling for unknown connections (closed calls) is bounded
    peer.on('open', (id) => {
      if (this.peer !== peer) return;
      this.readyId = id;
      this.retryMs = RETRY_MIN_MS;
      this.deps.onReady(id);
    });
    peer.on('connection', (conn) => {
      // a connection in another serialization than ours is no swarmfetch peer (and PeerJS's binary one is not bundled)
      if (this.peer !== peer || (conn.serialization !== undefined && conn.serialization !== 'raw')) conn.close();
      else this.deps.onConnection(conn);
    });
    // Media calls are not part of swarmfetch: refused at once, so a peer cannot make this page hold any.
    peer.on('call', (call) => {
      try {
        call.close();
      } catch {
        // already closed
      }
    });
    peer.on('disconnected', () => {
      // signalling lost (server down); links already made keep working
      if (this.peer === peer && !peer.destroyed) this.scheduleRetry(() => peer.reconnect());
    });
    peer.on('close', () => {
      if (this.peer === peer) this.restart();
    });
    peer.on('error', (err) => {
      if (this.peer !== peer) return;
      const type = err?.type ?? 'unknown';
      if (type === 'peer-unavailable') return; // a peer left between tracker answer and connect
      this.deps.onError({ code: 'server-unreachable', message: `${type}: ${err?.message ?? ''}` });
      if (peer.destroyed) this.restart();
    });
    return true;
  }

  /** ICE servers of the connections made (dialled or answered) from now on. */
  setIceServers(iceServers: readonly object[]): void {
    const options = this.peer?.options;
    if (options) options.config = { ...options.config, iceServers };
  }

  /** Dials a peer; undefined while signalling is down or when PeerJS refuses. */
  connect(remote: string): ConnectionLike | undefined {
    const peer = this.peer;
    if (!peer || peer.destroyed || peer.disconnected) return undefined;
    try {
      return peer.connect(remote, { reliable: true, serialization: 'raw' });
    } catch {
      return undefined;
    }
  }

  /**
   * Ends signalling for now (P2P switched off): the Peer is destroyed (its socket to the server and its connections
   * close) and nothing is retried; start() makes a new one, under a new peer id.
   */
  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryMs = RETRY_MIN_MS;
    const peer = this.peer;
    this.peer = null; // first: the events of its destroy are not ours any more
    this.readyId = null;
    try {
      peer?.destroy();
    } catch {
      // already gone
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.stop();
  }

  private restart(): void {
    const old = this.peer;
    this.peer = null;
    this.readyId = null;
    try {
      old?.destroy();
    } catch {
      // already gone
    }
    this.scheduleRetry(() => this.start());
  }

  private scheduleRetry(action: () => void): void {
    if (this.destroyed || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.destroyed) return;
      try {
        action();
      } catch {
        this.restart();
      }
    }, delay);
  }
}
