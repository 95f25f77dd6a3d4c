/**
 * What the integrity chaos tests read from a demo viewer: swarmfetch's stats and events, rebuffers, and the
 * segments its store holds (read back through the service worker, so they land in the byte-exact record).
 */
import type { Page } from 'playwright-core';

export interface ViewerStats {
  httpBytes: number;
  p2pBytes: number;
  peers: number;
  storeSegments: number;
  verifiedSegments: number;
  integrityMismatches: number;
  bannedPeers: number;
}

/** Init script: swarmfetch's events, and the player's rebuffers (`waiting` after the first `playing`). */
export const viewerProbeInitScript = `(() => {
  const log = window.__probe = { events: [], firstPlayingMs: null, rebuffers: 0, playing: false };
  document.addEventListener('playing', () => {
    if (log.firstPlayingMs === null) log.firstPlayingMs = performance.now();
    log.playing = true;
  }, true);
  document.addEventListener('waiting', () => {
    if (log.firstPlayingMs !== null && log.playing) log.rebuffers++;
    log.playing = false;
  }, true);
  const t = setInterval(() => {
    if (!window.swarmfetch) return;
    clearInterval(t);
    window.swarmfetch.on('peer', (e) => log.events.push({ type: 'peer', state: e.state, reason: e.reason || '' }));
    window.swarmfetch.on('integrity', (e) => log.events.push({ type: 'integrity', code: e.code, key: e.key }));
    window.swarmfetch.on('error', (e) => log.events.push({ type: 'error', code: e.code }));
    window.swarmfetch.on('segment', (e) => log.events.push({ type: 'segment', source: e.source, verified: e.verified, bytes: e.bytes }));
  }, 5);
})();`;

export interface ProbeLog {
  events: Array<{ type: string; state?: string; reason?: string; code?: string; key?: string; source?: string; verified?: boolean; bytes?: number }>;
  firstPlayingMs: number | null;
  rebuffers: number;
}

export const readProbe = (page: Page) => page.evaluate('window.__probe') as Promise<ProbeLog>;
export const readStats = (page: Page) => page.evaluate('window.swarmfetch.stats()') as Promise<ViewerStats>;

/**
 * Fetches every given segment URL from the page (through its service worker, so a stored segment is answered from
 * the store) and returns how many came from the store. The page's segment-hash recorder sees each body.
 */
export async function readBackSegments(page: Page, urls: string[]): Promise<{ fromStore: number; total: number }> {
  return (await page.evaluate(`(async (urls) => {
    let fromStore = 0;
    for (const u of urls) {
      const res = await fetch(u);
      await res.arrayBuffer();
      if (res.headers.get('x-swarmfetch-source') === 'store') fromStore++;
    }
    return { fromStore, total: urls.length };
  })(${JSON.stringify(urls)})`)) as { fromStore: number; total: number };
}
