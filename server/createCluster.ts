import { randomUUID } from 'node:crypto';
import { Cluster } from './cluster/Cluster';
import type { DropLog } from './dropLog';
import { jsonLogLine } from './jsonLogLine';
import type { PeerRegistry } from './PeerRegistry';
import type { SwarmServerOptions } from './SwarmServerOptions';
import type { Tracker } from './Tracker';

/**
 * This node of the cluster sharing `config.redisUrl` (see Cluster), over the node's own `tracker` and `peers`: a
 * peer whose id another node holds is told ID-TAKEN and closed; Redis going up or down is a line of the log (in its
 * format), anything else the cluster reports is a drop (`via: cluster`).
 */
export function createCluster(
  config: Readonly<SwarmServerOptions>, tracker: Tracker, peers: PeerRegistry, drop: DropLog,
): Cluster {
  return new Cluster({
    redisUrl: config.redisUrl, prefix: config.redisPrefix, nodeId: config.nodeId || randomUUID(), peerTtlMs: config.peerTtlMs,
    maxSwarmsPerPeer: config.maxSwarmsPerPeer, maxTrackerRequestsPerSec: config.maxTrackerRequestsPerSec, local: tracker,
    peers: {
      send: (id, text) => peers.send(id, text),
      close: (id, reason) => {
        if (reason === 'id-taken') peers.send(id, JSON.stringify({ type: 'ID-TAKEN', payload: { msg: 'ID is taken' } }));
        peers.close(id, 1000, reason);
      },
    },
    log: (event, details) => {
      if (event === 'redis-up' || event === 'redis-down') clusterLine(config, event, details);
      else drop(event, { ...details, via: 'cluster' });
    },
  });
}

/** A line about the node's Redis (up, down), in the log's format. */
function clusterLine(config: Readonly<SwarmServerOptions>, event: string, details: Record<string, string | number>): void {
  try {
    config.log(
      config.logFormat === 'json'
        ? jsonLogLine(event === 'redis-down' ? 'warn' : 'info', event, details)
        : `swarmfetch server: ${event} ${Object.entries(details).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    );
  } catch {
    // a broken log must not break the server
  }
}
