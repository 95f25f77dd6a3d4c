import { MAX_PEER_ID_LENGTH } from './Tracker';

/** What the server needs of a signalling message from a peer. */
export interface SignallingMessage {
  type: string;
  /** The peer it is for; undefined when the message has none (null or '' count as none, as in PeerJS). */
  dst: string | undefined;
  /** The message's payload, unchecked (relayed as it is, as PeerJS does). */
  payload?: unknown;
}

/**
 * Reads one signalling websocket message: a JSON object with a string `type` and, when present, a string `dst` of at
 * most MAX_PEER_ID_LENGTH characters. Null for anything else.
 */
export function parseSignallingMessage(text: string): SignallingMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return null;
  const { type, dst, payload } = m as { type?: unknown; dst?: unknown; payload?: unknown };
  if (typeof type !== 'string') return null;
  if (dst === undefined || dst === null || dst === '') return { type, dst: undefined };
  if (typeof dst !== 'string' || dst.length > MAX_PEER_ID_LENGTH) return null;
  return { type, dst, payload };
}
