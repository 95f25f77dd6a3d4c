/// <reference lib="webworker" />
/**
 * swarmfetch/sw — the service worker side.
 *
 *   import { enableSwarmfetch } from 'swarmfetch/sw';
 *   enableSwarmfetch();             // own fetch + message listeners
 *
 * or, in a Workbox worker:
 *
 *   const swarmfetch = swarmfetchRoute();
 *   registerRoute(swarmfetch.matcher, swarmfetch.handler);
 */
import { SwarmfetchWorker } from './SwarmfetchWorker';
import type { SwConfig } from '../core/contract';

export { SwarmfetchWorker } from './SwarmfetchWorker';
export { swarmfetchRoute, type SwarmfetchRoute } from './swarmfetchRoute';
export { SegmentHandler } from './SegmentHandler';
export { AgentPorts } from './AgentPorts';
export { swConfigFromParams, SW_DEFAULTS, DEFAULT_SEGMENT_PATTERN, CONTRACT_VERSION, type SwConfig } from '../core/contract';
export { isSegmentRequest } from '../core/isSegmentRequest';
export { SwarmError, type SwarmErrorCode } from '../core/SwarmError';

/** Starts swarmfetch in this service worker: intercepts media segments, passes everything else through. */
export function enableSwarmfetch(config: Partial<SwConfig> = {}): SwarmfetchWorker {
  return new SwarmfetchWorker(config).enable();
}
