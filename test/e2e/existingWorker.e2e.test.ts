/**
 * Issue 5 §3: sites that already have a service worker. The site's worker keeps its own routes (`/hello` answered
 * by the worker, `/app.js` cached) and swarmfetch is added to it — with `importScripts()` (its fetch listener
 * before or after the site's) or as a Workbox route bundled from `swarmfetch/sw` — while the page script is told
 * not to register a worker of its own. Two viewers share segments P2P, byte-exact.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
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
  type RunningServer,
  type Viewer,
} from './harness';
import { classicSiteWorker, existingWorkerPage } from './fixtures/existingWorkerSite';
import { eventLog, swarmLog } from '../chaos/kit/probes';

interface Stats { httpBytes: number; p2pBytes: number; uploadedBytes: number; storeSegments: number; peers: number; active: boolean }
const stats = (page: Page) => page.evaluate('window.swarmfetch ? window.swarmfetch.stats() : null') as Promise<Stats | null>;

async function waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The Workbox fixture worker, bundled as a site would: `swarmfetch/sw` resolved through package.json exports. */
async function bundleWorkboxWorker(): Promise<string> {
  const out = await build({
    entryPoints: [join(REPO_ROOT, 'test/e2e/fixtures/workboxSiteWorker.js')],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    format: 'iife',
    target: 'es2022',
    write: false,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

let browser: Browser;
let p2p: RunningServer;
let origin: Map<string, string>;
const viewers: Viewer[] = [];

beforeAll(async () => {
  [browser, p2p, origin] = await Promise.all([
    launchBrowser(),
    startP2pServer(),
    originHashes(join(REPO_ROOT, 'demo/media/vod'), '/demo/media/vod/'),
  ]);
});
afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  await p2p?.stop();
});

const cases: Array<[string, () => Promise<string>]> = [
  ['importScripts, swarmfetch enabled before the site\'s fetch listener', async () => classicSiteWorker('after')],
  ['importScripts, the site\'s fetch listener first, handing over with respond(event)', async () => classicSiteWorker('before')],
  ['a Workbox route (registerRoute(matcher, handler)) beside a CacheFirst route', bundleWorkboxWorker],
];

describe.each(cases)('a site worker with swarmfetch added: %s', (_name, siteWorker) => {
  it('keeps the site\'s routes, and the second viewer gets most segments from the first, byte-exact', async () => {
    const site = await startStaticServer({
      root: REPO_ROOT,
      files: { '/index.html': existingWorkerPage(p2p.url), '/site-sw.js': await siteWorker(), '/app.js': 'window.app = 1;' },
    });
    try {
      const open = async () => {
        const v = await newViewer(browser, `${site.url}/index.html`, { initScript: [segmentHashesInitScript, eventLog] });
        viewers.push(v);
        await v.page.waitForFunction('!!navigator.serviceWorker.controller', null, { timeout: 15_000 });
        return v;
      };
      const a = await open();
      // the site's own routes, through its worker: a synthetic answer, and a cache-first script (one origin hit)
      expect(await a.page.evaluate("fetch('/hello').then((r) => r.text())")).toBe('hello from the site worker');
      await a.page.evaluate("fetch('/app.js').then((r) => r.text())");
      // (Workbox puts into the cache after answering: wait for the entry, then ask again)
      await a.page.waitForFunction("caches.match('/app.js').then((r) => !!r)", null, { timeout: 5_000 });
      expect(await a.page.evaluate("fetch('/app.js').then((r) => r.text())")).toBe('window.app = 1;');
      expect(site.requests.filter((r) => r === 'GET /app.js')).toHaveLength(1);

      await waitFor('viewer A to hold segments', () => stats(a.page), (s) => !!s && s.active && s.storeSegments >= 8);
      const b = await open();
      await waitForPlayback(b.page, 10, 60_000);
      const [sa, sb] = [await stats(a.page), await stats(b.page)];
      const share = sb!.p2pBytes / (sb!.p2pBytes + sb!.httpBytes);
      // "most": of the segments B asked once its peer connection was open. Before it, they go to HTTP by design (its
      // joins wait for its first segment, JoinGate), and on loopback hls.js asks the whole 60 s VOD within 1–2 s: on a
      // loaded machine (CI) its first 8–18 of 30 before the connection, 38 % of its bytes from A in all.
      const log = await swarmLog(b.page);
      const connectedAt = log.find((e) => e.type === 'peer' && e.state === 'connected')?.at;
      expect(connectedAt, 'B connected to A').toBeDefined();
      const asked = log.filter((e) => e.type === 'segment' && e.at - (e.ms ?? 0) >= connectedAt!);
      const fromPeer = asked.filter((e) => e.source === 'p2p');
      console.log(`${_name}: viewer B p2p ${sb!.p2pBytes} B, http ${sb!.httpBytes} B, share ${(100 * share).toFixed(1)} %; connected at ${connectedAt} ms, then ${fromPeer.length} of ${asked.length} segments from A; the others: ${JSON.stringify(asked.filter((e) => e.source !== 'p2p').map((e) => [e.at, e.ms, e.url?.replace(/^.*\//, ''), e.source, e.fallback]))}`);
      expect(sb!.active).toBe(true);
      expect(asked.length, 'segments B asked once connected').toBeGreaterThanOrEqual(5);
      // not all: A may not hold the last ones yet (seen under load: seg_029 over HTTP, 26–28 of 27–29 from A)
      expect(fromPeer.length / asked.length).toBeGreaterThanOrEqual(0.85);
      expect(sa!.uploadedBytes).toBeGreaterThan(0);
      expect(await b.page.evaluate("fetch('/hello').then((r) => r.text())")).toBe('hello from the site worker');

      assertByteExact(await readSegmentHashes(a.page), origin, { minSegments: 6 });
      assertByteExact(await readSegmentHashes(b.page), origin, { minSegments: 4 });
      for (const v of [a, b]) {
        expect(await v.page.evaluate('window.demo.errors.filter((e) => e.fatal)')).toEqual([]);
        expect(v.errors).toEqual([]);
      }
    } finally {
      for (const v of viewers.splice(0)) await v.close();
      await site.stop();
    }
  });
});
