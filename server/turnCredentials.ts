import { createHmac } from 'node:crypto';

/** A TURN username and password for one peer. */
export interface TurnCredentials {
  /** `${expiryUnixSeconds}:${peerId}`. */
  username: string;
  /** base64(HMAC-SHA1(secret, username)). */
  credential: string;
  /** When the TURN server stops accepting them, in Unix seconds. */
  expiresAtSec: number;
}

/**
 * Time-limited TURN credentials of the "TURN REST API" scheme (draft-uberti-behave-turn-rest), which coturn checks
 * with `use-auth-secret` and `static-auth-secret=<secret>`: the username carries its expiry time, the password is
 * the username signed with the shared secret, so the TURN server needs no user database and no call to this server.
 */
export function turnCredentials(secret: string, peerId: string, ttlSec: number, nowMs: number = Date.now()): TurnCredentials {
  const expiresAtSec = Math.floor(nowMs / 1000) + ttlSec;
  const username = `${expiresAtSec}:${peerId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAtSec };
}
