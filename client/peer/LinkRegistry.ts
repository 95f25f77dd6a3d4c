import { keyInSwarm } from '../../core/contract';
import type { PeerLink } from '../PeerLink';
import type { ConnectionLike } from './ConnectionLike';

/**
 * An open link with no segment bytes either way for this long, that announced nothing this page lacks, gives its
 * slot to a better candidate: a peer the tracker offers when every slot is taken, or (for a link that dialled in)
 * a new peer dialling in when the inbound slots are taken.
 */
const IDLE_REPLACE_MS = 30_000;
/** At most one replacement this often (each handshake costs both sides CPU; an idle swarm must not churn). */
const REPLACE_MIN_GAP_MS = 10_000;
/** Peers replaced this session, not dialled again (bounded, oldest forgotten). */
const MAX_REPLACED_REMEMBERED = 256;

export interface LinkRegistryDeps {
  maxPeers: number;
  /** This page's peer id (settles which of two crossing dials stays). */
  myId(): string | null;
  /** Whether this page wants a key from a peer (a segment of a joined swarm that it does not hold). */
  needs(key: string): boolean;
  /** Makes the link of a connection. */
  create(conn: ConnectionLike, dialled: boolean): PeerLink;
  now(): number;
}

/**
 * The links of this page by peer id, and who gets a slot: at most maxPeers links, at most half of them (rounded
 * up) dialled in, the rest kept for peers the tracker chose; a link idle for 30 s (nothing this page lacks on
 * offer) gives its slot to a better candidate, at most one every 10 s, and its peer is not dialled again. Also
 * remembers in which joined swarms each peer was met (dialled for, or listed by the tracker), so leaving a swarm
 * closes the links that were there only.
 */
export class LinkRegistry implements Iterable<PeerLink> {
  private readonly links = new Map<string, PeerLink>();
  /** Peer id → joined swarms it was met in (bounded by the swarms a page joins). */
  private readonly metIn = new Map<string, Set<string>>();
  private readonly replaced = new Set<string>();
  private lastReplaceAt = -Infinity;

  constructor(private readonly deps: LinkRegistryDeps) {}

  get size(): number {
    return this.links.size;
  }

  [Symbol.iterator](): Iterator<PeerLink> {
    return this.links.values();
  }

  /** The links, in the order they were made (as a Map's values). */
  values(): IterableIterator<PeerLink> {
    return this.links.values();
  }

  has(peerId: string): boolean {
    return this.links.has(peerId);
  }

  get(peerId: string): PeerLink | undefined {
    return this.links.get(peerId);
  }

  /** Slots free for peers the tracker offers (≤ 0 when none). */
  room(): number {
    return this.deps.maxPeers - this.links.size;
  }

  /** A peer replaced this session (not dialled again). */
  wasReplaced(peerId: string): boolean {
    return this.replaced.has(peerId);
  }

  /** Whether an idle link could give way now. */
  canReplace(): boolean {
    return this.replaceable() !== undefined;
  }

  /** Whether a peer dialling in may have a slot; frees an idle inbound one for it when the inbound slots are taken. */
  roomForInbound(): boolean {
    let inbound = 0;
    for (const l of this.links.values()) if (!l.dialled) inbound++;
    if (inbound < this.inboundCap && this.links.size < this.deps.maxPeers) return true;
    // never a slot of a peer the tracker chose: only another idle link that dialled in gives way
    const victim = this.replaceable((l) => !l.dialled);
    if (!victim) return false;
    this.replace(victim);
    return true;
  }

  /** Whether a slot is free for a peer to dial, freeing an idle one when every slot is taken. */
  makeRoom(): boolean {
    if (this.links.size < this.deps.maxPeers) return true;
    const victim = this.replaceable();
    if (!victim) return false;
    this.replace(victim);
    return true;
  }

  /**
   * Adds the link of a connection (`swarm`: the one it was dialled for). Both sides dialled at once: the connection
   * opened by the lower id is kept, and an open link always stays.
   */
  add(conn: ConnectionLike, outgoing: boolean, swarm?: string): void {
    const remote = conn.peer;
    const existing = this.links.get(remote);
    const met = this.metIn.get(remote);
    if (existing) {
      const keepNew = !existing.isOpen && outgoing === (this.deps.myId() ?? '') < remote;
      if (!keepNew) {
        conn.close();
        return;
      }
      this.links.delete(remote);
      existing.close('closed');
    }
    this.links.set(remote, this.deps.create(conn, outgoing));
    if (met) this.metIn.set(remote, met);
    if (swarm !== undefined) this.met(remote, swarm);
  }

  /** The peer was found in a joined swarm (dialled for it, or in the tracker's answer for it). */
  met(peerId: string, swarm: string): void {
    if (!this.links.has(peerId)) return;
    const set = this.metIn.get(peerId);
    if (set) set.add(swarm);
    else this.metIn.set(peerId, new Set([swarm]));
  }

  /** A link closed: it no longer holds a slot (unless another link of that peer replaced it already). */
  closed(link: PeerLink): void {
    if (this.links.get(link.remoteId) === link) this.links.delete(link.remoteId);
    if (!this.links.has(link.remoteId)) this.metIn.delete(link.remoteId);
  }

  /**
   * This page left `swarm` (`joined`: the swarms it is still in): closes the links of peers met only there — dialled
   * for it, listed by the tracker for it, or announcing its segments — and in none of the swarms still joined.
   * A link known in no swarm (dialled in, announcing nothing) stays: idle replacement takes care of it.
   */
  left(swarm: string, joined: ReadonlySet<string>): PeerLink[] {
    const inSwarm = (s: string) => (key: string) => keyInSwarm(key, s);
    const closing: PeerLink[] = [];
    for (const link of this.links.values()) {
      const met = this.metIn.get(link.remoteId);
      const wasThere = met?.delete(swarm) === true || link.offersAny(inSwarm(swarm));
      if (!wasThere) continue;
      let elsewhere = false;
      for (const s of joined) if (met?.has(s) || link.offersAny(inSwarm(s))) elsewhere = true;
      if (!elsewhere) closing.push(link);
    }
    for (const link of closing) {
      this.links.delete(link.remoteId);
      this.metIn.delete(link.remoteId);
      link.close('closed', `this page left swarm ${swarm}`);
    }
    return closing;
  }

  closeAll(): void {
    const all = [...this.links.values()];
    this.links.clear();
    this.metIn.clear();
    for (const link of all) link.close('closed');
  }

  /** Links that dialled in may hold at most half the slots (rounded up): the rest are kept for the tracker's peers. */
  private get inboundCap(): number {
    return Math.ceil(this.deps.maxPeers / 2);
  }

  /** The longest-idle open link (of those `eligible`) whose slot is better used, if replacing is allowed now. */
  private replaceable(eligible: (l: PeerLink) => boolean = () => true): PeerLink | undefined {
    if (this.deps.now() - this.lastReplaceAt < REPLACE_MIN_GAP_MS) return undefined;
    let best: PeerLink | undefined;
    let bestIdle = IDLE_REPLACE_MS - 1;
    for (const l of this.links.values()) {
      const idle = l.idleMs();
      if (idle <= bestIdle || !eligible(l) || l.offersAny((k) => this.deps.needs(k))) continue;
      best = l;
      bestIdle = idle;
    }
    return best;
  }

  private replace(victim: PeerLink): void {
    this.lastReplaceAt = this.deps.now();
    this.replaced.add(victim.remoteId);
    if (this.replaced.size > MAX_REPLACED_REMEMBERED) this.replaced.delete(this.replaced.values().next().value as string);
    this.links.delete(victim.remoteId);
    this.metIn.delete(victim.remoteId);
    victim.close('closed', `idle for ${Math.round(victim.idleMs() / 1000)} s: slot given to another peer`);
  }
}
