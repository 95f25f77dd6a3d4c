/**
 * dist/swarmfetch.js — the drop-in page script:
 *   <script src="/swarmfetch.js" data-server="https://p2p.example" data-sw="/swarmfetch-sw.js"></script>
 * (`data-server="https://p2p1.example,https://p2p2.example"`: several P2P servers, see SwarmfetchConfig.serverUrl.)
 * Sets `window.swarmfetch`. Whatever goes wrong, the page keeps playing over HTTP.
 */
import { createSwarmfetch } from './createSwarmfetch';
import type { Swarmfetch } from './Swarmfetch';
import { configFromScript } from './configFromScript';
import type { SwarmfetchConfig } from '../core/config';

declare global {
  interface Window {
    swarmfetch?: Swarmfetch;
  }
}

const script = document.currentScript as HTMLScriptElement | null;
try {
  // strings from attributes: mergeConfig validates and converts them
  window.swarmfetch = createSwarmfetch(configFromScript(script?.dataset ?? {}) as Partial<SwarmfetchConfig>);
} catch (err) {
  console.warn('swarmfetch: not started:', err instanceof Error ? err.message : err);
}
