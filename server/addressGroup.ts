import { isIPv4, isIPv6 } from 'node:net';
import { ipv6Words } from './ipv6Words';

/** The group of everything that is not an IP address (a socket already closed has none). */
const UNKNOWN = 'unknown';
/** Longer than any IPv6 text with a zone id a kernel gives. */
const MAX_ADDRESS_LENGTH = 100;

/**
 * The client a remote address belongs to, for every per-client limit: an IPv4 address is one client; an IPv6 /64
 * (what one home or one host usually gets, so a client cannot rotate through its 2^64 addresses) is one client,
 * written `2001:db8:0:1::/64`; an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is its IPv4 address.
 */
export function addressGroup(address: string | undefined): string {
  if (typeof address !== 'string' || address.length === 0 || address.length > MAX_ADDRESS_LENGTH) return UNKNOWN;
  if (isIPv4(address)) return address;
  const bare = address.split('%')[0] as string; // a zone id (fe80::1%eth0) says nothing about the client
  if (!isIPv6(bare)) return UNKNOWN;
  const w = ipv6Words(bare);
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return [w[6]! >> 8, w[6]! & 0xff, w[7]! >> 8, w[7]! & 0xff].join('.');
  }
  return `${w.slice(0, 4).map((x) => x.toString(16)).join(':')}::/64`;
}
