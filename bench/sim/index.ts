// The swarm simulator's front door: bench/simulate.mjs bundles this file with esbuild and runs it in node.
export { DEFAULT_OPTIONS, LINE_MIX, RULES, type SimOptions } from './model';
export { REDIS_COST, serverLoad, type NodeLoad } from './serverLoad';
export { PEERS_PER_NODE, summarize, type SimSummary } from './summarize';
export { SwarmSim, type SimCounts } from './SwarmSim';
