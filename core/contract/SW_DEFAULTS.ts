import { DEFAULT_SEGMENT_PATTERN } from './DEFAULT_SEGMENT_PATTERN';
import type { SwConfig } from './SwConfig';

/** The service worker's options when its registration URL does not say otherwise. */
export const SW_DEFAULTS: Readonly<SwConfig> = Object.freeze({
  segmentPattern: DEFAULT_SEGMENT_PATTERN,
  segmentMaxBytes: 32 * 1024 * 1024,
  p2pTimeoutMs: 2000,
  portWaitMs: 150,
  debug: false,
});
