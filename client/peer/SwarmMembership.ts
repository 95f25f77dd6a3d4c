import { keyInSwarm } from '../../core/contract';
import type { SegmentStore, StoredSegment } from '../SegmentStore';
import type { SharedKeys } from '../SharedKeys';
import type { Discovery } from './Discovery';
import type { LinkRegistry } from './LinkRegistry';

export interface SwarmMembershipDeps {
  discovery: Discovery;
  links: LinkRegistry;
  /** Local keys and swarms ↔ shared ones (what peers call them). */
  keys: SharedKeys;
  store: Pick<SegmentStore, 'has' | 'keysBySwarm'>;
  /** Serving peers from the start (see setServing). */
  serving: boolean;
}

/**
 * The swarms this page is in as its peers see them: joins and leaves by shared swarm id (Discovery keeps the set and
 * asks the tracker), what peers are told of the store (`have`/`lost`/`fetching` by shared key), serving on or off,
 * and isolation — only segments of the swarms joined are announced to peers or served to them.
 */
export class SwarmMembership {
  /** Serving peers (see setServing). */
  private uploading: boolean;
  private destroyed = false;

  constructor(private readonly deps: SwarmMembershipDeps) {
    this.uploading = deps.serving;
  }

  /** Whether this page serves peers (see setServing). */
  get serving(): boolean {
    return this.uploading;
  }

  /**
   * Serving peers on or off at runtime (downloads from peers go on either way). Off: uploads under way end at once,
   * each answered `absent`; new requests are answered `absent`; peers are told `lost` for everything held and hear
   * no more news. On: peers are told what the store holds again.
   */
  setServing(on: boolean): void {
    if (on === this.uploading) return;
    this.uploading = on;
    const held = this.held();
    for (const link of this.deps.links) {
      if (!on) link.dropUploads();
      for (const [swarm, keys] of held) link.announce(on ? 'have' : 'lost', swarm, keys);
    }
  }

  /**
   * Joins a swarm; peers are found as soon as signalling is up. Joining a swarm already joined marks it used; when
   * MAX_SWARMS are joined, the least recently used one is left to make room. `swarm` is the agent's (local) swarm
   * id; `key`, a segment of it, names the swarm joined (see SharedKeys: with a segmentId hook, a swarm none of whose
   * keys was seen yet is joined once one is).
   */
  join(swarm: string, key?: string): void {
    const { discovery, keys, store, links } = this.deps;
    const s = keys.swarm(swarm, key);
    if (s === undefined || this.destroyed || discovery.touch(s)) return;
    const lru = discovery.leastRecentlyUsed;
    if (lru !== undefined) this.drop(lru);
    discovery.join(s);
    // a swarm joined again: links already told what the store held then learn what it holds of this one
    const held = keys.held(store.keysBySwarm()).get(s);
    if (held && this.uploading) for (const link of links) link.announce('have', s, held);
  }

  /**
   * Leaves a swarm: the tracker is told, its segments are no longer announced or served to peers (peers are told
   * `lost` for what the store holds of it), and links to peers met only in it are closed. Nothing if not joined.
   */
  leave(swarm: string): void {
    const s = this.deps.keys.swarm(swarm);
    if (s !== undefined) this.drop(s);
  }

  /** Tells every peer about segments that arrived, left the store, or are being downloaded. */
  announce(type: 'have' | 'lost' | 'fetching', segments: Array<Pick<StoredSegment, 'key' | 'swarm'>>): void {
    const { keys, discovery } = this.deps;
    const bySwarm = new Map<string, string[]>();
    for (const s of segments) {
      // on the wire by shared key and swarm; a peer asking for the shared key is served the local one
      const key = keys.of(s.key);
      const swarm = keys.swarm(s.swarm, s.key)!;
      keys.note(type, s.key, key);
      if (!discovery.joined.has(swarm)) continue;
      const list = bySwarm.get(swarm);
      if (list) list.push(key);
      else bySwarm.set(swarm, [key]);
    }
    // not serving: peers were told `lost` for everything and hear nothing more
    if (!this.uploading) return;
    // a link announces only once it has told its peer what we held (on open, or with the accepting side's hello)
    for (const link of this.deps.links) {
      for (const [swarm, shared] of bySwarm) link.announce(type, swarm, shared);
    }
  }

  /**
   * The local segment to serve a peer asking for `key` (a shared key): the one this page holds under it, when it
   * serves peers and the key is of a swarm joined (whatever else the store holds is nobody's business); else none.
   */
  served(key: string): string | undefined {
    const local = this.deps.keys.local(key);
    return this.uploading && local !== undefined && this.inJoinedSwarm(key) ? local : undefined;
  }

  /** Whether this page wants `key` (a shared key) from a peer: a segment of a joined swarm that it does not hold. */
  needs(key: string): boolean {
    return this.inJoinedSwarm(key) && !this.deps.store.has(this.deps.keys.local(key) ?? '');
  }

  /** What a link tells its peer once open: what the store holds of the swarms joined; nothing when not serving. */
  announced(): Map<string, string[]> {
    return this.uploading ? this.held() : new Map();
  }

  destroy(): void {
    this.destroyed = true;
  }

  /** What the store holds of the swarms joined (what is nobody else's business is left out). */
  private held(): Map<string, string[]> {
    const { keys, store, discovery } = this.deps;
    return new Map([...keys.held(store.keysBySwarm())].filter(([swarm]) => discovery.joined.has(swarm)));
  }

  /** Leaves a swarm (its shared id): see leave. */
  private drop(swarm: string): void {
    const { discovery, keys, store, links } = this.deps;
    if (this.destroyed || !discovery.leave(swarm)) return;
    links.left(swarm, discovery.joined);
    const held = keys.held(store.keysBySwarm()).get(swarm);
    if (held) for (const link of links) link.announce('lost', swarm, held);
  }

  private inJoinedSwarm(key: string): boolean {
    for (const swarm of this.deps.discovery.joined) if (keyInSwarm(key, swarm)) return true;
    return false;
  }
}
