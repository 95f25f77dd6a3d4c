import type { BeaconMetrics } from './beaconRoute';
import { MetricsRegistry, type Counter } from './MetricsRegistry';

/** What the metrics read from the server when rendered. */
export interface ServerMetricsSources {
  peers: () => number;
  swarms: () => number;
  /** Upstream fetches of the hash oracle (0 without one). */
  oracleFetches: () => number;
  /** The STUN responder's counts; null while it runs none. */
  stun: () => Readonly<{ answers: number; overBudget: number; malformed: number }> | null;
}

/** The counters the server moves (the viewers' offload beacons' among them), and the exposition of them all. */
export interface ServerMetrics extends BeaconMetrics {
  peerConnections: Counter;
  joins: Counter;
  leaves: Counter;
  iceAnswers: Counter;
  turnCredentials: Counter;
  /** Labels `reason` (the drop log's) and `via` (tracker, signalling, connection, stun). */
  drops: Counter;
  oracleRequests: Counter;
  /** Label `error`: the oracle's answer (not-allowed, timeout, …). */
  oracleErrors: Counter;
  /** The Prometheus text exposition (format 0.0.4). */
  render(): string;
}

/** The P2P server's metrics, all named `swarmfetch_…`; counters end in `_total` and never go down. */
export function serverMetrics(sources: ServerMetricsSources): ServerMetrics {
  const r = new MetricsRegistry();
  r.sampled('swarmfetch_peers', 'Peers connected to signalling now.', 'gauge', sources.peers);
  r.sampled('swarmfetch_swarms', 'Swarms with at least one peer now.', 'gauge', sources.swarms);
  const metrics: ServerMetrics = {
    peerConnections: r.counter('swarmfetch_peer_connections_total', 'Peers that connected to signalling.'),
    joins: r.counter('swarmfetch_tracker_joins_total', 'Swarm joins answered.'),
    leaves: r.counter('swarmfetch_tracker_leaves_total', 'Swarm leaves answered.'),
    iceAnswers: r.counter('swarmfetch_tracker_ice_answers_total', 'ICE server answers handed to peers (POST /ice).'),
    turnCredentials: r.counter('swarmfetch_turn_credentials_total', 'TURN (relay) credentials handed to peers.'),
    drops: r.counter('swarmfetch_drops_total', 'Connections, requests, messages and datagrams dropped, by the drop log\'s reason.', ['reason', 'via']),
    oracleRequests: r.counter('swarmfetch_oracle_requests_total', 'Hash oracle asks answered.'),
    oracleErrors: r.counter('swarmfetch_oracle_errors_total', 'Hash oracle asks answered with an error, by error.', ['error']),
    beacons: r.counter('swarmfetch_beacons_total', 'Viewer offload beacons accepted (POST /beacon).'),
    beaconsRefused: r.counter('swarmfetch_beacons_refused_total', 'Viewer offload beacons refused, by reason (malformed, too-large, forbidden, too-often).', ['reason']),
    viewerHttpBytes: r.counter('swarmfetch_viewer_http_bytes_total', 'Bytes viewers said they got over HTTP (their beacons).'),
    viewerP2pBytes: r.counter('swarmfetch_viewer_p2p_bytes_total', 'Bytes viewers said they got from peers (their beacons).'),
    viewerUploadedBytes: r.counter('swarmfetch_viewer_uploaded_bytes_total', 'Bytes viewers said they uploaded to peers (their beacons).'),
    render: () => r.render(),
  };
  r.sampled('swarmfetch_oracle_fetches_total', 'Segments and ranges the hash oracle fetched from the origin.', 'counter', sources.oracleFetches);
  r.sampled('swarmfetch_stun_answers_total', 'STUN Binding requests answered.', 'counter', () => sources.stun()?.answers ?? 0);
  r.sampled('swarmfetch_stun_drops_total', 'STUN Binding requests dropped over a rate budget.', 'counter', () => sources.stun()?.overBudget ?? 0);
  r.sampled('swarmfetch_stun_malformed_total', 'UDP datagrams dropped as not a STUN Binding request.', 'counter', () => sources.stun()?.malformed ?? 0);
  return metrics;
}
