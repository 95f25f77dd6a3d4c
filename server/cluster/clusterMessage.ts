import { MAX_PEER_ID_LENGTH } from '../Tracker';

/** Version of the node-to-node messages; a node drops messages of another version (logged). */
export const CLUSTER_MESSAGE_VERSION = 1;

/** Largest node-to-node message read (a signalling message is at most `maxMessageBytes`, 1 MiB at most, plus this envelope). */
export const MAX_CLUSTER_MESSAGE_BYTES = 1024 * 1024 + 4096;

/** Signalling message types relayed between nodes (PeerJS's peer-to-peer ones). */
export const RELAYED_TYPES: ReadonlySet<string> = new Set(['OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE', 'EXPIRE']);

/**
 * What one node publishes on another's channel (Redis pub/sub, `signal:<node id>`):
 * - `signal`: a PeerJS message from `src` (a peer of the publishing node) for `dst` (a peer of the receiving node),
 *   delivered to dst's socket as PeerJS delivers it, `{ type, src, dst, payload }`;
 * - `evict`: `peer` connected to the publishing node with the same token; the receiving node closes its old socket.
 */
export type ClusterMessage =
  | { v: typeof CLUSTER_MESSAGE_VERSION; kind: 'signal'; type: string; src: string; dst: string; payload?: unknown }
  | { v: typeof CLUSTER_MESSAGE_VERSION; kind: 'evict'; peer: string };

/** A message read from the channel; null for anything malformed or of another version. */
export function parseClusterMessage(text: string): ClusterMessage | null {
  if (text.length > MAX_CLUSTER_MESSAGE_BYTES) return null;
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return null;
  const o = m as Record<string, unknown>;
  if (o.v !== CLUSTER_MESSAGE_VERSION) return null;
  if (o.kind === 'evict') return isPeerId(o.peer) ? { v: CLUSTER_MESSAGE_VERSION, kind: 'evict', peer: o.peer } : null;
  if (o.kind !== 'signal' || typeof o.type !== 'string' || !RELAYED_TYPES.has(o.type)) return null;
  if (!isPeerId(o.src) || !isPeerId(o.dst)) return null;
  return { v: CLUSTER_MESSAGE_VERSION, kind: 'signal', type: o.type, src: o.src, dst: o.dst, ...(o.payload !== undefined ? { payload: o.payload } : {}) };
}

function isPeerId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_PEER_ID_LENGTH;
}
