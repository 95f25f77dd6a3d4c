/** FNV-1a, 32 bit: a cheap, stable hash every peer computes the same way. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Which peer of a swarm should download a segment over HTTP for everyone: the one whose hash with the key is
 * lowest. Every peer that sees the same members elects the same one, and different segments spread over members.
 */
export function electFetcher(key: string, peerIds: Iterable<string>): string | null {
  let best: string | null = null;
  let bestHash = Infinity;
  for (const id of peerIds) {
    const h = fnv1a(`${id}|${key}`);
    if (h < bestHash || (h === bestHash && best !== null && id < best)) {
      best = id;
      bestHash = h;
    }
  }
  return best;
}

/** Members of a swarm as this page sees it: itself and its open peers (none before its own peer id is known). */
export function swarmMembers(pool: { readonly peerId: string | null; openPeerIds(): string[] }): string[] {
  const me = pool.peerId;
  return me ? [me, ...pool.openPeerIds()] : [];
}
