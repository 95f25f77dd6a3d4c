import { timingSafeEqual } from 'node:crypto';

/** What the registry needs of a PeerJS server client. */
export interface PeerClient {
  getId(): string;
  getToken(): string;
}

/**
 * The peers connected to the PeerJS server right now, by id, fed from its 'connection' and 'disconnect' events.
 * Lets the tracker check that a request comes from the holder of a peer id (it knows the id's secret token).
 */
export class PeerRegistry {
  private readonly clients = new Map<string, PeerClient>();

  add(client: PeerClient): void {
    this.clients.set(client.getId(), client);
  }

  /** Forgets `client`; false when its id now belongs to another client object (a reconnect) or is unknown. */
  remove(client: PeerClient): boolean {
    if (this.clients.get(client.getId()) !== client) return false;
    this.clients.delete(client.getId());
    return true;
  }

  /** Whether `peerId` is connected and `token` is its token (compared in constant time). */
  verify(peerId: string, token: string): boolean {
    const client = this.clients.get(peerId);
    if (!client) return false;
    const expected = Buffer.from(client.getToken());
    const given = Buffer.from(token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  get size(): number {
    return this.clients.size;
  }
}
