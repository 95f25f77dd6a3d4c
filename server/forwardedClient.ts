import { isIP } from 'node:net';
import { MAX_TRUSTED_HOPS, type ProxyTrust } from './proxyTrust';

/** Most characters of X-Forwarded-For read, from its right end (the entries nearest this server). */
export const MAX_FORWARDED_CHARS = 4096;
/** Longest entry: an IPv6 address in brackets with a port, and room to spare. */
const MAX_ENTRY_LENGTH = 64;

/**
 * The address of one X-Forwarded-For entry: a bare IPv4 or IPv6 address, `[IPv6]`, `[IPv6]:port` or `IPv4:port`
 * (some proxies add the port); null for anything else (`unknown`, a name, garbage).
 */
function entryAddress(raw: string): string | null {
  const text = raw.trim();
  if (text.length === 0 || text.length > MAX_ENTRY_LENGTH) return null;
  const bracketed = /^\[([^\]]+)\](?::[0-9]{1,5})?$/.exec(text);
  if (bracketed) return isIP(bracketed[1] as string) === 6 ? (bracketed[1] as string) : null;
  const address = /^([0-9.]+):[0-9]{1,5}$/.exec(text)?.[1] ?? text;
  return isIP(address) !== 0 ? address : null;
}

/**
 * The client's address for a request that reached this server over a TCP connection from `direct`, with the
 * X-Forwarded-For `header` it carried — the usual right-to-left walk: while the address at hand is a trusted proxy
 * (`trust(address, hop)`, hop 0 being `direct`), step to the entry to its left; the first one not trusted is the
 * client. Entries left of it are never read: whatever a client writes into its own X-Forwarded-For, its proxy adds
 * the address it really came from to the right. When every entry is trusted, the left-most is the client.
 * `direct` itself is the answer when it is not trusted, when there is no header, and when the walk cannot be
 * trusted to the end: a malformed entry on the way, more than MAX_TRUSTED_HOPS entries or MAX_FORWARDED_CHARS
 * characters all trusted.
 */
export function forwardedClient(direct: string | undefined, header: string | readonly string[] | undefined, trust: ProxyTrust): string | undefined {
  if (direct === undefined || header === undefined || !trust(direct, 0)) return direct;
  let text = typeof header === 'string' ? header : header.join(',');
  const cut = text.length > MAX_FORWARDED_CHARS;
  if (cut) text = text.slice(-MAX_FORWARDED_CHARS);
  const entries = text.split(',');
  if (cut) entries.shift(); // may have been cut in the middle
  let client: string | undefined = direct;
  for (let hop = 1; hop <= entries.length; hop++) {
    if (hop > MAX_TRUSTED_HOPS) return direct;
    const address = entryAddress(entries[entries.length - hop] as string);
    if (address === null) return direct;
    client = address;
    if (!trust(address, hop)) return address;
  }
  // every entry trusted: the left-most is the client — unless the header was longer than what was read
  return cut ? direct : client;
}
