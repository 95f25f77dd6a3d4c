/** Connection ids whose early signalling messages a PeerJS Peer keeps; the oldest is dropped past it. */
export const LOST_MESSAGE_IDS_MAX = 64;
/** Early signalling messages kept per connection id (a real connection's early candidates are a handful). */
export const LOST_MESSAGES_PER_ID_MAX = 32;

/**
 * Bounds what a PeerJS `Peer` keeps of signalling messages for connections it does not know (yet).
 *
 * PeerJS stores every message for an unknown connection id (`_storeMessage` into `_lostMessages`) until a connection
 * of that id claims it, and never drops one otherwise: the candidates still arriving for a media call we closed, or
 * messages for made-up ids, stay for the whole session (121 entries after a peer placed 120 calls, measured). This
 * wraps the Peer's own store with a bound. PeerJS internals: when they are not there (another PeerJS version, a test
 * fake) nothing is changed.
 */
export function boundLostMessages(peer: unknown): void {
  const p = peer as { _lostMessages?: unknown; _storeMessage?: unknown };
  if (!(p._lostMessages instanceof Map) || typeof p._storeMessage !== 'function') return;
  const lost = p._lostMessages as Map<unknown, unknown[]>;
  const store = (p._storeMessage as (id: unknown, message: unknown) => void).bind(peer);
  p._storeMessage = (id: unknown, message: unknown): void => {
    const list = lost.get(id);
    if (list) {
      if (list.length < LOST_MESSAGES_PER_ID_MAX) store(id, message);
      return;
    }
    while (lost.size >= LOST_MESSAGE_IDS_MAX) lost.delete(lost.keys().next().value);
    store(id, message);
  };
}
