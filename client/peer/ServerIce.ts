import type { IceServer, SwarmfetchConfig } from '../../core/config';
import type { SwarmErrorCode } from '../../core/SwarmError';
import { iceServersFrom } from './iceServersFrom';

export interface ServerIceDeps {
  config: Pick<SwarmfetchConfig, 'iceServers' | 'allowRelayedPeers'>;
  /** Asks the P2P server for this peer's ICE servers (`POST /swarmfetch/v1/ice`); rejects when it cannot say. */
  ask(peerId: string, token: string, relay: boolean): Promise<unknown>;
  /** Sets the ICE servers of the connections made from now on. */
  apply(servers: IceServer[]): void;
  onError(e: { code: SwarmErrorCode; message: string }): void;
}

/** Credentials are renewed after this share of their lifetime… */
const RENEW_AT = 0.8;
/** …and an answer that failed is asked again after this long. */
const RETRY_MS = 60_000;
const TTL_MIN_SEC = 60;
const TTL_MAX_SEC = 86_400;

/**
 * The ICE servers of a page whose config leaves them to the P2P server (`iceServers: null`): asked once signalling
 * is up (TURN credentials are tied to the peer id), renewed before they expire. When the server cannot say (an old
 * server, a network error) the page goes on with host candidates and asks again later: P2P never waits for it.
 */
export class ServerIce {
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** The peer id asked for; null once stopped (an answer for another id, or after stop, is dropped). */
  private peerId: string | null = null;
  private destroyed = false;

  constructor(private readonly deps: ServerIceDeps) {}

  /** Resolves once the servers are set (or could not be had); never rejects. */
  async ready(peerId: string, token: string): Promise<void> {
    const { config } = this.deps;
    if (this.destroyed) return;
    this.clear();
    this.peerId = peerId;
    let renewMs = RETRY_MS;
    try {
      const answer = (await this.deps.ask(peerId, token, config.allowRelayedPeers)) as { iceServers?: unknown; ttlSec?: unknown } | null;
      if (this.peerId !== peerId) return;
      this.deps.apply(iceServersFrom(answer?.iceServers, config.allowRelayedPeers));
      const ttl = Number(answer?.ttlSec);
      if (ttl > 0) renewMs = Math.min(TTL_MAX_SEC, Math.max(TTL_MIN_SEC, ttl)) * 1000 * RENEW_AT;
    } catch (err) {
      if (this.peerId !== peerId) return;
      this.deps.onError({ code: 'server-unreachable', message: `no ICE servers from the P2P server (host candidates only): ${String(err)}` });
    }
    if (this.peerId === peerId) this.timer = setTimeout(() => void this.ready(peerId, token), renewMs);
  }

  /** Asks nothing more (P2P switched off) until ready() is called again. */
  stop(): void {
    this.peerId = null;
    this.clear();
  }

  destroy(): void {
    this.destroyed = true;
    this.stop();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
