/**
 * G9 (issue 4): a leeching peer cannot pull more than the seeder's upload cap, and the seeder's store stays under
 * `storeMaxBytes`. The leecher is a page whose swarmfetch takes no part in playing: the test drives its peer link
 * directly and asks the seeder, four requests at a time, for every segment the seeder ever announced (refused or
 * not, evicted or not), over and over.
 * The seeder plays the 360p rendition (~150 KB segments) with a 1 MiB store, so its store overflows many times.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { swarmId } from '../../core/contract';
import { FRAME_MAX_BYTES } from '../../client/protocol';
import {
  REPO_ROOT,
  assertByteExact,
  launchBrowser,
  newViewer,
  originHashes,
  readSegmentHashes,
  segmentHashesInitScript,
  startP2pServer,
  type P2pServer,
  type Viewer,
} from '../e2e/harness';
import { MEDIA_DIR, MEDIA_PREFIX, startChaosSite, type ChaosSite } from './kit/chaosSite';
import { STALL_MAX_MS, eventLog, fatalPlayerErrors, playback, playbackMonitor, stats, waitFor } from './kit/probes';

const CAP_BYTES_PER_SEC = 128 * 1024;
const STORE_MAX_BYTES = 1024 * 1024;
const LEECH_MS = 12_000;
const PLAYLIST = '/demo/media/vod/360p/index.m3u8';

/** Samples the seeder's counters every 100 ms: [page ms, uploadedBytes, storeBytes]. */
const sampler = `(() => {
  const samples = [];
  Object.defineProperty(window, '__samples', { value: samples });
  setInterval(() => {
    if (!window.swarmfetch) return;
    const s = window.swarmfetch.stats();
    samples.push([performance.now(), s.uploadedBytes, s.storeBytes]);
  }, 100);
})();`;

/** In the leecher: join the swarm, then request everything the seeder holds, `parallel` at a time, for `ms`. */
const LEECH = `async ({ swarm, seederId, ms, parallel }) => {
  const sleep = (t) => new Promise((r) => setTimeout(r, t));
  const sf = window.swarmfetch;
  while (!sf.stats().peerId) await sleep(50);
  sf.pool.join(swarm);
  let link;
  for (const t0 = performance.now(); !(link = sf.pool.links.get(seederId)) || !link.isOpen || !link.remoteKeyChars; ) {
    if (performance.now() - t0 > 30000) return { error: 'no link to the seeder' };
    await sleep(50);
  }
  const start = performance.now();
  const out = { got: 0, ok: 0, refused: 0, start, ms: 0 };
  let next = 0;
  // every key the seeder ever announced: a leecher does not forget a key when the seeder refuses it (an honest
  // page's link does, on \`absent\`, so its key list shrank to one and four requests shared that one segment: the
  // leecher then pulled 42 KB/s in one CI run, against a 128 KB/s cap, and the test read that as no push at all)
  const known = new Set();
  const worker = async () => {
    while (performance.now() - start < ms && link.isOpen) {
      // (offersAny visits them all when the test never matches)
      link.offersAny((k) => (known.add(k), false));
      const keys = [...known];
      if (!keys.length) { await sleep(50); continue; }
      try {
        const r = await link.request(keys[next++ % keys.length], 10000);
        out.got += r.body.size;
        out.ok++;
      } catch (e) {
        out.refused++;
        await sleep(50);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  out.ms = performance.now() - start;
  return out;
}`;

let browser: Browser;
let site: ChaosSite;
let p2p: P2pServer;
const viewers: Viewer[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  site = await startChaosSite();
  p2p = await startP2pServer();
});
afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  await p2p?.stop();
  await site?.stop();
});

it('G9: a leecher pulls no more than the seeder\'s upload cap, and the seeder\'s store stays under storeMaxBytes', async () => {
  const seederUrl = site.page('g9-seeder', p2p.url, {
    playlist: PLAYLIST,
    data: { 'upload-max-bytes-per-sec': String(CAP_BYTES_PER_SEC), 'store-max-bytes': String(STORE_MAX_BYTES) },
  });
  const s = await newViewer(browser, seederUrl, { initScript: [eventLog, playbackMonitor, segmentHashesInitScript, sampler] });
  viewers.push(s);
  const seederId = (await waitFor('the seeder to hold segments', () => stats(s.page), (x) => !!x && !!x.peerId && x.storeSegments >= 4, 40_000))!.peerId!;
  const l = await newViewer(browser, site.page('g9-leecher', p2p.url, { noPlayer: true }));
  viewers.push(l);
  const swarm = swarmId(site.url, `${site.url}${PLAYLIST}`)!;
  const leech = (await l.page.evaluate(`(${LEECH})(${JSON.stringify({ swarm, seederId, ms: LEECH_MS, parallel: 4 })})`)) as {
    got: number; ok: number; refused: number; start: number; ms: number; error?: string;
  };
  expect(leech.error).toBeUndefined();

  // the seeder's counters, over the leeching window (both pages share the browser's clock origin only roughly:
  // take the seeder's samples from its first upload on)
  const samples = (await s.page.evaluate('window.__samples')) as Array<[number, number, number]>;
  const firstUpload = samples.findIndex(([, up]) => up > 0);
  const window = samples.slice(Math.max(0, firstUpload - 1));
  let worstExcess = -Infinity;
  for (let i = 0; i < window.length; i++) {
    for (let j = i + 1; j < window.length; j++) {
      const [ti, ui] = window[i]!;
      const [tj, uj] = window[j]!;
      worstExcess = Math.max(worstExcess, uj - ui - (CAP_BYTES_PER_SEC * (tj - ti)) / 1000);
    }
  }
  const [t0, u0] = window[0]!;
  const [t1, u1] = window[window.length - 1]!;
  const rate = ((u1 - u0) * 1000) / (t1 - t0);
  const storePeak = Math.max(...samples.map(([, , st]) => st));
  const st = (await stats(s.page))!;
  const taken = st.httpBytes + st.p2pBytes + st.seedBytes;
  const pb = (await playback(s.page))!;
  console.log(
    `G9: leecher asked for ${leech.ok + leech.refused} segments in ${Math.round(leech.ms)} ms (${leech.ok} served, ${leech.refused} refused), ` +
      `got ${leech.got} B = ${Math.round((leech.got * 1000) / leech.ms)} B/s; seeder uploaded ${u1 - u0} B over ${Math.round(t1 - t0)} ms = ` +
      `${Math.round(rate)} B/s (cap ${CAP_BYTES_PER_SEC} B/s), worst window above cap×time: ${Math.round(worstExcess)} B ` +
      `(allowed: one second's burst ${CAP_BYTES_PER_SEC} B + one frame ${FRAME_MAX_BYTES} B); store peak ${storePeak} B ` +
      `(storeMaxBytes ${STORE_MAX_BYTES}) while taking in ${taken} B; seeder longest stall ${pb.longestStallMs} ms`,
  );
  expect(worstExcess).toBeLessThanOrEqual(CAP_BYTES_PER_SEC + FRAME_MAX_BYTES);
  // the leecher did push against the cap (it would take far more without one)
  expect(rate).toBeGreaterThan(CAP_BYTES_PER_SEC * 0.5);
  expect(rate).toBeLessThanOrEqual(CAP_BYTES_PER_SEC * 1.1);
  expect(storePeak).toBeLessThanOrEqual(STORE_MAX_BYTES);
  expect(taken).toBeGreaterThan(STORE_MAX_BYTES * 2);
  // the seeder's own playback does not suffer
  expect(pb.waiting).toBe(0);
  expect(pb.longestStallMs).toBeLessThan(STALL_MAX_MS);
  const origin = await originHashes(join(REPO_ROOT, MEDIA_DIR), MEDIA_PREFIX);
  assertByteExact(await readSegmentHashes(s.page), origin, { minSegments: 5 });
  expect(await fatalPlayerErrors(s.page)).toEqual([]);
  expect(s.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
});
