/**
 * swarmfetch — the page side: `createSwarmfetch(config)` registers the service worker, runs the page agent and
 * holds the peer connections. The drop-in `<script src="/swarmfetch.js">` does the same from data attributes.
 */
export { createSwarmfetch } from './createSwarmfetch';
export {
  Swarmfetch,
  type SwarmfetchStats,
  type SwarmfetchEvents,
  type SegmentEvent,
  type IntegrityEvent,
  type SwarmfetchDeps,
} from './Swarmfetch';
export type { PeerStat } from './PeerPool';
export { isSupported, type SupportGlobals } from './isSupported';
export { DEFAULT_CONFIG, type SwarmfetchConfig } from '../core/config';
export { mergeConfig } from '../core/mergeConfig';
export { SwarmError, ERROR_CODES, type SwarmErrorCode } from '../core/SwarmError';
export { PROTOCOL_VERSION } from './protocol';
export { CONTRACT_VERSION } from '../core/contract';
export { INTEGRITY_VERSION, INTEGRITY_FILE_NAME, parseIntegrityManifest, type IntegrityManifest } from '../core/integrity';
