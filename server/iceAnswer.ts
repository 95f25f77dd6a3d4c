import type { IceServer } from '../core/config';
import { parseHostPort } from './parseHostPort';
import { turnCredentials } from './turnCredentials';

/** What `/ice` hands out, from the server's options and its bound STUN port. */
export interface IceSettings {
  /** UDP port of this server's own STUN responder; null when it runs none. */
  stunPort: number | null;
  /** STUN URLs advertised instead of the server's own. */
  iceUrls: readonly string[];
  /** TURN URLs; [] = no TURN. */
  turnUrls: readonly string[];
  /** Shared secret of the TURN server. */
  turnSecret: string;
  turnCredentialTtlSec: number;
}

/** The body of a `/ice` answer. */
export interface IceAnswer {
  iceServers: IceServer[];
  /** How long the answer holds (the TURN credentials' lifetime), in seconds. */
  ttlSec: number;
}

/**
 * The ICE servers for one connected peer:
 * - STUN: `{ urls: [...iceUrls] }` when given, else `{ urls: 'stun:<host>:<stunPort>' }` for the server's own
 *   responder, `<host>` being the host name of the request's Host header (what the page reached this server by) —
 *   nothing when that header is not a plain host name or bracketed IPv6 address;
 * - TURN: `{ urls: [...turnUrls], username, credential }` (see turnCredentials) when configured and `relay`.
 */
export function iceAnswer(
  settings: IceSettings,
  ask: { hostHeader: string | undefined; peerId: string; relay: boolean },
  nowMs: number = Date.now(),
): IceAnswer {
  const iceServers: IceServer[] = [];
  if (settings.iceUrls.length > 0) iceServers.push({ urls: [...settings.iceUrls] });
  else if (settings.stunPort !== null) {
    const host = parseHostPort(ask.hostHeader);
    if (host) iceServers.push({ urls: `stun:${host.hostname}:${settings.stunPort}` });
  }
  if (settings.turnUrls.length > 0 && settings.turnSecret !== '' && ask.relay) {
    const { username, credential } = turnCredentials(settings.turnSecret, ask.peerId, settings.turnCredentialTtlSec, nowMs);
    iceServers.push({ urls: [...settings.turnUrls], username, credential });
  }
  return { iceServers, ttlSec: settings.turnCredentialTtlSec };
}
