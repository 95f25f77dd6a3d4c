import { serverLoad, type NodeLoad } from './serverLoad';
import type { SimCounts } from './SwarmSim';

/** Viewers one node is planned for (the per-node target a colleague's load test measures: see bench/README.md). */
export const PEERS_PER_NODE = 20_000;

export interface SimSummary {
  mode: 'live' | 'vod';
  viewers: number;
  meanViewers: number;
  swarms: number;
  /** What the origin sent, and what it would have sent without swarmfetch, Mbit/s over the window. */
  originMbit: number;
  baselineMbit: number;
  /** 1 − HTTP bytes / played bytes. */
  offload: number;
  /** The most offload possible: 1 − distinct segments' bytes / played bytes (each segment over HTTP once). */
  limit: number;
  offloadOfLimit: number;
  stallShare: number;
  meanOpenLinks: number;
  joinsPerSec: number;
  dialsPerSec: number;
  /** Dials answered, refused, failed: shares of dials. */
  dialOpenShare: number;
  /** The load at ceil(viewers / PEERS_PER_NODE) nodes (at least one; one node has no Redis). */
  load: NodeLoad;
}

export function summarize(c: SimCounts): SimSummary {
  const s = c.windowSec;
  const offload = c.playedBytes > 0 ? 1 - c.httpBytes / c.playedBytes : 0;
  const limit = c.playedBytes > 0 ? 1 - c.uniqueBytes / c.playedBytes : 0;
  const nodes = Math.max(1, Math.ceil(c.meanViewers / PEERS_PER_NODE));
  return {
    mode: c.mode,
    viewers: c.viewers,
    meanViewers: c.meanViewers,
    swarms: c.swarms,
    originMbit: (c.httpBytes * 8) / 1e6 / s,
    baselineMbit: (c.playedBytes * 8) / 1e6 / s,
    offload,
    limit,
    offloadOfLimit: limit > 0 ? offload / limit : 0,
    stallShare: c.watchedMs > 0 ? c.stallMs / c.watchedMs : 0,
    meanOpenLinks: c.meanOpenLinks,
    joinsPerSec: c.trackerJoins / s,
    dialsPerSec: c.dials / s,
    dialOpenShare: c.dials > 0 ? c.dialsOpened / c.dials : 0,
    load: serverLoad(c, nodes),
  };
}
