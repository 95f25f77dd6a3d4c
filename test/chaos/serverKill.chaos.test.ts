/**
 * G3 (issue 4): the P2P server process is killed (SIGKILL: sockets dropped, no goodbye) mid-playback and restarted
 * on the same port. Playback never stops, the links peers already had keep working, and P2P resumes after the
 * restart: a viewer arriving afterwards finds the others through the new server and gets segments from them.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  REPO_ROOT,
  assertByteExact,
  freePort,
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
import { eventLog, fatalPlayerErrors, playback, playbackMonitor, sleep, stats, swarmLog, waitFor, STALL_MAX_MS } from './kit/probes';

const OUTAGE_MS = 3000;

let browser: Browser;
let site: ChaosSite;
let p2p: P2pServer | null = null;
const viewers: Viewer[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  site = await startChaosSite();
});
afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  await p2p?.stop();
  await site?.stop();
});

it('G3: a P2P server killed mid-playback and restarted costs no frame, and P2P resumes', async () => {
  const port = await freePort();
  p2p = await startP2pServer(port);
  const url = site.page('g3', p2p.url, { hls: { maxBufferLength: 6, maxMaxBufferLength: 6 } });
  const open = async () => {
    const v = await newViewer(browser, url, { initScript: [eventLog, playbackMonitor, segmentHashesInitScript] });
    viewers.push(v);
    return v;
  };
  const a = await open();
  await waitFor('A to hold segments', () => stats(a.page), (s) => !!s && s.storeSegments >= 4);
  const b = await open();
  await waitFor('B to get bytes from A', () => stats(b.page), (s) => !!s && s.p2pBytes > 0);

  await p2p.kill('SIGKILL');
  const killedAt = Date.now();
  const atKill = { a: (await playback(a.page))!.currentTime, b: (await playback(b.page))!.currentTime };
  await sleep(OUTAGE_MS);
  p2p = await startP2pServer(port);
  const downMs = Date.now() - killedAt;
  const bAtRestart = (await stats(b.page))!;

  // a viewer that arrives after the restart can only meet A and B through the new server
  const c = await open();
  const sc = await waitFor('C to get bytes from A or B', () => stats(c.page), (s) => !!s && s.p2pBytes > 0, 40_000);
  const sb = await waitFor('B to get more bytes from peers', () => stats(b.page), (s) => !!s && s.p2pBytes > bAtRestart.p2pBytes, 20_000);

  const pb = { a: (await playback(a.page))!, b: (await playback(b.page))!, c: (await playback(c.page))! };
  const logA = await swarmLog(a.page);
  console.log(
    `G3: server down ${downMs} ms; A played ${atKill.a.toFixed(1)}→${pb.a.currentTime.toFixed(1)} s, ` +
      `B ${atKill.b.toFixed(1)}→${pb.b.currentTime.toFixed(1)} s; longest stall A ${pb.a.longestStallMs} ms, ` +
      `B ${pb.b.longestStallMs} ms, C ${pb.c.longestStallMs} ms; waiting events A ${pb.a.waiting} B ${pb.b.waiting} C ${pb.c.waiting}; ` +
      `after restart: C p2p ${sc!.p2pBytes} B, B p2p ${bAtRestart.p2pBytes}→${sb!.p2pBytes} B; ` +
      `A errors: ${JSON.stringify(logA.filter((e) => e.type === 'error').map((e) => e.code))}`,
  );
  // the outage was seen (signalling lost), and nobody stopped playing
  expect(logA.some((e) => e.type === 'error' && e.code === 'server-unreachable')).toBe(true);
  for (const p of Object.values(pb)) {
    expect(p.longestStallMs).toBeLessThan(STALL_MAX_MS);
    expect(p.waiting).toBe(0);
  }
  expect(pb.a.currentTime - atKill.a).toBeGreaterThan(OUTAGE_MS / 1000);
  expect(pb.b.currentTime - atKill.b).toBeGreaterThan(OUTAGE_MS / 1000);

  const origin = await originHashes(join(REPO_ROOT, MEDIA_DIR), MEDIA_PREFIX);
  for (const v of [a, b, c]) {
    assertByteExact(await readSegmentHashes(v.page), origin, { minSegments: 3 });
    expect(await fatalPlayerErrors(v.page)).toEqual([]);
    expect(v.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  }
});
