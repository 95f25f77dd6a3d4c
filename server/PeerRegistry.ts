import { timingSafeEqual } from 'node:crypto';

/** The part of a signalling socket the registry uses. */
export interface PeerSocket {
  close(code?: number, reason?: string): void;
  send?(text: string): void;
}

/** What the registry needs of a PeerJS server client. */
export interface PeerClient {
  getId(): string;
  getToken(): string;
  getSocket?(): PeerSocket | null;
}

/** Close code and reason of a socket replaced by a newer one of the same peer (same id and token). */
const CLOSE_REPLACED = 1000;
const REPLACED_REASON = 'replaced';

/**
 * The peers connected to the PeerJS server right now, by id, fed from its 'connection' and 'disconnect' events.
 * Lets the tracker check that a request comes from the holder of a peer id (it knows the id's secret token).
 * One socket per peer: PeerJS takes a second socket with the same id and token as the peer's new socket but leaves
 * the old one open and out of its peer count; the registry closes the old one.
 */
export class PeerRegistry {
  private readonly clients = new Map<string, { client: PeerClient; socket: PeerSocket | null }>();

  add(client: PeerClient): void {
    const socket = client.getSocket?.() ?? null;
    const known = this.clients.get(client.getId());
    if (known && known.client === client && known.socket && known.socket !== socket) {
      known.socket.close(CLOSE_REPLACED, REPLACED_REASON);
    }
    this.clients.set(client.getId(), { client, socket });
  }

  /** Forgets `client`; false when its id now belongs to another client object (a reconnect) or is unknown. */
  remove(client: PeerClient): boolean {
    if (this.clients.get(client.getId())?.client !== client) return false;
    this.clients.delete(client.getId());
    return true;
  }

  /** Whether `socket` is the signalling socket of `peerId` (not another socket that claimed its id). */
  owns(peerId: string, socket: unknown): boolean {
    const known = this.clients.get(peerId);
    return known !== undefined && (known.client.getSocket?.() ?? known.socket) === socket;
  }

  /** Sends `text` on `peerId`'s socket; false when it is not connected here (or the send throws). */
  send(peerId: string, text: string): boolean {
    const known = this.clients.get(peerId);
    const socket = known ? (known.client.getSocket?.() ?? known.socket) : null;
    if (!socket?.send) return false;
    try {
      socket.send(text);
      return true;
    } catch {
      return false;
    }
  }

  /** Closes `peerId`'s socket (PeerJS then forgets it the normal way); nothing when it is not connected here. */
  close(peerId: string, code: number, reason: string): void {
    const known = this.clients.get(peerId);
    const socket = known ? (known.client.getSocket?.() ?? known.socket) : null;
    try {
      socket?.close(code, reason);
    } catch {
      // already closing
    }
  }

  /** Whether `peerId` is connected now. */
  has(peerId: string): boolean {
    return this.clients.has(peerId);
  }

  /** Whether `peerId` is connected and `token` is its token (compared in constant time). */
  verify(peerId: string, token: string): boolean {
    const known = this.clients.get(peerId);
    if (!known) return false;
    const expected = Buffer.from(known.client.getToken());
    const given = Buffer.from(token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  get size(): number {
    return this.clients.size;
  }
}
