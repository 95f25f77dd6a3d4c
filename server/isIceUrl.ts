import { parseHostPort } from './parseHostPort';

/** Longest STUN or TURN URL accepted in the options. */
export const MAX_ICE_URL_LENGTH = 256;

/**
 * Whether `url` is a STUN URL (RFC 7064: `stun:` or `stuns:` host[:port]) or, for 'turn', a TURN URL (RFC 7065:
 * `turn:` or `turns:` host[:port][?transport=udp|tcp]), of at most MAX_ICE_URL_LENGTH characters.
 */
export function isIceUrl(url: unknown, kind: 'stun' | 'turn'): url is string {
  if (typeof url !== 'string' || url.length > MAX_ICE_URL_LENGTH) return false;
  const match = (kind === 'stun' ? /^stuns?:([^?]*)$/ : /^turns?:([^?]*)(?:\?transport=(?:udp|tcp))?$/).exec(url);
  return match !== null && parseHostPort(match[1]) !== null;
}
