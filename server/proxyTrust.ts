import { BlockList, isIP } from 'node:net';

/**
 * Whether the address seen at `hop` is a proxy whose word about the client is believed: hop 0 is the peer of the TCP
 * connection, hop 1 the right-most X-Forwarded-For entry (what that peer says it received the request from), and so on.
 */
export type ProxyTrust = (address: string, hop: number) => boolean;

/** Most hops `trustProxy` may trust by number (and the most X-Forwarded-For entries ever read). */
export const MAX_TRUSTED_HOPS = 32;

/** What `'loopback'` stands for: a proxy on the same host. */
const LOOPBACK: ReadonlyArray<[string, number, 'ipv4' | 'ipv6']> = [['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']];

/** One `trustProxy` entry as a subnet; null when it is none of 'loopback', an IP address, an address/prefix. */
function subnets(entry: unknown): ReadonlyArray<[string, number, 'ipv4' | 'ipv6']> | null {
  if (entry === 'loopback') return LOOPBACK;
  if (typeof entry !== 'string' || entry.length > 64) return null;
  const [address = '', prefixText, ...more] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || address.includes('%') || more.length > 0) return null;
  const maxPrefix = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^[0-9]{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
  return prefix <= maxPrefix ? [[address, prefix, family === 4 ? 'ipv4' : 'ipv6']] : null;
}

/** Whether `entry` is a valid `trustProxy` list entry: 'loopback', an IP address, or a CIDR range like 10.0.0.0/8. */
export function isTrustEntry(entry: unknown): boolean {
  return subnets(entry) !== null;
}

/**
 * The trust `trustProxy` describes: a number N trusts the first N hops whatever their address (0 trusts nothing); a
 * list trusts the addresses in its ranges at any hop. An IPv4-mapped IPv6 address (a dual-stack socket's
 * `::ffff:10.0.0.1`) is matched as its IPv4 address. Entries are assumed valid (see isTrustEntry).
 */
export function proxyTrust(option: number | readonly string[]): ProxyTrust {
  if (typeof option === 'number') return (_address, hop) => hop < option;
  if (option.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of option) for (const [address, prefix, type] of subnets(entry) ?? []) list.addSubnet(address, prefix, type);
  return (address) => {
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}
