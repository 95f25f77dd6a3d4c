import { isIPv6 } from 'node:net';

/** Longest host name (RFC 1035). */
const MAX_HOSTNAME_LENGTH = 253;
/** Dot-separated labels of letters, digits and inner hyphens (an IPv4 address is one too). */
const HOSTNAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A host name or bracketed IPv6 address, and the port when one was given. */
export interface HostPort {
  /** Lower case; an IPv6 address in brackets ('[2001:db8::1]'), as it goes into a URL. */
  hostname: string;
  port: number | null;
}

/**
 * Reads `host[:port]` as a Host header or the tail of a `stun:` URL has it: a DNS name or IPv4 address, or an IPv6
 * address in brackets, and a port from 1 to 65535. Anything else — other characters, an empty or over-long name, a
 * bad port — is null, so nothing of it is ever written into a URL.
 */
export function parseHostPort(text: string | undefined): HostPort | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_HOSTNAME_LENGTH + 8) return null;
  let hostname: string;
  let rest: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0 || !isIPv6(text.slice(1, end))) return null;
    hostname = text.slice(0, end + 1);
    rest = text.slice(end + 1);
  } else {
    const colon = text.indexOf(':');
    hostname = colon < 0 ? text : text.slice(0, colon);
    rest = colon < 0 ? '' : text.slice(colon);
    if (hostname.length > MAX_HOSTNAME_LENGTH || !HOSTNAME.test(hostname)) return null;
  }
  if (rest === '') return { hostname: hostname.toLowerCase(), port: null };
  if (!/^:[0-9]{1,5}$/.test(rest)) return null;
  const port = Number(rest.slice(1));
  return port >= 1 && port <= 65535 ? { hostname: hostname.toLowerCase(), port } : null;
}
