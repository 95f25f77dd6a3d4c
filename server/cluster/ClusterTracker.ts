import type { Tracker, TrackerStats } from '../Tracker';
import type { ClusterKeys } from './clusterKeys';
import { LuaScript } from './LuaScript';
import type { RedisLink } from './RedisLink';

/** A swarm's key lives this long after its latest join (a swarm nobody joins any more goes away by itself). */
export const SWARM_TTL_MS = 10 * 60_000;
/** Members drawn per wanted peer, so that dead entries weeded out still leave enough. */
const OVERDRAW = 2;

/**
 * One join in one round trip. KEYS: the swarm, the peer's swarms. ARGV: peer id, swarm id, now (ms), key TTL (ms),
 * members to draw, most swarms per peer, and the key prefixes of peers, nodes and swarms. Draws members at random,
 * adds the peer (both ways), takes it out of its least recently joined swarms past the bound, and answers the drawn
 * members whose entry names a live node; members without one (gone, or a malformed entry) are removed. (It reads
 * keys it is not given: fine on one Redis, not on Redis Cluster — where swarms would be sharded by hash tag instead.)
 */
const JOIN = new LuaScript(`
local drawn = {}
if tonumber(ARGV[5]) > 0 then drawn = redis.call('ZRANDMEMBER', KEYS[1], ARGV[5]) end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[6])
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #old, 2 do redis.call('ZREM', ARGV[9] .. old[i], ARGV[1]) end
end
local alive, nodes = {}, {}
for _, id in ipairs(drawn) do
  if id ~= ARGV[1] then
    local entry = redis.call('GET', ARGV[7] .. id)
    local node = entry and string.match(entry, '^([%w%._%-]+) %x+$')
    local up = false
    if node then
      up = nodes[node]
      if up == nil then
        up = redis.call('EXISTS', ARGV[8] .. node) == 1
        nodes[node] = up
      end
    end
    if up then alive[#alive + 1] = id else redis.call('ZREM', KEYS[1], id) end
  end
end
return alive
`);

export interface ClusterTrackerOptions {
  /** This node's own bookkeeping: checks every request, and answers alone while Redis is away. */
  local: Tracker;
  link: Pick<RedisLink, 'run' | 'state'>;
  keys: ClusterKeys;
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
    const reply = await this.o.link.run((r) =>
      JOIN.run(r, [k.swarm(swarm), k.swarmsOf(peerId)], [
        peerId, swarm, String(this.now()), String(SWARM_TTL_MS), String(count === 0 ? 0 : count * OVERDRAW + 1),
        String(this.o.maxSwarmsPerPeer), k.peer(''), k.node(''), k.swarm(''),
      ]),
    );
    return (Array.isArray(reply) ? reply.map(String) : []).slice(0, count);
  }
}
