/**
 * The chaos tests' site: a static server over the repository (bundles, hls.js, demo media) that serves fixture
 * pages made on demand, each with its own swarmfetch data attributes and hls.js config, and a P2P server URL.
 * Pages play one rendition's media playlist directly (no ABR: every viewer is in the same swarm).
 */
import { REPO_ROOT, startStaticServer, type StaticServer } from '../../e2e/harness';

export const MEDIA_DIR = 'demo/media';
/** URL prefix of the media on this site (originHashes(join(REPO_ROOT, MEDIA_DIR), MEDIA_PREFIX)). */
export const MEDIA_PREFIX = '/demo/media/';
export const PLAYLIST_180P = '/demo/media/vod/180p/index.m3u8';

export interface PageOptions {
  /** swarmfetch config as data attributes (kebab case, without `data-`), e.g. { 'upload-max-bytes-per-sec': '65536' }. */
  data?: Record<string, string>;
  /** hls.js config. */
  hls?: Record<string, unknown>;
  /** @default PLAYLIST_180P */
  playlist?: string;
  /** Leave swarmfetch out entirely. */
  noSwarmfetch?: boolean;
  /** No player and no <video>: the test drives the page (swarmfetch then has no buffer to read). */
  noPlayer?: boolean;
}

export interface ChaosSite extends StaticServer {
  /** Adds a fixture page and returns its URL. */
  page(name: string, p2pServerUrl: string, options?: PageOptions): string;
  /** From now on, every media segment (.ts, .m4s) is answered this many ms late (a slow origin); 0: at once (the start). */
  setSegmentDelayMs(ms: number): void;
}

/** `host`: the address to listen on (a network lab's public address, say). @default '127.0.0.1' */
export async function startChaosSite(host?: string): Promise<ChaosSite> {
  const files: Record<string, string> = {};
  let segmentDelayMs = 0;
  const delayMs = (path: string) => (/\.(ts|m4s)$/.test(path) ? segmentDelayMs : 0);
  const server = await startStaticServer({ root: REPO_ROOT, files, headers: { 'Service-Worker-Allowed': '/' }, delayMs, ...(host ? { host } : {}) });
  return {
    ...server,
    setSegmentDelayMs(ms) {
      segmentDelayMs = ms;
    },
    page(name, p2pServerUrl, options = {}) {
      const path = `/chaos-${name}.html`;
      files[path] = chaosPage(p2pServerUrl, options);
      return server.url + path;
    },
  };
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

export function chaosPage(p2pServerUrl: string, options: PageOptions): string {
  const data = Object.entries(options.data ?? {})
    .map(([k, v]) => ` data-${k}="${attr(v)}"`)
    .join('');
  const swarmfetch = options.noSwarmfetch
    ? ''
    : `<script src="/dist/swarmfetch.js" data-server="${attr(p2pServerUrl)}" data-sw="/dist/swarmfetch-sw.js" data-scope="/"${data}></script>`;
  if (options.noPlayer) return `<!doctype html><meta charset="utf-8"><title>chaos</title><link rel="icon" href="data:,">\n${swarmfetch}`;
  return `<!doctype html><meta charset="utf-8"><title>chaos</title><link rel="icon" href="data:,">
<video id="video" muted autoplay playsinline></video>
${swarmfetch}
<script src="/node_modules/hls.js/dist/hls.min.js"></script>
<script>
  const video = document.getElementById('video');
  const hls = new Hls(${JSON.stringify(options.hls ?? {})});
  const errors = [];
  hls.on(Hls.Events.ERROR, (_e, d) => errors.push({ details: d.details, fatal: d.fatal }));
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
  hls.loadSource(${JSON.stringify(options.playlist ?? PLAYLIST_180P)});
  hls.attachMedia(video);
  window.demo = { hls, video, errors };
</script>`;
}
