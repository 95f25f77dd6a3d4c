import type { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import { addressGroup } from './addressGroup';
import { clientFields, type RequestClient } from './clientOfRequest';
import type { DropLog } from './dropLog';

/** How long a refused connection may stay open to read its 429 answer. */
const REFUSED_LINGER_MS = 5_000;

/**
 * Counts TCP connections (signalling websockets and tracker HTTP alike) per client — an address group: an IPv4
 * address, or an IPv6 /64 (see addressGroup). A connection over `maxPerClient` is marked refused: its HTTP request
 * gets 429 too-many-connections, its websocket handshake 429, and it is destroyed after REFUSED_LINGER_MS whatever it
 * does. Connections already open are not touched.
 *
 * A connection from a trusted proxy (`isTrustedProxy`) is not counted when it opens: it carries the requests of many
 * clients, one after the other, which the per-client request budget bounds. Once a websocket is upgraded over it,
 * though, it is one client's: `admitUpgrade` counts it against the client the proxy forwarded, until it closes.
 */
export class ConnectionGuard {
  private readonly perClient = new Map<string, number>();
  private readonly refused = new WeakSet<Socket>();

  constructor(
    private readonly maxPerClient: number,
    private readonly drop: DropLog,
    private readonly isTrustedProxy: (address: string) => boolean = () => false,
  ) {}

  /** Call on every new connection of the HTTP server. */
  admit(socket: Socket): void {
    const ip = socket.remoteAddress ?? 'unknown';
    if (socket.remoteAddress !== undefined && this.isTrustedProxy(socket.remoteAddress)) return;
    const client = addressGroup(socket.remoteAddress);
    const count = this.book(client, socket);
    if (count <= this.maxPerClient) return;
    this.refused.add(socket);
    this.drop('too-many-connections', { ip, ...(client !== ip ? { client } : {}), via: 'connection', limit: this.maxPerClient });
    setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
  }

  /**
   * Whether the websocket handshake of `who` on `socket` may go on: a direct connection was counted when it opened
   * (false if it was refused then); one through a trusted proxy is counted now against `who`, or refused (not
   * counted) when that client has `maxPerClient` connections already.
   */
  admitUpgrade(socket: Socket, who: RequestClient): boolean {
    if (who.proxy === null) return !this.refused.has(socket);
    if ((this.perClient.get(who.client) ?? 0) >= this.maxPerClient) {
      this.drop('too-many-connections', { ...clientFields(who), via: 'signalling', limit: this.maxPerClient });
      return false;
    }
    this.book(who.client, socket);
    return true;
  }

  isRefused(socket: Socket): boolean {
    return this.refused.has(socket);
  }

  /** Connections open now from the client (address group) of `address`. */
  count(address: string): number {
    return this.perClient.get(addressGroup(address)) ?? 0;
  }

  /** Express middleware answering requests on refused connections. */
  readonly middleware: RequestHandler = (req, res, next) => {
    if (!this.isRefused(req.socket)) return next();
    res.setHeader('Connection', 'close');
    res.status(429).json({ error: 'too-many-connections' });
  };

  /** Counts `socket` against `client` until it closes; the count with it. */
  private book(client: string, socket: Socket): number {
    const count = (this.perClient.get(client) ?? 0) + 1;
    this.perClient.set(client, count);
    socket.once('close', () => {
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    });
    return count;
  }
}
