import { clamp } from '../clamp';
import { SW_DEFAULTS } from './SW_DEFAULTS';
import { SW_NUMBER_BOUNDS } from './SW_NUMBER_BOUNDS';
import type { SwConfig } from './SwConfig';

/**
 * Reads the service worker's config from its registration URL's search params (written by swConfigToParams); a
 * bad value falls back to its default alone.
 */
export function swConfigFromParams(params: URLSearchParams): SwConfig {
  const out: SwConfig = { ...SW_DEFAULTS };
  for (const key of ['segmentMaxBytes', 'p2pTimeoutMs', 'portWaitMs'] as const) {
    const v = params.get(key);
    if (v !== null && v.trim() !== '' && !Number.isNaN(Number(v))) out[key] = clamp(Number(v), SW_NUMBER_BOUNDS[key]);
  }
  const pattern = params.get('segmentPattern');
  if (pattern !== null) {
    try {
      new RegExp(pattern, 'i');
      out.segmentPattern = pattern;
    } catch {
      // keep the default
    }
  }
  const debug = params.get('debug');
  if (debug !== null) out.debug = debug === 'true' || debug === '1' || debug === '';
  return out;
}
