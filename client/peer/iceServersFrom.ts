import type { IceServer } from '../../core/config';

/** Most ICE servers, URLs per server and characters per URL or credential taken from an answer. */
const MAX_SERVERS = 4;
const MAX_URLS = 4;
const MAX_CHARS = 512;
const ICE_URL = /^(stuns?|turns?):\S+$/i;
const RELAY_URL = /^turns?:/i;

/**
 * ICE servers out of untrusted JSON (the P2P server's answer) or the page's config: bounded in number and size,
 * only `stun:`/`stuns:`/`turn:`/`turns:` URLs, TURN ones dropped unless relays are allowed. Never throws.
 */
export function iceServersFrom(value: unknown, allowRelay: boolean): IceServer[] {
  const out: IceServer[] = [];
  if (!Array.isArray(value)) return out;
  for (const s of value.slice(0, MAX_SERVERS) as Array<Partial<Record<keyof IceServer, unknown>> | null>) {
    const urls = ([] as unknown[])
      .concat(s?.urls)
      .slice(0, MAX_URLS)
      .filter((u): u is string => typeof u === 'string' && u.length <= MAX_CHARS && ICE_URL.test(u) && (allowRelay || !RELAY_URL.test(u)));
    if (urls.length === 0) continue;
    const server: IceServer = { urls };
    for (const k of ['username', 'credential'] as const) {
      const v = s?.[k];
      if (typeof v === 'string' && v.length <= MAX_CHARS) server[k] = v;
    }
    out.push(server);
  }
  return out;
}
