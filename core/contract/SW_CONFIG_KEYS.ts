/** Keys the service worker needs; they travel in its registration URL so they survive worker restarts. */
export const SW_CONFIG_KEYS = ['segmentPattern', 'segmentMaxBytes', 'p2pTimeoutMs', 'portWaitMs', 'debug'] as const;
