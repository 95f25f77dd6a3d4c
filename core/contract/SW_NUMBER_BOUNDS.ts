/** Inclusive bounds the worker's numeric options are clamped into, wherever they come from. */
export const SW_NUMBER_BOUNDS = {
  segmentMaxBytes: [64 * 1024, 256 * 1024 * 1024],
  p2pTimeoutMs: [50, 30_000],
  portWaitMs: [0, 5_000],
} as const;
