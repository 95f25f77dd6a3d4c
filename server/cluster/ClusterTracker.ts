import type { Tracker, TrackerStats } from '../Tracker';
import type { ClusterKeys } from './clusterKeys';
import type { ClusterPeers } from './ClusterPeers';
import type { RedisLink } from './RedisLink';

/** A swarm's key lives this long after its latest join (a swarm nobody joins any more goes away by itself). */
export const SWARM_TTL_MS = 10 * 60_000;
/** Members drawn per wanted peer, so that dead entries weeded out still leave enough. */
const OVERDRAW = 2;

export interface ClusterTrackerOptions {
  /** This node's own bookkeeping: checks every request, and answers alone while Redis is away. */
  local: Tracker;
  link: Pick<RedisLink, 'run' | 'state'>;
  keys: ClusterKeys;
  peers: Pick<ClusterPeers, 'alive'>;
  maxSwarmsPerPeer: number;
  now?: () => number;
}

/**
 * The swarm tracker of a cluster: membership lives in Redis (any node answers any join, with members connected to
 * any node), mirrored in this node's own `Tracker`, which answers alone while Redis is away (the node's own peers then
 * still find each other). A member whose node is gone is left out of answers and removed. Joins keep at most
 * `maxSwarmsPerPeer` swarms per peer, in Redis too.
 */
export class ClusterTracker {
  private readonly now: () => number;

  constructor(private readonly o: ClusterTrackerOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Like Tracker.join (same checks, same throws), over the whole cluster while Redis is there. */
  async join(peerId: string, swarm: string, want: number): Promise<string[]> {
    const localAnswer = this.o.local.join(peerId, swarm, want); // validates, throws protocol-violation
    const count = Number.isFinite(want) ? Math.max(0, Math.floor(want)) : 0;
    try {
      return await this.joinRedis(peerId, swarm, count);
    } catch {
      return localAnswer;
    }
  }

  /** Like Tracker.leave, in Redis too (best effort: a lost leave is corrected when the peer's node is gone). */
  async leave(peerId: string, swarm: string): Promise<void> {
    this.o.local.leave(peerId, swarm);
    const k = this.o.keys;
    await this.o.link.run((r) => r.multi().zRem(k.swarm(swarm), peerId).zRem(k.swarmsOf(peerId), swarm).exec()).catch(() => {});
  }

  /**
   * The peer's socket closed and no other node took its id over: it leaves every swarm. (A peer that moved to another
   * node keeps its swarms: only its local bookkeeping here goes.)
   */
  async remove(peerId: string, everywhere: boolean): Promise<void> {
    this.o.local.remove(peerId);
    if (!everywhere) return;
    const k = this.o.keys;
    await this.o.link
      .run(async (r) => {
        const swarms = await r.zRange(k.swarmsOf(peerId), 0, -1);
        const m = r.multi().del(k.swarmsOf(peerId));
        for (const swarm of swarms) m.zRem(k.swarm(swarm), peerId);
        return m.exec();
      })
      .catch(() => {});
  }

  has(peerId: string, swarm: string): boolean {
    return this.o.local.has(peerId, swarm);
  }

  /** This node's own view (the cluster's totals are in Redis, not counted on every request). */
  stats(): TrackerStats {
    return this.o.local.stats();
  }

  private async joinRedis(peerId: string, swarm: string, count: number): Promise<string[]> {
    const k = this.o.keys;
    const now = this.now();
    const [drawn, , , , , swarmCount] = await this.o.link.run((r) =>
      r
        .multi()
        .zRandMemberCount(k.swarm(swarm), count * OVERDRAW + 1)
        .zAdd(k.swarm(swarm), { score: now, value: peerId })
        .pExpire(k.swarm(swarm), SWARM_TTL_MS)
        .zAdd(k.swarmsOf(peerId), { score: now, value: swarm })
        .pExpire(k.swarmsOf(peerId), SWARM_TTL_MS)
        .zCard(k.swarmsOf(peerId))
        .exec(),
    );
    const over = Number(swarmCount) - this.o.maxSwarmsPerPeer;
    if (over > 0) await this.dropOldest(peerId, over);
    const others = (Array.isArray(drawn) ? drawn.map(String) : []).filter((id) => id !== peerId);
    if (count === 0 || others.length === 0) return [];
    const alive = await this.o.peers.alive(others);
    const dead = others.filter((_, i) => !alive[i]);
    if (dead.length > 0) void this.o.link.run((r) => r.zRem(k.swarm(swarm), dead)).catch(() => {});
    return others.filter((_, i) => alive[i]).slice(0, count);
  }

  /** Takes `peerId` out of its `over` least recently joined swarms. */
  private async dropOldest(peerId: string, over: number): Promise<void> {
    const k = this.o.keys;
    const oldest = await this.o.link.run((r) => r.zPopMinCount(k.swarmsOf(peerId), over));
    const swarms = oldest.map((e) => String((e as { value: unknown }).value));
    if (swarms.length > 0) await this.o.link.run((r) => {
      const m = r.multi();
      for (const swarm of swarms) m.zRem(k.swarm(swarm), peerId);
      return m.exec();
    });
  }
}
