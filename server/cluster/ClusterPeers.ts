import type { ClusterKeys } from './clusterKeys';
import { formatPeerEntry, parsePeerEntry, tokenHash, tokenMatches } from './clusterKeys';
import type { RedisLink } from './RedisLink';

/** What a claim of a peer id found. */
export type ClaimResult =
  /** The id is this node's now; `from` is the node that held it before with the same token ('' for none). */
  | { outcome: 'claimed'; from: string }
  /** Another live node holds the id with another token: this socket is an impostor (or an id collision). */
  | { outcome: 'taken'; node: string }
  /** Redis is away: the node goes on with what it knows itself. */
  | { outcome: 'unavailable' };

/**
 * Sets `peer:<id>` to this node unless a live node holds it with another token. KEYS: the peer key; ARGV: this node's
 * id, the token hash, the TTL in ms, the node key prefix. Malformed values are overwritten (a stray key).
 */
const CLAIM_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
local from = ''
if cur then
  local node, hash = string.match(cur, '^([%w%._%-]+) (%x+)$')
  if node and hash ~= ARGV[2] and node ~= ARGV[1] and redis.call('EXISTS', ARGV[4] .. node) == 1 then
    return {'taken', node}
  end
  if node and node ~= ARGV[1] then from = node end
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2], 'PX', ARGV[3])
return {'claimed', from}
`;

/** Deletes `peer:<id>` if it still names this node. KEYS: the peer key; ARGV: this node's id. */
const RELEASE_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ' ' then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

export interface ClusterPeersOptions {
  link: Pick<RedisLink, 'run' | 'state'>;
  keys: ClusterKeys;
  nodeId: string;
  /** Lifetime of a peer entry; the heartbeat renews this node's every third of it. */
  peerTtlMs: number;
  /** A malformed value met in Redis. */
  onBadData: (key: string) => void;
}

/**
 * The cluster's peer registry in Redis: which node holds which peer id's signalling socket, and the hash of its token,
 * so that any node can check a tracker request's token and relay signalling to the right node. Entries expire unless
 * their node's heartbeat renews them (`refresh`): a node that dies loses its peers within `peerTtlMs`.
 */
export class ClusterPeers {
  constructor(private readonly o: ClusterPeersOptions) {}

  /** Takes `peerId` for this node (a socket opened here with `token`). */
  async claim(peerId: string, token: string): Promise<ClaimResult> {
    try {
      const reply = await this.o.link.run((r) =>
        r.eval(CLAIM_SCRIPT, {
          keys: [this.o.keys.peer(peerId)],
          arguments: [this.o.nodeId, tokenHash(token), String(this.o.peerTtlMs), this.o.keys.node('')],
        }),
      );
      const [outcome, node] = Array.isArray(reply) ? reply.map(String) : [];
      if (outcome === 'taken') return { outcome: 'taken', node: node ?? '' };
      return { outcome: 'claimed', from: node ?? '' };
    } catch {
      return { outcome: 'unavailable' };
    }
  }

  /** Forgets `peerId` if this node still holds it; false when another node took it over (or Redis is away). */
  async release(peerId: string): Promise<boolean> {
    try {
      return (await this.o.link.run((r) => r.eval(RELEASE_SCRIPT, { keys: [this.o.keys.peer(peerId)], arguments: [this.o.nodeId] }))) === 1;
    } catch {
      return false;
    }
  }

  /** The node holding `peerId`; null when none does (or the entry is malformed). Throws when Redis is away. */
  async locate(peerId: string): Promise<string | null> {
    return (await this.entry(peerId))?.node ?? null;
  }

  /** Whether `peerId` is connected to some node with `token`. False when Redis is away. */
  async verify(peerId: string, token: string): Promise<boolean> {
    try {
      const entry = await this.entry(peerId);
      return entry !== null && tokenMatches(token, entry.tokenHash);
    } catch {
      return false;
    }
  }

  /**
   * The heartbeat: renews this node's key and the entries of the peers it holds; an entry Redis lost (a restart) is
   * put back unless another node holds it now. One round trip (two after a Redis restart). Throws when Redis is away.
   */
  async refresh(local: ReadonlyMap<string, string>): Promise<void> {
    const ttl = this.o.peerTtlMs;
    const ids = [...local.keys()];
    const renewed = await this.o.link.run((r) => {
      const m = r.multi().set(this.o.keys.node(this.o.nodeId), String(Date.now()), { PX: ttl });
      for (const id of ids) m.pExpire(this.o.keys.peer(id), ttl);
      return m.exec();
    });
    const lost = ids.filter((_, i) => Number(renewed[i + 1]) !== 1);
    if (lost.length === 0) return;
    await this.o.link.run((r) => {
      const m = r.multi();
      for (const id of lost) {
        m.set(this.o.keys.peer(id), formatPeerEntry({ node: this.o.nodeId, tokenHash: local.get(id) as string }), { PX: ttl, NX: true });
      }
      return m.exec();
    });
  }

  /**
   * Says this node is gone (its key deleted): its peers' entries then count as free at once (a claim with another
   * token wins, signalling for them fails fast) rather than when their TTL lapses.
   */
  async leaveCluster(): Promise<void> {
    await this.o.link.run((r) => r.del(this.o.keys.node(this.o.nodeId)));
  }

  private async entry(peerId: string): Promise<ReturnType<typeof parsePeerEntry>> {
    const key = this.o.keys.peer(peerId);
    const value = await this.o.link.run((r) => r.get(key));
    if (value === null) return null;
    const entry = parsePeerEntry(value);
    if (!entry) this.o.onBadData(key);
    return entry;
  }
}
