import type { PeerLike } from './Signalling';

/** Retired Peers kept at most; one more destroys the oldest (its links close; the pool finds peers again). */
export const MAX_RETIRED_PEERS = 4;

/**
 * The PeerJS Peers signalling left behind when it moved to another server, kept for the links they still carry.
 * PeerJS's `destroy()` closes a Peer's data connections; `disconnect()` only closes its socket to the server (it
 * sends nothing through it any more and takes no new connection) and leaves the connections open. So a retired Peer
 * is disconnected, not destroyed, and is let go (destroyed) once no connection of it is left — checked at each
 * retirement — or when signalling stops.
 */
export class RetiredPeers {
  private peers: PeerLike[] = [];

  /** How many are kept now. */
  get size(): number {
    return this.peers.length;
  }

  /** Ends `peer`'s signalling and keeps it while it carries connections. */
  add(peer: PeerLike): void {
    try {
      peer.disconnect?.();
    } catch {
      // already gone
    }
    this.peers.push(peer);
    for (const p of this.peers.filter((kept) => kept.destroyed || !carriesConnections(kept))) this.drop(p);
    while (this.peers.length > MAX_RETIRED_PEERS) this.drop(this.peers[0]!);
  }

  /** Destroys every one kept (their connections close). */
  destroyAll(): void {
    for (const p of [...this.peers]) this.drop(p);
  }

  private drop(peer: PeerLike): void {
    this.peers = this.peers.filter((p) => p !== peer);
    try {
      peer.destroy();
    } catch {
      // already gone
    }
  }
}

/**
 * Whether a Peer still holds a connection: PeerJS keeps them by remote id in `_connections` (a Map; a closed one is
 * removed from its list) — its deprecated `connections` getter is trimmed from swarmfetch's bundles
 * (scripts/peerjsTrim.mjs), so it is read only as a fallback. A Peer that says neither is taken to hold some.
 */
function carriesConnections(peer: PeerLike): boolean {
  const internal = (peer as { _connections?: unknown })._connections;
  if (internal instanceof Map) return [...internal.values()].some((list) => !Array.isArray(list) || list.length > 0);
  const byRemote = peer.connections;
  if (!byRemote || typeof byRemote !== 'object') return true;
  return Object.values(byRemote).some((list) => !Array.isArray(list) || list.length > 0);
}
