import { SwarmError, type SwarmErrorCode } from '../../core/SwarmError';
import { boundLostMessages } from './boundLostMessages';
import type { ConnectionLike } from './ConnectionLike';
import { RetiredPeers } from './RetiredPeers';

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
  /** PeerJS's connections by remote peer id (a closed one leaves its list); see RetiredPeers. */
  readonly connections?: Readonly<Record<string, unknown>>;
  connect(id: string, options: { reliable: boolean; serialization: 'raw' }): ConnectionLike | undefined;
  reconnect(): void;
  /** Closes the socket to the server only; connections stay open (PeerJS has it; a test fake may not). */
  disconnect?(): void;
  destroy(): void;
}

/** The P2P servers signalling may move between (see ServerList). */
export interface ServerChoice {
  readonly size: number;
  /** Moves to the next server: Peers made from then on signal through it, and the tracker asks it. */
  failover(): unknown;
}

export interface SignallingDeps {
  /**
   * Makes a PeerJS Peer (a new one after the old was destroyed) on the current server of `servers`. `id`: the peer
   * id to keep (after a move to another server); none: the server picks one.
   */
  createPeer(token: string, id?: string): PeerLike;
  /** Several P2P servers: signalling lost on one moves to the next, same peer id. @default one server */
  servers?: ServerChoice | undefined;
  /** Uniform in [0, 1): the jitter of a first move to another server. @default Math.random */
  random?: (() => number) | undefined;
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
/** PeerJS error types that say the socket to the server is gone or unusable (not one connection's trouble). */
const SERVER_LOST = new Set(['network', 'server-error', 'socket-error', 'socket-closed']);
/**
 * With several servers, a Peer that has not opened this long after it was made is taken as lost (a WebSocket to a
 * node that is down without refusing can hang for minutes; PeerJS has no deadline of its own).
 */
const OPEN_DEADLINE_MS = 10_000;

/**
 * This page's PeerJS Peer and its life: made with a token from a cryptographic source, reconnected when signalling
 * drops and replaced when it dies, each retry after a backoff (1 s doubling to 30 s, reset once it is up). Media
 * calls are refused at once and what PeerJS keeps for unknown connections is bounded. Links already made keep
 * working meanwhile.
 *
 * With several servers (`servers`), signalling lost on one — a socket error, the socket closed, a Peer closed or not
 * open within OPEN_DEADLINE_MS — moves to the next: a new Peer there under the same peer id and token (the servers
 * share who holds which id, and the page joins its swarms again once it is up: onReady). The old Peer is disconnected,
 * not destroyed, so its links go on (see RetiredPeers).
 */
export class Signalling {
  readonly token: string;
  private peer: PeerLike | null = null;
  private readyId: string | null = null;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private destroyed = false;
  /** The peer id asked for on the next server (several servers only); null: the server's pick. */
  private keptId: string | null = null;
  /** A move to another server is under way (since signalling was last up). */
  private moving = false;
  /** The current Peer was made on another server after a move and has not opened: nothing is dialled through it. */
  private awaitingOpen = false;
  private openTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly retired = new RetiredPeers();

  constructor(private readonly deps: SignallingDeps) {
    const randomBytes = deps.randomBytes ?? ((n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n)));
    const bytes = randomBytes(TOKEN_BYTES);
    if (bytes.length !== TOKEN_BYTES) throw new SwarmError('unsupported', 'random source gave too few bytes');
    this.token = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** This page's peer id while signalling is up (and while it is re-established, on this server or another). */
  get peerId(): string | null {
    return this.readyId;
  }

  /** Whether there are other servers to move to. */
  private get several(): boolean {
    return (this.deps.servers?.size ?? 1) > 1;
  }

  /** Makes the Peer (once); false when it cannot be made (no WebRTC, say). */
  start(): boolean {
    if (this.destroyed) return false;
    if (this.peer) return true;
    let peer: PeerLike;
    const keptId = this.several ? this.keptId : null;
    try {
      peer = keptId === null ? this.deps.createPeer(this.token) : this.deps.createPeer(this.token, keptId);
    } catch (err) {
      this.deps.onError({ code: 'unsupported', message: String(err) });
      return false;
    }
    this.peer = peer;
    this.awaitingOpen = this.moving;
    if (this.several) this.openTimer = setTimeout(() => this.lost(peer), OPEN_DEADLINE_MS);
    boundLostMessages(peer); // what PeerJS keeps of signalling for unknown connections (closed calls) is bounded
    peer.on('open', (id) => {
      if (this.peer !== peer) return;
      this.clearOpenTimer();
      this.readyId = id;
      this.keptId = id;
      this.moving = false;
      this.awaitingOpen = false;
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
      if (this.peer !== peer || peer.destroyed) return;
      if (this.several) this.lost(peer);
      else this.scheduleRetry(() => peer.reconnect());
    });
    peer.on('close', () => {
      if (this.peer !== peer) return;
      if (this.several) this.lost(peer);
      else this.restart();
    });
    peer.on('error', (err) => {
      if (this.peer !== peer) return;
      const type = err?.type ?? 'unknown';
      if (type === 'peer-unavailable') return; // a peer left between tracker answer and connect
      this.deps.onError({ code: 'server-unreachable', message: `${type}: ${err?.message ?? ''}` });
      if (this.several) {
        // the id is another page's (its token differs): the next server is asked for a new one (a new 'ready')
        if (type === 'unavailable-id') this.keptId = this.readyId = null;
        if (SERVER_LOST.has(type) || peer.destroyed) this.lost(peer);
      } else if (peer.destroyed) this.restart();
    });
    return true;
  }

  /** ICE servers of the connections made (dialled or answered) from now on. */
  setIceServers(iceServers: readonly object[]): void {
    const options = this.peer?.options;
    if (options) options.config = { ...options.config, iceServers };
  }

  /** Dials a peer; undefined while signalling is down (or moving to another server) or when PeerJS refuses. */
  connect(remote: string): ConnectionLike | undefined {
    const peer = this.peer;
    // a Peer not open yet would drop the offer (PeerJS sends nothing before its socket is open)
    if (!peer || peer.destroyed || peer.disconnected || this.awaitingOpen) return undefined;
    try {
      return peer.connect(remote, { reliable: true, serialization: 'raw' });
    } catch {
      return undefined;
    }
  }

  /**
   * Ends signalling for now (P2P switched off): the Peer is destroyed (its socket to the server and its connections
   * close), and so is every Peer kept for its links after a move; nothing is retried; start() makes a new one, under
   * a new peer id.
   */
  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.clearOpenTimer();
    this.retryMs = RETRY_MIN_MS;
    const peer = this.peer;
    this.peer = null; // first: the events of its destroy are not ours any more
    this.readyId = null;
    this.keptId = null;
    this.moving = false;
    this.awaitingOpen = false;
    try {
      peer?.destroy();
    } catch {
      // already gone
    }
    this.retired.destroyAll();
  }

  destroy(): void {
    this.destroyed = true;
    this.stop();
  }

  private restart(): void {
    const old = this.peer;
    this.peer = null;
    this.readyId = null;
    this.clearOpenTimer();
    try {
      old?.destroy();
    } catch {
      // already gone
    }
    this.scheduleRetry(() => this.start());
  }

  /**
   * Several servers: signalling through `peer` is lost; the next server is tried with a new Peer under the same id
   * (`peerId` stays what it was: links keep their id). The tracker and the oracle move with it at once. The old Peer is
   * kept for its links (RetiredPeers).
   *
   * Pacing: the first move after signalling was up goes within a random fraction of RETRY_MIN_MS, not after the
   * backoff — the server that dropped this page likely dropped all its viewers and another is likely up, and the
   * jitter spreads their arrival there. Every further move (the next server failed too) waits the backoff, 1 s
   * doubling to 30 s, reset once signalling is up.
   */
  private lost(peer: PeerLike): void {
    if (this.peer !== peer || this.destroyed) return;
    this.peer = null;
    this.awaitingOpen = false;
    this.clearOpenTimer();
    this.retired.add(peer);
    this.deps.servers?.failover();
    const first = !this.moving;
    this.moving = true;
    const random = this.deps.random ?? Math.random;
    this.scheduleRetry(() => this.start(), first ? Math.floor(random() * RETRY_MIN_MS) : undefined);
  }

  private clearOpenTimer(): void {
    if (this.openTimer) clearTimeout(this.openTimer);
    this.openTimer = null;
  }

  /** Runs `action` after `delayMs`, or by default after the backoff (which then doubles). */
  private scheduleRetry(action: () => void, delayMs?: number): void {
    if (this.destroyed || this.retryTimer) return;
    let delay = delayMs;
    if (delay === undefined) {
      delay = this.retryMs;
      this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    }
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
