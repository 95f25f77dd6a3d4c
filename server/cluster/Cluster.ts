import type { Tracker } from '../Tracker';
import { clusterKeys } from './clusterKeys';
import { tokenHash } from './clusterKeys';
import { ClusterPeers } from './ClusterPeers';
import { ClusterTracker } from './ClusterTracker';
import { RedisLink, type RedisState } from './RedisLink';
import { SharedRateBudget } from './SharedRateBudget';
import { SignalRelay, type OutgoingSignal } from './SignalRelay';

/** Deadline of one Redis command: past it the node answers without Redis. */
const REDIS_TIMEOUT_MS = 500;

/** What the cluster needs of the node's own signalling peers. */
export interface LocalPeers {
  /** Sends JSON text to a peer connected here; false when it is not. */
  send(peerId: string, text: string): boolean;
  /** Closes a peer's socket here (another node took it over, or its id is taken). */
  close(peerId: string, reason: 'replaced' | 'id-taken'): void;
}

export interface ClusterOptions {
  redisUrl: string;
  /** Key prefix (several deployments may share a Redis). */
  prefix: string;
  nodeId: string;
  peerTtlMs: number;
  maxSwarmsPerPeer: number;
  /** Tracker requests per second one client may make, over all nodes. */
  maxTrackerRequestsPerSec: number;
  /** The node's own tracker (answers alone while Redis is away). */
  local: Tracker;
  peers: LocalPeers;
  /** A line about Redis (up, down, bad data), never more than a few a second (the drop log's budget). */
  log: (event: string, details: Record<string, string | number>) => void;
}

/** How this node stands in the cluster (for /health). */
export interface ClusterHealth {
  node: string;
  redis: RedisState;
  /** Milliseconds the Redis state has lasted. */
  redisForMs: number;
}

/**
 * One node of a cluster sharing a Redis: peer registry, swarm membership and signalling across nodes. Built by the
 * server when `redisUrl` is set. Redis away is never fatal: the node serves the peers it holds, from its own tracker,
 * and puts its peers back into Redis when it returns (the heartbeat re-registers what a restarted Redis lost; pages
 * re-join their swarms every few seconds).
 */
export class Cluster {
  readonly tracker: ClusterTracker;
  /** A client's tracker request budget over all nodes. */
  readonly rateBudget: SharedRateBudget;
  private readonly link: RedisLink;
  private readonly registry: ClusterPeers;
  private readonly relay: SignalRelay;
  /** This node's peers: id → token hash (what the heartbeat renews). */
  private readonly own = new Map<string, string>();
  /** Each local peer's claim in Redis: whether its socket here may signal peers of other nodes. */
  private readonly claims = new Map<string, Promise<boolean>>();
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(private readonly o: ClusterOptions) {
    const keys = clusterKeys(o.prefix);
    this.link = new RedisLink({ url: o.redisUrl, timeoutMs: REDIS_TIMEOUT_MS, log: (event, details) => o.log(event, { node: o.nodeId, ...details }) });
    const onBadData = (key: string) => o.log('redis-bad-data', { node: o.nodeId, key: key.slice(0, 200) });
    this.registry = new ClusterPeers({ link: this.link, keys, nodeId: o.nodeId, peerTtlMs: o.peerTtlMs, onBadData });
    this.tracker = new ClusterTracker({ local: o.local, link: this.link, keys, maxSwarmsPerPeer: o.maxSwarmsPerPeer });
    this.rateBudget = new SharedRateBudget({ link: this.link, keys, perSec: o.maxTrackerRequestsPerSec });
    this.relay = new SignalRelay({
      link: this.link, keys, nodeId: o.nodeId, peers: this.registry,
      deliver: (id, text) => o.peers.send(id, text),
      whenClaimed: (id) => this.claims.get(id) ?? Promise.resolve(false),
      evict: (id) => o.peers.close(id, 'replaced'),
      onDrop: (reason) => {
        if (reason === 'bad-cluster-message') o.log(reason, { node: o.nodeId });
      },
    });
    this.link.onReady(() => {
      void this.relay.start().catch(() => {});
      void this.beat();
    });
    this.heartbeat = setInterval(() => void this.beat(), Math.max(100, Math.floor(o.peerTtlMs / 3)));
    this.heartbeat.unref();
    this.link.start();
  }

  get nodeId(): string {
    return this.o.nodeId;
  }

  health(now: number = Date.now()): ClusterHealth {
    return { node: this.o.nodeId, redis: this.link.state, redisForMs: Math.max(0, now - this.link.since) };
  }

  /** A peer's socket opened here: its id is claimed in Redis; an id another live node holds with another token is refused. */
  connected(peerId: string, token: string): void {
    this.own.set(peerId, tokenHash(token));
    const claim = this.registry.claim(peerId, token).then((result) => {
      if (result.outcome === 'taken') {
        this.own.delete(peerId);
        this.o.peers.close(peerId, 'id-taken');
        return false;
      }
      if (result.outcome === 'claimed' && result.from !== '') void this.relay.evictFrom(result.from, peerId);
      return true;
    });
    this.claims.set(peerId, claim);
  }

  /** A peer's socket here closed: it leaves its swarms unless it went on at another node. */
  disconnected(peerId: string): void {
    this.own.delete(peerId);
    this.claims.delete(peerId);
    void this.registry.release(peerId).then((released) => {
      // back here meanwhile (a quick reconnect): it keeps its swarms
      if (!this.own.has(peerId)) void this.tracker.remove(peerId, released);
    });
  }

  /** Whether `peerId` is connected to any node with `token`. */
  verify(peerId: string, token: string): Promise<boolean> {
    return this.registry.verify(peerId, token);
  }

  /** A message from a peer here for a peer not connected here. */
  forward(signal: OutgoingSignal): void {
    this.relay.forward(signal);
  }

  /** Leaves the cluster (this node's key deleted: its peers count as gone at once) and closes the Redis links. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    await this.registry.leaveCluster().catch(() => {});
    this.link.close();
  }

  private async beat(): Promise<void> {
    if (this.closed) return;
    await this.registry.refresh(this.own).catch(() => {});
  }
}
