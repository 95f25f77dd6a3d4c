import { MAX_PEER_ID_LENGTH } from './Tracker';
import { MAX_TOKEN_LENGTH } from './parseTrackerRequest';

/** A validated `/ice` body. */
export interface IceRequest {
  peerId: string;
  token: string;
  /** Whether TURN credentials are wanted; true when absent. */
  relay: boolean;
}

function isText(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength;
}

/** Validates a `{ peerId, token, relay? }` body; null when malformed (`relay` other than a boolean included). */
export function parseIceRequest(body: unknown): IceRequest | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { peerId, token, relay } = body as Record<string, unknown>;
  if (!isText(peerId, MAX_PEER_ID_LENGTH) || !isText(token, MAX_TOKEN_LENGTH)) return null;
  if (relay !== undefined && typeof relay !== 'boolean') return null;
  return { peerId, token, relay: relay ?? true };
}
