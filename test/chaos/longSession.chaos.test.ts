/**
 * Long sessions (issue 10 §3): a single-page site whose viewer plays 20 streams one after another still shares on
 * the last. Before, a page joined at most 16 swarms and never left one, so from the 17th stream on it silently got
 * no P2P. Each stream here is the demo's 180p VOD under its own URL (/s/<n>/…), so each is its own swarm.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
} from '../e2e/harness';
import { chaosPage } from './kit/chaosSite';
import { stats, waitFor } from './kit/probes';

const STREAMS = 20;
const playlist = (n: number) => `/s/${n}/180p/index.m3u8`;

let browser: Browser;
let site: StaticServer;
let p2p: P2pServer;
const viewers: Viewer[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  p2p = await startP2pServer();
  const page = (n: number) => chaosPage(p2p.url, { playlist: playlist(n), data: { 'peer-join-max-delay-ms': '0' } });
  site = await startStaticServer({
    root: REPO_ROOT,
    files: { '/first.html': page(1), '/last.html': page(STREAMS) },
    headers: { 'Service-Worker-Allowed': '/' },
    rewrite: (path) => path.replace(/^\/s\/\d+\//, '/demo/media/vod/'),
  });
});
afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  await p2p?.stop();
  await site?.stop();
});

it('a page that plays 20 streams one after another still shares on the last', async () => {
  // B watches the last stream from the start and holds its segments
  const b = await newViewer(browser, `${site.url}/last.html`);
  viewers.push(b);
  await waitFor('B to hold segments of the last stream', () => stats(b.page), (s) => (s?.storeSegments ?? 0) >= 10, 60_000);

  // A plays streams 1 … 19, each until its player has asked for a few segments, then the last one
  const a = await newViewer(browser, `${site.url}/first.html`, { initScript: segmentHashesInitScript });
  viewers.push(a);
  await waitForPlayback(a.page, 1, 30_000);
  for (let n = 2; n < STREAMS; n++) {
    const before = (await stats(a.page))!.httpBytes + (await stats(a.page))!.p2pBytes;
    await a.page.evaluate((src) => window.demo.hls.loadSource(src), playlist(n));
    await waitFor(`A to load stream ${n}`, () => stats(a.page), (s) => !!s && s.httpBytes + s.p2pBytes > before, 30_000);
  }
  const beforeLast = (await stats(a.page))!;
  await a.page.evaluate((src) => window.demo.hls.loadSource(src), playlist(STREAMS));
  const s = await waitFor('A to get bytes of the last stream from B', () => stats(a.page), (x) => !!x && x.p2pBytes > beforeLast.p2pBytes + 200_000, 60_000)
    .catch(async (err: Error) => {
      throw new Error(`${err.message}\nA: ${JSON.stringify(await stats(a.page))}\nA console:\n${a.console.slice(-30).join('\n')}`);
    });
  expect(s!.peers).toBeGreaterThanOrEqual(1);
  // every byte A's player got, over all 20 streams, is the origin's
  const origin = await originHashes(join(REPO_ROOT, 'demo/media/vod'), '/s/');
  const hashes = (await readSegmentHashes(a.page)).map((h) => ({ ...h, url: h.url.replace(/\/s\/\d+\//, '/s/') }));
  assertByteExact(hashes, origin, { minSegments: STREAMS });
});

declare global {
  interface Window {
    demo: { hls: { loadSource(src: string): void } };
  }
}
