import type { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import { addressGroup } from './addressGroup';
import type { DropLog } from './dropLog';

/** How long a refused connection may stay open to read its 429 answer. */
const REFUSED_LINGER_MS = 5_000;

/**
 * Counts TCP connections (signalling websockets and tracker HTTP alike) per client — an address group: an IPv4
 * address, or an IPv6 /64 (see addressGroup). A connection over `maxPerClient` is marked refused: its HTTP request
 * gets 429 too-many-connections, its websocket handshake 429, and it is destroyed after REFUSED_LINGER_MS whatever it
 * does. Connections already open are not touched.
 */
export class ConnectionGuard {
  private readonly perClient = new Map<string, number>();
  private readonly refused = new WeakSet<Socket>();

  constructor(
    private readonly maxPerClient: number,
    private readonly drop: DropLog,
  ) {}

  /** Call on every new connection of the HTTP server. */
  admit(socket: Socket): void {
    const ip = socket.remoteAddress ?? 'unknown';
    const client = addressGroup(socket.remoteAddress);
    const count = (this.perClient.get(client) ?? 0) + 1;
    this.perClient.set(client, count);
    socket.once('close', () => {
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    });
    if (count <= this.maxPerClient) return;
    this.refused.add(socket);
    this.drop('too-many-connections', { ip, ...(client !== ip ? { client } : {}), limit: this.maxPerClient });
    setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
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
}
