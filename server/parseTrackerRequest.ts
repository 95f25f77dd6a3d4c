import { MAX_KEY_LENGTH } from '../core/contract';
import { MAX_PEER_ID_LENGTH } from './Tracker';

/** Longest PeerJS token accepted (PeerJS clients make ~11-character ones). */
export const MAX_TOKEN_LENGTH = 256;

/** A validated join or leave body. */
export interface TrackerRequest {
  peerId: string;
  token: string;
  swarm: string;
  /** How many peers the caller wants; null when absent. */
  want: number | null;
}

function isText(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength;
}

/** Validates a `{ peerId, token, swarm, want? }` body; null when malformed. */
export function parseTrackerRequest(body: unknown): TrackerRequest | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { peerId, token, swarm, want } = body as Record<string, unknown>;
  if (!isText(peerId, MAX_PEER_ID_LENGTH) || !isText(token, MAX_TOKEN_LENGTH) || !isText(swarm, MAX_KEY_LENGTH)) {
    return null;
  }
  if (want !== undefined && (typeof want !== 'number' || !Number.isInteger(want) || want < 0)) return null;
  return { peerId, token, swarm, want: want ?? null };
}
