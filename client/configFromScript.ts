import type { SwarmfetchConfig } from '../core/config';

/** Attribute names that differ from config keys. */
const ALIASES: Record<string, keyof SwarmfetchConfig> = {
  server: 'serverUrl', sw: 'swUrl', scope: 'swScope', integrity: 'integrityUrl', p2p: 'p2pEnabled',
};

/**
 * Reads options from the drop-in tag's data attributes: `data-server` (one P2P server, or several comma-separated),
 * `data-sw`, `data-scope`, `data-integrity`,
 * `data-p2p` (`"off"`: P2P waits for setP2pEnabled(true)), and any config
 * key in kebab case (`data-store-max-bytes="33554432"`, `data-ice-servers='[{"urls":"stun:…"}]'`).
 * Values stay strings; mergeConfig validates them.
 */
export function configFromScript(dataset: DOMStringMap): Partial<Record<keyof SwarmfetchConfig, unknown>> {
  const out: Partial<Record<keyof SwarmfetchConfig, unknown>> = {};
  for (const [name, value] of Object.entries(dataset)) {
    if (value === undefined) continue;
    const key = ALIASES[name] ?? (name as keyof SwarmfetchConfig);
    if (key === 'iceServers') {
      try {
        out.iceServers = JSON.parse(value);
      } catch {
        out.iceServers = value; // mergeConfig reports it
      }
    } else out[key] = value;
  }
  return out;
}
