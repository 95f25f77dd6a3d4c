import { RULES } from './model';
import type { SimCounts } from './SwarmSim';

/**
 * Redis commands of each server event, read from server/cluster/ (MULTI and EXEC counted as commands, as Redis's
 * INFO commandstats does; a script counts once, its inner calls apart in `scriptCalls`).
 */
export const REDIS_COST = Object.freeze({
  /**
   * ClusterTracker.joinRedis: one EVALSHA (one round trip) running ZRANDMEMBER ZADD PEXPIRE ZADD PEXPIRE ZCARD inside
   * (Redis's commandstats counts the inner calls too).
   */
  join: 7,
  /** …inside the same script, when the draw was not empty: a GET per drawn member (~10 kept of ~21 drawn) and an EXISTS per node. */
  joinAlive: 11,
  /** SharedRateBudget.take, every tracker request: MULTI INCR PEXPIRE EXEC. */
  rateBudget: 4,
  /** ClusterPeers.claim (a socket opens): one EVAL (GET, EXISTS, SET inside). */
  claim: 1,
  /** A socket closes: ClusterPeers.release (EVAL) + ClusterTracker.remove: ZRANGE, MULTI DEL ZREM(s) EXEC (one swarm here). */
  disconnect: 6,
  /** ClusterPeers.refresh, per node every peerTtlMs / 3: MULTI SET(node) PEXPIRE(per peer) EXEC. */
  heartbeatPerNode: 3,
  heartbeatPerPeer: 1,
  /** SignalRelay: a message for a peer of another node: PUBLISH; the node's lookup (GET) is reused for 1 s per destination. */
  publish: 1,
  lookupsPerLink: 2,
});

export interface NodeLoad {
  nodes: number;
  /** Signalling peers (sockets) per node, on average. */
  peersPerNode: number;
  /** Tracker requests per second per node. */
  joinsPerSecPerNode: number;
  /** Signalling messages a node handles per second: received from its peers, delivered to them, PeerJS heartbeats. */
  signallingPerSecPerNode: number;
  /** Redis commands per second for the whole cluster (0 for one node without Redis), and round trips. */
  redisCommandsPerSec: number;
  redisRoundTripsPerSec: number;
  /** Messages per second that cross nodes through Redis pub/sub. */
  relayedPerSec: number;
}

/**
 * The server's load for `nodes` nodes sharing the audience evenly (any node a viewer's, at random), from what a run
 * counted: per-node tracker and signalling rates, and the shared Redis's commands. Pure arithmetic.
 */
export function serverLoad(c: SimCounts, nodes: number): NodeLoad {
  const s = c.windowSec;
  const cross = nodes > 1 ? (nodes - 1) / nodes : 0;
  const links = c.dials - c.dialsRefused; // answered dials: both ends signalled through their nodes
  const heartbeats = c.viewerSeconds / (RULES.peerjsHeartbeatMs / 1000);
  // every relayed message is received by its sender's node and delivered by its receiver's: two handlings
  const signalling = (2 * c.signallingMessages + heartbeats) / s / nodes;
  const relayed = (c.signallingMessages * cross) / s;
  let commands = 0;
  let trips = 0;
  if (nodes > 1) {
    const beatsPerNodePerSec = 1000 / (RULES.peerTtlMs / 3);
    commands =
      (c.trackerJoins * (REDIS_COST.join + REDIS_COST.rateBudget) + c.trackerJoinsWithPeers * REDIS_COST.joinAlive) / s +
      (c.connects * REDIS_COST.claim + c.disconnects * REDIS_COST.disconnect) / s +
      nodes * beatsPerNodePerSec * REDIS_COST.heartbeatPerNode + (c.meanViewers * beatsPerNodePerSec * REDIS_COST.heartbeatPerPeer) +
      relayed * REDIS_COST.publish + ((links + c.dialsRefused / 2) * cross * REDIS_COST.lookupsPerLink) / s;
    trips =
      (c.trackerJoins * 2) / s + (c.connects + c.disconnects * 3) / s + nodes * beatsPerNodePerSec +
      relayed + ((links + c.dialsRefused / 2) * cross * REDIS_COST.lookupsPerLink) / s;
  }
  return {
    nodes,
    peersPerNode: c.meanViewers / nodes,
    joinsPerSecPerNode: c.trackerJoins / s / nodes,
    signallingPerSecPerNode: signalling,
    redisCommandsPerSec: commands,
    redisRoundTripsPerSec: trips,
    relayedPerSec: relayed,
  };
}
