import type { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import type { DropLog } from './dropLog';

/** How long a refused connection may stay open to read its 429 answer. */
const REFUSED_LINGER_MS = 5_000;

/**
 * Counts TCP connections (signalling websockets and tracker HTTP alike) per client IP. A connection over
 * `maxPerIp` is marked refused: its HTTP request gets 429 too-many-connections, its websocket handshake 429, and it is
 * destroyed after REFUSED_LINGER_MS whatever it does. Connections already open are not touched.
 */
export class ConnectionGuard {
  private readonly perIp = new Map<string, number>();
  private readonly refused = new WeakSet<Socket>();

  constructor(
    private readonly maxPerIp: number,
    private readonly drop: DropLog,
  ) {}

  /** Call on every new connection of the HTTP server. */
  admit(socket: Socket): void {
    const ip = socket.remoteAddress ?? 'unknown';
    const count = (this.perIp.get(ip) ?? 0) + 1;
    this.perIp.set(ip, count);
    socket.once('close', () => {
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, left);
    });
    if (count <= this.maxPerIp) return;
    this.refused.add(socket);
    this.drop('too-many-connections', { ip, limit: this.maxPerIp });
    setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
  }

  isRefused(socket: Socket): boolean {
    return this.refused.has(socket);
  }

  /** Connections open from `ip` now. */
  count(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  /** Express middleware answering requests on refused connections. */
  readonly middleware: RequestHandler = (req, res, next) => {
    if (!this.isRefused(req.socket)) return next();
    res.setHeader('Connection', 'close');
    res.status(429).json({ error: 'too-many-connections' });
  };
}
