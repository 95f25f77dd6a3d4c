import { SW_CONFIG_KEYS } from './SW_CONFIG_KEYS';
import { SW_DEFAULTS } from './SW_DEFAULTS';
import type { SwConfig } from './SwConfig';

/**
 * Writes the service worker's part of a config into URL search params for its registration URL (non-default
 * values only); the worker reads them back with swConfigFromParams.
 */
export function swConfigToParams(config: Readonly<SwConfig>): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of SW_CONFIG_KEYS) {
    if (config[key] !== SW_DEFAULTS[key]) params.set(key, String(config[key]));
  }
  return params;
}
