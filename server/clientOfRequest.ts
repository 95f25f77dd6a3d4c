import type { IncomingMessage } from 'node:http';
import { addressGroup } from './addressGroup';
import { forwardedClient } from './forwardedClient';
import type { ProxyTrust } from './proxyTrust';

/** Who sent a request, for the per-client limits and the drop log. */
export interface RequestClient {
  /** The client's address: forwarded by a trusted proxy, else the peer of the TCP connection ('unknown' if gone). */
  ip: string;
  /** Its address group, the key of every per-client limit (see addressGroup). */
  client: string;
  /** The peer of the TCP connection when it is a trusted proxy (its connections are not counted per connection); else null. */
  proxy: string | null;
}

/** What a limit reads of a request (a test may hand a bare `{ socket }`). */
export type RequestLike = Pick<IncomingMessage, 'socket'> & { headers?: IncomingMessage['headers'] };

/** The client of a request under `trust` (see forwardedClient). */
export function clientOfRequest(trust: ProxyTrust): (req: RequestLike) => RequestClient {
  return (req) => {
    const direct = req.socket.remoteAddress;
    const proxy = direct !== undefined && trust(direct, 0) ? direct : null;
    const ip = (proxy === null ? direct : forwardedClient(direct, req.headers?.['x-forwarded-for'], trust)) ?? 'unknown';
    return { ip, client: addressGroup(ip), proxy };
  };
}

/** The drop log's fields for a client: `ip`, and `client` (its group) and `proxy` where they say more. */
export function clientFields(who: RequestClient): Record<string, string> {
  return {
    ip: who.ip,
    ...(who.client !== who.ip ? { client: who.client } : {}),
    ...(who.proxy !== null && who.proxy !== who.ip ? { proxy: who.proxy } : {}),
  };
}
