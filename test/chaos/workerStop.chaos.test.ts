/**
 * G4 (issue 4): the browser stops the service worker again and again mid-playback (CDP
 * `ServiceWorker.stopAllWorkers` every 1.5 s for 15 s). No segment request stays pending past the worker's
 * deadline (port wait + P2P budget + grace, then the network), playback does not stall, and P2P resumes after.
 * Stops land mid-request by construction: while the worker is stopped, every segment takes a while — the origin
 * answers SEGMENT_DELAY_MS late, the seeder's uplink is slow (test/chaos/kit/slowUplink.ts) — and the test stops
 * the worker as soon as it sees a request pending. (On a bare loopback a request took 9–58 ms, one every 2 s, and CI
 * once caught only 2 of 12 stops mid-request; with the slow uplink alone, 4–6 of 12–13, most requests going to the
 * fast origin.)
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SW_DEFAULTS } from '../../core/contract';
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
import {
  eventLog,
  fatalPlayerErrors,
  playback,
  playbackMonitor,
  readTimings,
  segmentTimings,
  sleep,
  type SegmentTiming,
  stats,
  swarmLog,
  waitFor,
  STALL_MAX_MS,
} from './kit/probes';
import { slowUplink } from './kit/slowUplink';

const STOP_EVERY_MS = 1500;
const STOP_FOR_MS = 15_000;
/** The worker's own bound on a segment: wait for a port, the agent's budget plus its grace (SegmentHandler). */
const WORKER_DEADLINE_MS = SW_DEFAULTS.portWaitMs + SW_DEFAULTS.p2pTimeoutMs + 100;
/** Restarting the worker and the HTTP fetch itself (a ~60 KB segment on loopback), on a loaded 2-core machine. */
const NETWORK_ALLOWANCE_MS = 1000;
/** The seeder's uplink: a ~60 KB segment takes ~0.45 s, well within B's P2P budget and well above the poll period. */
const SEEDER_UPLINK_BYTES_PER_SEC = 128 * 1024;
/** The origin's delay on a segment while the worker is being stopped: several of the stop loop's polls. */
const SEGMENT_DELAY_MS = 200;

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

it('G4: a service worker stopped every 1.5 s for 15 s leaves no request pending past its deadline, no stall, and P2P resumes', async () => {
  const url = site.page('g4', p2p.url, { hls: { maxBufferLength: 6, maxMaxBufferLength: 6 } });
  const a = await newViewer(browser, url, { initScript: [eventLog, segmentHashesInitScript, slowUplink(SEEDER_UPLINK_BYTES_PER_SEC)] });
  viewers.push(a);
  await waitFor('A to hold segments', () => stats(a.page), (s) => !!s && s.storeSegments >= 4);
  const b = await newViewer(browser, url, { initScript: [eventLog, playbackMonitor, segmentHashesInitScript, segmentTimings] });
  viewers.push(b);
  await waitFor('B controlled and getting bytes from A', () => stats(b.page), (s) => !!s && s.active && s.p2pBytes > 0);

  const cdp = await b.context.newCDPSession(b.page);
  await cdp.send('ServiceWorker.enable');
  const before = (await playback(b.page))!.currentTime;
  // every STOP_EVERY_MS, and also right after each segment request starts (the worker dies while answering it)
  let stops = 0;
  let midRequest = 0;
  let lastStop = 0;
  const hit = new Set<number>();
  site.setSegmentDelayMs(SEGMENT_DELAY_MS);
  try {
    const until = Date.now() + STOP_FOR_MS;
    while (Date.now() < until) {
      const { list } = await readTimings(b.page);
      const pending = list.findIndex((t, i) => t.end === null && !hit.has(i));
      if (pending >= 0 || Date.now() - lastStop >= STOP_EVERY_MS) {
        await cdp.send('ServiceWorker.stopAllWorkers');
        stops++;
        lastStop = Date.now();
        if (pending >= 0) {
          hit.add(pending);
          midRequest++;
        }
      }
      await sleep(25);
    }
  } finally {
    // the next test's origin answers at once, whatever happened here
    site.setSegmentDelayMs(0);
  }
  await cdp.detach();
  const afterStops = (await stats(b.page))!;
  const during = (await playback(b.page))!.currentTime - before;
  // P2P resumes: later segments come from A again
  const resumed = await waitFor('B to get more bytes from A', () => stats(b.page), (s) => !!s && s.p2pBytes > afterStops.p2pBytes, 20_000);

  const { now, list } = await readTimings(b.page);
  const took = list.map((t) => (t.end ?? now) - t.start);
  const maxMs = Math.round(Math.max(...took));
  const pb = (await playback(b.page))!;
  const log = await swarmLog(b.page);
  const sources = log.filter((e) => e.type === 'segment').map((e) => `${e.source}${e.fallback ? `(${e.fallback})` : ''}`);
  console.log(
    `G4: ${stops} stops (${midRequest} while a segment request was pending) in ${STOP_FOR_MS} ms; B played ${during.toFixed(1)} s meanwhile; ${list.length} segment requests, ` +
      `max ${maxMs} ms [${took.map(Math.round).join(' ')}] (deadline ${WORKER_DEADLINE_MS} + ${SEGMENT_DELAY_MS} + ${NETWORK_ALLOWANCE_MS} ms), outcomes ${JSON.stringify(list.map((t) => t.outcome === 'load' ? t.status : t.outcome))}; ` +
      `longest stall ${pb.longestStallMs} ms, waiting ${pb.waiting}; p2p ${afterStops.p2pBytes}→${resumed!.p2pBytes} B; sources ${sources.join(' ')}`,
  );
  if (process.env.CHAOS_DEBUG) {
    console.log(JSON.stringify(list.map((t) => [t.url.split('/').pop(), Math.round(t.start), Math.round((t.end ?? now) - t.start), t.outcome])));
    console.log(JSON.stringify(log.map((e) => [e.at, e.type, e.url?.split('/').pop(), e.source, e.fallback, e.ms, e.code])));
  }
  expect(list.length).toBeGreaterThan(5);
  // the premise: requests were hit by a stop (each made meanwhile takes SEGMENT_DELAY_MS at least, the stop loop polls
  // every ~25–50 ms: in 3 local runs under a CPU load, every one of the 5–7 made meanwhile was hit)
  expect(midRequest).toBeGreaterThanOrEqual(3);
  // A stop while the response body streams through the worker fails that request (a network error, never a short
  // body); the player asks again. Chromium ends such an XHR with 'error' or, depending on the moment of the stop,
  // 'abort' (seen in CI: seg_010 ended 'abort' after 39 ms and loaded whole 1.1 s later). Anything else must be a
  // whole 200.
  const retried = (t: SegmentTiming) =>
    (t.outcome === 'error' || t.outcome === 'abort') &&
    list.some((u) => u.url === t.url && u.start > t.start && u.outcome === 'load' && u.status === 200);
  // (a request still pending when the list is read is young: maxMs bounds its age too)
  expect(list.filter((t) => !(t.outcome === 'load' && t.status === 200) && !retried(t) && t.outcome !== 'pending')).toEqual([]);
  expect(list.filter((t) => t.outcome === 'pending').length).toBeLessThanOrEqual(1);
  expect(maxMs).toBeLessThanOrEqual(WORKER_DEADLINE_MS + SEGMENT_DELAY_MS + NETWORK_ALLOWANCE_MS);
  expect(during).toBeGreaterThan((STOP_FOR_MS / 1000) * 0.9);
  expect(pb.longestStallMs).toBeLessThan(STALL_MAX_MS);
  expect(pb.waiting).toBe(0);

  const origin = await originHashes(join(REPO_ROOT, MEDIA_DIR), MEDIA_PREFIX);
  assertByteExact(await readSegmentHashes(b.page), origin, { minSegments: 5 });
  expect(await fatalPlayerErrors(b.page)).toEqual([]);
  expect(b.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
});

it('G4: a segment request whose worker is stopped just after it started waits for nothing that died with the worker', async () => {
  // No player: the agent's P2P budget is then 1500 ms, which a request waiting for the dead worker's download
  // (the browser sends the request again to the restarted worker) would sit out in full.
  const url = site.page('g4-probe', p2p.url, { noPlayer: true });
  const v = await newViewer(browser, url, { initScript: segmentHashesInitScript });
  viewers.push(v);
  await waitFor('the page controlled', () => stats(v.page), (s) => !!s && s.active);
  const cdp = await v.context.newCDPSession(v.page);
  await cdp.send('ServiceWorker.enable');
  const results: Array<{ ms: number; status: number | 'error'; retry?: number | 'error' }> = [];
  for (let i = 0; i < 24; i++) {
    const seg = `/demo/media/vod/360p/seg_${String(i).padStart(3, '0')}.ts`;
    const get = `fetch(${JSON.stringify(seg)}).then((r) => r.arrayBuffer().then(() => r.status)).catch(() => 'error')`;
    const fetched = v.page.evaluate(`(async () => { const t = performance.now(); const status = await ${get}; return { ms: performance.now() - t, status }; })()`);
    await sleep(5 + (i % 6) * 8); // lands at different points: port hand-over, agent, network, body
    await cdp.send('ServiceWorker.stopAllWorkers');
    const r = (await fetched) as { ms: number; status: number | 'error' };
    results.push(r.status === 'error' ? { ...r, retry: (await v.page.evaluate(get)) as number | 'error' } : r);
  }
  await cdp.detach();
  const ms = results.map((r) => Math.round(r.ms));
  console.log(`G4 probe: 24 fetches each hit by a stop: ms [${ms.join(' ')}], max ${Math.max(...ms)}; statuses ${JSON.stringify(results.map((r) => r.retry === undefined ? r.status : `${r.status}→${r.retry}`))}`);
  expect(Math.max(...ms)).toBeLessThan(1200);
  // every request got its whole segment, or failed outright (a stop mid-body) and the next try got it
  expect(results.filter((r) => !(r.status === 200 || (r.status === 'error' && r.retry === 200)))).toEqual([]);
  const origin = await originHashes(join(REPO_ROOT, MEDIA_DIR), MEDIA_PREFIX);
  // a body that failed mid-stream reached the page as an error (not hashed: "Failed to fetch"), never as bytes
  const hashes = await readSegmentHashes(v.page);
  const failed = hashes.filter((h) => h.sha256 === null && /failed to fetch/i.test(h.error ?? ''));
  const whole = hashes.filter((h) => !failed.includes(h));
  assertByteExact(whole, origin, { minSegments: 24 });
  for (const f of failed) expect(whole.some((h) => h.url === f.url)).toBe(true);
  expect(v.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
});
