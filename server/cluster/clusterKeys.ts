import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The Redis keys of one deployment, all under `prefix` (several deployments may share a Redis):
 * - `node:<id>` — a node is alive (set with a TTL by its heartbeat);
 * - `peer:<id>` — a signalling peer: `<node id> <sha-256 of its token, hex>`, with a TTL its node's heartbeat renews;
 * - `swarm:<swarm id>` — sorted set of member peer ids, scored by their last join (ms since the epoch);
 * - `swarms-of:<peer id>` — sorted set of the swarms a peer is in, scored the same (bounds them, cleans up);
 * - `rate:<client>:<second>` — a client's tracker requests in one second (all nodes together);
 * - channel `signal:<node id>` — signalling for the peers of one node (see clusterMessage).
 */
export interface ClusterKeys {
  node(nodeId: string): string;
  peer(peerId: string): string;
  swarm(swarm: string): string;
  swarmsOf(peerId: string): string;
  rate(client: string, second: number): string;
  channel(nodeId: string): string;
}

export function clusterKeys(prefix: string): ClusterKeys {
  return {
    node: (id) => `${prefix}node:${id}`,
    peer: (id) => `${prefix}peer:${id}`,
    swarm: (swarm) => `${prefix}swarm:${swarm}`,
    swarmsOf: (id) => `${prefix}swarms-of:${id}`,
    rate: (client, second) => `${prefix}rate:${client}:${second}`,
    channel: (id) => `${prefix}signal:${id}`,
  };
}

/** What a peer entry says: which node holds the peer's socket, and the hash of its token. */
export interface PeerEntry {
  node: string;
  tokenHash: string;
}

/** Node ids: what `nodeId` accepts, and what a peer entry may name. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** The hash of a signalling token kept in Redis (the token itself never leaves the node that got it). */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function formatPeerEntry(entry: PeerEntry): string {
  return `${entry.node} ${entry.tokenHash}`;
}

/** A peer entry read from Redis; null for anything malformed (a stray or corrupted value). */
export function parsePeerEntry(value: unknown): PeerEntry | null {
  if (typeof value !== 'string') return null;
  const [node, hash, extra] = value.split(' ');
  if (extra !== undefined || node === undefined || hash === undefined) return null;
  if (!NODE_ID_PATTERN.test(node) || !HASH_PATTERN.test(hash)) return null;
  return { node, tokenHash: hash };
}

/** Whether `token` hashes to `hash` (compared in constant time). */
export function tokenMatches(token: string, hash: string): boolean {
  const a = Buffer.from(tokenHash(token), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
