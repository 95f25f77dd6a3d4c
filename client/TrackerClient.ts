import { SwarmError } from '../core/SwarmError';

const MAX_PEERS_ANSWERED = 50;
const MAX_PEER_ID_LENGTH = 128;

export interface TrackerClientDeps {
  /**
   * The P2P server's base URL, ending in '/'; a function is read at each request (the server signalling uses now, see
   * ServerList: a request that fails does not change it).
   */
  baseUrl: string | (() => string);
  timeoutMs: number;
  fetch: typeof fetch;
}

/** Talks to the swarm tracker of the P2P server: which peers watch the same stream. */
export class TrackerClient {
  constructor(private readonly deps: TrackerClientDeps) {}

  /** Joins a swarm; resolves with other peers' ids in it. Fails with server-unreachable within the timeout. */
  async join(peerId: string, token: string, swarm: string, want: number): Promise<string[]> {
    const body = await this.post('join', { peerId, token, swarm, want });
    const peers = (body as { peers?: unknown })?.peers;
    if (!Array.isArray(peers)) throw new SwarmError('server-unreachable', 'tracker answered without peers');
    return peers
      .slice(0, MAX_PEERS_ANSWERED)
      .filter((p): p is string => typeof p === 'string' && p.length > 0 && p.length <= MAX_PEER_ID_LENGTH && p !== peerId);
  }

  async leave(peerId: string, token: string, swarm: string): Promise<void> {
    await this.post('leave', { peerId, token, swarm });
  }

  /** This peer's ICE servers from the server: `{ iceServers, ttlSec }`, unchecked (see iceServersFrom). */
  ice(peerId: string, token: string, relay: boolean): Promise<unknown> {
    return this.post('ice', { peerId, token, relay });
  }

  /** Bytes moved since the last beacon, for the server's offload metrics (see OffloadBeacon); `keepalive`: the page is leaving. */
  beacon(payload: object, keepalive: boolean): Promise<unknown> {
    return this.post('beacon', payload, keepalive);
  }

  private async post(route: string, payload: unknown, keepalive = false): Promise<unknown> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.deps.timeoutMs);
    try {
      const { baseUrl } = this.deps;
      const base = typeof baseUrl === 'function' ? baseUrl() : baseUrl;
      const res = await this.deps.fetch(new URL(`swarmfetch/v1/${route}`, base).href, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(payload),
        signal: controller.signal,
        credentials: 'omit',
        keepalive,
      });
      if (!res.ok) throw new SwarmError('server-unreachable', `tracker ${route} answered ${res.status}`, { status: res.status });
      return res.status === 204 ? null : await res.json();
    } catch (err) {
      if (SwarmError.is(err)) throw err;
      throw new SwarmError('server-unreachable', `tracker ${route} failed`, { cause: String(err) });
    } finally {
      clearTimeout(timer);
    }
  }
}
