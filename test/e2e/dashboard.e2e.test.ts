/**
 * Issue 5 §4: the demo's live dashboard renders real figures. For each demo page (HLS, DASH, MP4: their media is in
 * the repository; `npm run media` regenerates it) two viewers play; the second viewer's dashboard must show P2P
 * bytes, a peer row with bytes, peer-sourced cells in the segment strip, a drawn chart and the store's fill. A page
 * whose media is missing fails (it used to be skipped without a word). A screenshot of each dashboard is saved
 * under test-results/ for people to look at.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, launchBrowser, newViewer, startDemo, waitForPlayback, type DemoServer, type Viewer } from './harness';

const PAGES = [
  // minStored: what viewer A holds before B arrives (segments, or pieces of the one MP4 file).
  // minShare: B's P2P share (stats) when its dashboard shows P2P delivery. Measured: hls 85–99 %; dash 50–79 % when
  // it joined after its start (then 17 % once in CI), 71–80 % since it joins at once (2 of 7 pieces over HTTP, under
  // 2 CPU hogs); mp4 22 % before prepare(), 100 % since. Each threshold is well above the single byte the old
  // `p2pBytes > 0` accepted.
  { name: 'hls', path: '/', media: 'demo/media/vod/master.m3u8', minStored: 6, minShare: 0.4 },
  { name: 'dash', path: '/dash', media: 'demo/media/dash/manifest.mpd', minStored: 4, minShare: 0.3 },
  // the MP4 page joins the file's swarm at load (swarmfetch.prepare) and sets src once a first peer is up, at most
  // 1.5 s by default: the browser reads the whole file ahead at once, so what it reads before the peer connection is
  // up comes over HTTP. Before prepare() the swarm was joined only at the first request, so the wait never saw a
  // peer and B's pieces raced its connection (CI: all three over HTTP, the peer up 90 ms after the first). On a
  // loaded machine a connection can take longer than 1.5 s; B waits up to 6 s here.
  { name: 'mp4', path: '/mp4?peerWaitMs=6000', media: 'demo/media/mp4/video.mp4', minStored: 1, minShare: 0.5 },
];

const SHOTS = join(REPO_ROOT, 'test-results');

/** What the dashboard shows, read from its DOM and canvas. */
interface Dashboard {
  p2pText: string;
  share: string;
  peerRows: Array<{ id: string; received: string; sent: string }>;
  strip: Record<string, number>;
  store: string;
  storeFillPct: number;
  /** Canvas pixels in the P2P colour, and in the HTTP colour. */
  chartP2pPixels: number;
  chartHttpPixels: number;
}

const READ_DASHBOARD = `(() => {
  const text = (id) => (document.getElementById(id) || {}).textContent || '';
  const strip = {};
  for (const c of document.querySelectorAll('#strip .cell')) {
    const k = [...c.classList].find((n) => n.startsWith('src-')).slice(4);
    strip[k] = (strip[k] || 0) + 1;
  }
  const canvas = document.getElementById('chart');
  const img = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let p2p = 0, http = 0;
  for (let i = 0; i < img.length; i += 4) {
    const [r, g, b] = [img[i], img[i + 1], img[i + 2]];
    if (Math.abs(r - 0x16) < 12 && Math.abs(g - 0xa3) < 12 && Math.abs(b - 0x4a) < 12) p2p++;
    if (Math.abs(r - 0xa3) < 8 && Math.abs(g - 0xac) < 8 && Math.abs(b - 0xb9) < 8) http++;
  }
  const bar = document.getElementById('store-bar');
  return {
    p2pText: text('p2p'), share: text('share'),
    peerRows: [...document.querySelectorAll('#peer-rows tr')].map((tr) => {
      const [id, received, sent] = [...tr.children].map((td) => td.textContent);
      return { id, received, sent };
    }),
    strip, store: text('store'),
    storeFillPct: bar.parentElement.clientWidth ? (100 * bar.clientWidth) / bar.parentElement.clientWidth : 0,
    chartP2pPixels: p2p, chartHttpPixels: http,
  };
})()`;
const readDashboard = (page: Page) => page.evaluate(READ_DASHBOARD) as Promise<Dashboard>;
const stats = (page: Page) =>
  page.evaluate('window.swarmfetch ? window.swarmfetch.stats() : null') as Promise<{ p2pBytes: number; httpBytes: number; storeSegments: number } | null>;

/** A byte figure as the dashboard prints it ("1.5 MiB", "320.0 KiB", "12 B"), in bytes. */
function parseBytes(text: string): number {
  const m = /^([\d.]+) (B|KiB|MiB)$/.exec(text.trim());
  if (!m) return NaN;
  return Number(m[1]) * ({ B: 1, KiB: 1024, MiB: 1024 * 1024 } as const)[m[2] as 'B' | 'KiB' | 'MiB'];
}

async function waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let browser: Browser;
let demo: DemoServer;
const viewers: Viewer[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [browser, demo] = await Promise.all([launchBrowser(), startDemo()]);
});
afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  await demo?.stop();
});

/** Records the page's swarmfetch events (peers, segments with their source and fallback, errors), printed when a test fails. */
const eventLog = `(() => {
  window.__log = [];
  const t0 = performance.now();
  const at = () => Math.round(performance.now() - t0);
  const t = setInterval(() => {
    if (!window.swarmfetch) return;
    clearInterval(t);
    window.swarmfetch.on('peer', (e) => window.__log.push([at(), 'peer', e.peerId.slice(0, 8), e.state, e.reason || '']));
    window.swarmfetch.on('ready', () => window.__log.push([at(), 'ready']));
    window.swarmfetch.on('segment', (e) => window.__log.push([at(), 'segment', e.url.replace(/^.*\\//, ''), e.source, e.fallback || '', Math.round(e.ms)]));
    window.swarmfetch.on('error', (e) => window.__log.push([at(), 'error', e.code, String(e.message).slice(0, 160)]));
  }, 5);
})();`;

describe.each(PAGES)('the $name demo page', ({ name, path, media, minStored, minShare }) => {
  it('shows the second viewer real P2P figures: bytes, peers, segment sources, chart, store', async () => {
    expect(existsSync(join(REPO_ROOT, media)), `${media} is missing: \`npm run media\` makes the demo's media`).toBe(true);
    const viewport = { width: 1280, height: 860 };
    const open = async () => {
      const v = await newViewer(browser, `${demo.url}${path}`, { contextOptions: { viewport }, initScript: eventLog });
      viewers.push(v);
      return v;
    };
    try {
      const a = await open();
      await waitFor('viewer A to hold segments', () => stats(a.page), (s) => !!s && s.storeSegments >= minStored);
      const b = await open();
      await waitForPlayback(b.page, 6, 60_000);
      const shown = await waitFor(
        'viewer B\'s dashboard to show P2P delivery',
        () => readDashboard(b.page),
        (d) => parseBytes(d.p2pText) > 0 && d.peerRows.length >= 1 && (d.strip.p2p ?? 0) >= 1 && d.chartP2pPixels > 200,
      );
      const file = join(SHOTS, `dashboard-${name}.png`);
      await b.page.screenshot({ path: file, fullPage: true });
      console.log(`${name}: ${file}\n${JSON.stringify(shown)}`);

      // the figures are the client's: P2P bytes, a peer that sent us bytes, the strip, the store's fill
      const s = (await stats(b.page))!;
      const share = s.p2pBytes / (s.p2pBytes + s.httpBytes);
      expect(share, `${name}: B's P2P share ${(100 * share).toFixed(1)} %`).toBeGreaterThanOrEqual(minShare);
      expect(shown.peerRows[0]!.id).toMatch(/^[\w-]{1,8}$/);
      expect(Math.max(...shown.peerRows.map((r) => parseBytes(r.received)))).toBeGreaterThan(0);
      expect(shown.share).toMatch(/^\d+ %$/);
      expect(shown.store).toMatch(/ of 64\.0 MiB · \d+ segments$/);
      expect(shown.storeFillPct).toBeGreaterThan(0);
      expect(shown.chartP2pPixels).toBeGreaterThan(200);
      // the first viewer's dashboard counts what it sent
      const fromA = await readDashboard(a.page);
      expect(Math.max(...fromA.peerRows.map((r) => parseBytes(r.sent)))).toBeGreaterThan(0);
      for (const v of [a, b]) expect(v.errors).toEqual([]);
    } catch (err) {
      // for diagnosis: what each viewer's swarmfetch saw (seen in CI: B's pieces all over HTTP with a peer connected)
      for (const [i, v] of viewers.entries()) {
        console.log(`${name} viewer ${'AB'[i] ?? i} events: ${await v.page.evaluate('JSON.stringify(window.__log || [])').catch(() => '?')}`);
      }
      throw err;
    } finally {
      for (const v of viewers.splice(0)) await v.close();
    }
  });
});
