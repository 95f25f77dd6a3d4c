import { MAX_KEY_LENGTH } from '../core/contract';
import { SwarmError } from '../core/SwarmError';

/** Longest peer id the tracker accepts (PeerJS ids are UUIDs by default). */
export const MAX_PEER_ID_LENGTH = 128;

export interface TrackerOptions {
  /** Most swarms one peer is in; joining one more drops its least recently joined. @default 32 */
  maxSwarmsPerPeer: number;
  /** Source of randomness in [0, 1), injectable for tests. @default Math.random */
  random: () => number;
}

export interface TrackerStats {
  swarms: number;
  peers: number;
}

/** Members of one swarm: an array for O(1) random access plus each id's index for O(1) removal. */
interface Members {
  ids: string[];
  index: Map<string, number>;
}

/**
 * Which peers are in which swarm. Pure bookkeeping: the server feeds it joins, leaves and disconnects.
 * Empty swarms are deleted; a peer is in at most `maxSwarmsPerPeer` swarms.
 */
export class Tracker {
  private readonly swarms = new Map<string, Members>();
  /** peer id → its swarms, least recently joined first. */
  private readonly peers = new Map<string, Set<string>>();
  private readonly maxSwarmsPerPeer: number;
  private readonly random: () => number;

  constructor(options: Partial<TrackerOptions> = {}) {
    this.maxSwarmsPerPeer = Math.max(1, Math.floor(options.maxSwarmsPerPeer ?? 32));
    this.random = options.random ?? Math.random;
  }

  /**
   * Adds `peerId` to `swarm` (or refreshes it) and returns up to `want` other members, a uniform random sample.
   * Throws `protocol-violation` for an empty or too long peer id or swarm id.
   */
  join(peerId: string, swarm: string, want: number): string[] {
    check('peerId', peerId, MAX_PEER_ID_LENGTH);
    check('swarm', swarm, MAX_KEY_LENGTH);
    const members = this.swarms.get(swarm);
    const count = Number.isFinite(want) ? Math.max(0, Math.floor(want)) : 0;
    const answer = members ? this.sample(members, count, peerId) : [];

    let own = this.peers.get(peerId);
    if (!own) this.peers.set(peerId, (own = new Set()));
    own.delete(swarm); // re-adding moves it to the most recent end
    own.add(swarm);
    if (members) add(members, peerId);
    else this.swarms.set(swarm, { ids: [peerId], index: new Map([[peerId, 0]]) });
    for (const oldest of own) {
      if (own.size <= this.maxSwarmsPerPeer) break;
      this.leave(peerId, oldest);
    }
    return answer;
  }

  /** Removes `peerId` from `swarm`; unknown peers or swarms are ignored. */
  leave(peerId: string, swarm: string): void {
    const own = this.peers.get(peerId);
    if (!own?.delete(swarm)) return;
    if (own.size === 0) this.peers.delete(peerId);
    const members = this.swarms.get(swarm);
    if (!members) return;
    remove(members, peerId);
    if (members.ids.length === 0) this.swarms.delete(swarm);
  }

  /** Removes `peerId` from every swarm (its signalling socket closed). */
  remove(peerId: string): void {
    const own = this.peers.get(peerId);
    if (!own) return;
    for (const swarm of [...own]) this.leave(peerId, swarm);
  }

  /** Whether `peerId` is in `swarm`. */
  has(peerId: string, swarm: string): boolean {
    return this.swarms.get(swarm)?.index.has(peerId) ?? false;
  }

  stats(): TrackerStats {
    return { swarms: this.swarms.size, peers: this.peers.size };
  }

  /** Up to `count` distinct members other than `self`: a partial Fisher–Yates shuffle over virtual indices, O(count). */
  private sample(members: Members, count: number, self: string): string[] {
    const { ids } = members;
    const out: string[] = [];
    const moved = new Map<number, number>(); // position → index of the id now there, where it differs
    for (let i = 0; i < ids.length && out.length < count; i++) {
      const j = i + Math.floor(this.random() * (ids.length - i));
      const picked = moved.get(j) ?? j;
      moved.set(j, moved.get(i) ?? i);
      const id = ids[picked];
      if (id !== undefined && id !== self) out.push(id);
    }
    return out;
  }
}

function check(field: string, value: string, maxLength: number): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new SwarmError('protocol-violation', `${field} must be a string of 1 to ${maxLength} characters`, {
      field,
      length: typeof value === 'string' ? value.length : null,
    });
  }
}

function add(members: Members, id: string): void {
  if (members.index.has(id)) return;
  members.index.set(id, members.ids.length);
  members.ids.push(id);
}

/** Swap-remove: the last id takes the removed one's place. */
function remove(members: Members, id: string): void {
  const at = members.index.get(id);
  if (at === undefined) return;
  const last = members.ids.pop() as string;
  members.index.delete(id);
  if (last !== id) {
    members.ids[at] = last;
    members.index.set(last, at);
  }
}
