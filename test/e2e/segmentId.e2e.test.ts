/**
 * Issue 12 §3, the segment-id hook, in real Chromium against the built bundles: a site whose segment URLs carry a
 * per-viewer token in the path (`/tok-<viewer>/demo/media/vod/…`, every token serving the same demo media). With
 * `data-segment-id-from="/demo/media/"` on the drop-in tag two viewers share segments (B gets ≥ 50 % of its bytes
 * from A), every byte the players got is the origin's, and each checked peer bytes against the integrity manifest
 * of its own token's directory; without the attribute the two never share a byte.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REPO_ROOT,
  assertByteExact,
  launchBrowser,
  newViewer,
  originHashes,
  readSegmentHashes,
  segmentHashesInitScript,
  startP2pServer,
  startStaticServer,
  waitForPlayback,
  type P2pServer,
  type StaticServer,
  type Viewer,
} from './harness';

interface Stats {
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  peers: number;
  storeSegments: number;
  verifiedBy: { playlist: number; manifest: number; oracle: number };
}

/** A page of the site: the demo's VOD stream under the viewer's token (`?tok=`), the drop-in with `attributes`. */
function sitePage(p2pServerUrl: string, attributes: string): string {
  return `<!doctype html><meta charset="utf-8"><title>tokenised site</title>
<video id="video" muted autoplay playsinline></video>
<script src="/dist/swarmfetch.js" data-server="${p2pServerUrl}" data-sw="/dist/swarmfetch-sw.js" data-scope="/" ${attributes}></script>
<script src="/node_modules/hls.js/dist/hls.min.js"></script>
<script>
  const video = document.getElementById('video');
  const hls = new Hls();
  const errors = [];
  hls.on(Hls.Events.ERROR, (_e, d) => errors.push({ details: d.details, fatal: d.fatal }));
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
  hls.loadSource('/tok-' + new URLSearchParams(location.search).get('tok') + '/demo/media/vod/master.m3u8');
  hls.attachMedia(video);
  window.demo = { hls, video, errors };
</script>`;
}

const stats = (page: Page) => page.evaluate('window.swarmfetch ? window.swarmfetch.stats() : null') as Promise<Stats | null>;
const playerErrors = (page: Page) => page.evaluate('window.demo.errors.filter((e) => e.fatal)') as Promise<unknown[]>;
/** swarmfetch's error events in the page. */
const errorLog = `(() => {
  window.__swarmErrors = [];
  const t = setInterval(() => {
    if (!window.swarmfetch) return;
    clearInterval(t);
    window.swarmfetch.on('error', (e) => window.__swarmErrors.push(e.code + ': ' + e.message));
  }, 5);
})();`;
const swarmErrors = (page: Page) => page.evaluate('window.__swarmErrors || []') as Promise<string[]>;

async function waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let browser: Browser;
let p2p: P2pServer;
let site: StaticServer;
const viewers: Viewer[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  p2p = await startP2pServer();
  site = await startStaticServer({
    root: REPO_ROOT,
    files: {
      '/with.html': sitePage(p2p.url, 'data-segment-id-from="/demo/media/"'),
      '/without.html': sitePage(p2p.url, ''),
    },
    headers: { 'Service-Worker-Allowed': '/' },
    // every viewer's token serves the same media
    rewrite: (path) => path.replace(/^\/tok-[a-z0-9]+\//, '/'),
  });
});
afterAll(async () => {
  for (const v of viewers) await v.close().catch(() => {});
  await browser?.close();
  await site?.stop();
  await p2p?.stop();
});

/** Opens viewer `tok` on `page`; returns it with the origin hashes of the URLs it plays. */
async function viewer(page: string, tok: string) {
  const v = await newViewer(browser, `${site.url}/${page}?tok=${tok}`, { initScript: [errorLog, segmentHashesInitScript] });
  viewers.push(v);
  return { ...v, origin: await originHashes(join(REPO_ROOT, 'demo/media'), `/tok-${tok}/demo/media/`) };
}

/** Segment requests the origin served for a token. */
const originSegments = (tok: string) => site.requests.filter((r) => r.startsWith(`GET /tok-${tok}/`) && /\.ts$/.test(r)).length;

describe('a site whose segment URLs carry a per-viewer path token', () => {
  it('with data-segment-id-from, the second viewer gets most segment bytes from the first; every byte is the origin\'s', async () => {
    const a = await viewer('with.html', 'alice1');
    await waitFor('viewer A to hold segments', () => stats(a.page), (s) => !!s && s.storeSegments >= 8, 40_000);
    const b = await viewer('with.html', 'bob2');
    await waitForPlayback(b.page, 12, 60_000);
    await waitForPlayback(a.page, 12, 30_000);

    const [sa, sb] = [(await stats(a.page))!, (await stats(b.page))!];
    const share = sb.p2pBytes / (sb.p2pBytes + sb.httpBytes);
    console.log(`tokens, with the attribute: B p2p ${sb.p2pBytes} B, http ${sb.httpBytes} B, share ${(100 * share).toFixed(1)} %; ` +
      `A uploaded ${sa.uploadedBytes} B; B verified ${JSON.stringify(sb.verifiedBy)}; origin served B ${originSegments('bob2')} segments`);
    expect(share).toBeGreaterThanOrEqual(0.5);
    expect(sa.uploadedBytes).toBeGreaterThan(0);
    // B checked what A sent against the integrity manifest in B's own token's directory
    expect(sb.verifiedBy.manifest).toBeGreaterThan(0);
    const [ha, hb] = [await readSegmentHashes(a.page), await readSegmentHashes(b.page)];
    expect(hb.every((h) => h.url.includes('/tok-bob2/'))).toBe(true);
    assertByteExact(ha, a.origin, { minSegments: 6 });
    assertByteExact(hb, b.origin, { minSegments: 6 });
    for (const v of [a, b]) {
      expect(await playerErrors(v.page)).toEqual([]);
      expect(await swarmErrors(v.page)).toEqual([]);
      expect(v.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    }
    await a.close();
    await b.close();
  });

  it('without it, two viewers on different tokens never share a byte (each its own swarm)', async () => {
    const a = await viewer('without.html', 'carol3');
    await waitFor('viewer A to hold segments', () => stats(a.page), (s) => !!s && s.storeSegments >= 6, 40_000);
    const b = await viewer('without.html', 'dave4');
    await waitForPlayback(b.page, 10, 60_000);
    const [sa, sb] = [(await stats(a.page))!, (await stats(b.page))!];
    console.log(`tokens, without the attribute: B p2p ${sb.p2pBytes} B, http ${sb.httpBytes} B, peers ${sb.peers}`);
    expect(sb.httpBytes).toBeGreaterThan(0);
    expect(sb.p2pBytes).toBe(0);
    expect(sa.uploadedBytes).toBe(0);
    expect(sb.peers).toBe(0);
    assertByteExact(await readSegmentHashes(b.page), b.origin, { minSegments: 5 });
    await a.close();
    await b.close();
  });
});
