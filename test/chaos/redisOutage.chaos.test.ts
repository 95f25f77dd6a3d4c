/**
 * Issue 11 chaos: the Redis two P2P server nodes share is killed (SIGKILL) mid-playback and restarted empty (no
 * persistence). Nothing crashes, no viewer stalls, each node says Redis is down in /health meanwhile, and when it
 * is back the cluster is whole again: a viewer arriving at one node after the restart finds, through Redis, a viewer
 * of the other node and gets segments from it.
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
  type P2pServer,
  type Viewer,
} from '../e2e/harness';
import { startRedis, type TestRedis } from '../support/redisServer';
import { MEDIA_DIR, MEDIA_PREFIX, startChaosSite, type ChaosSite } from './kit/chaosSite';
import { eventLog, fatalPlayerErrors, playback, playbackMonitor, sleep, stats, waitFor, STALL_MAX_MS } from './kit/probes';

const OUTAGE_MS = 3000;

let browser: Browser;
let site: ChaosSite;
let redis: TestRedis;
const nodes: P2pServer[] = [];
const viewers: Viewer[] = [];

async function redisState(node: P2pServer): Promise<string | null> {
  try {
    const h = (await (await fetch(`${node.url}/swarmfetch/v1/health`)).json()) as { cluster?: { redis?: string } };
    return h.cluster?.redis ?? null;
  } catch {
    return null;
  }
}

beforeAll(async () => {
  browser = await launchBrowser();
  site = await startChaosSite();
  redis = await startRedis();
  for (const id of ['node-1', 'node-2']) nodes.push(await startP2pServer(undefined, ['--redis-url', redis.url, '--node-id', id]));
  for (const node of nodes) await waitFor('the node to reach Redis', () => redisState(node), (s) => s === 'up', 15_000);
});
afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  for (const node of nodes) await node.stop();
  await redis?.stop();
  await site?.stop();
});

it('Redis killed mid-playback and restarted empty: nothing crashes, nobody stalls, the cluster is whole again', async () => {
  const [n1, n2] = nodes as [P2pServer, P2pServer];
  const hls = { maxBufferLength: 6, maxMaxBufferLength: 6 };
  const urls = { one: site.page('redis-n1', n1.url, { hls }), two: site.page('redis-n2', n2.url, { hls }) };
  const open = async (url: string) => {
    const v = await newViewer(browser, url, { initScript: [eventLog, playbackMonitor, segmentHashesInitScript] });
    viewers.push(v);
    return v;
  };
  const a = await open(urls.one);
  await waitFor('A to hold segments', () => stats(a.page), (s) => !!s && s.storeSegments >= 4);
  const b = await open(urls.two);
  await waitFor('B (other node) to get bytes from A', () => stats(b.page), (s) => !!s && s.p2pBytes > 0, 40_000);

  await redis.kill();
  const atKill = { a: (await playback(a.page))!.currentTime, b: (await playback(b.page))!.currentTime };
  for (const node of nodes) await waitFor('the node to say Redis is down', () => redisState(node), (s) => s === 'down', 10_000);
  await sleep(OUTAGE_MS);
  await redis.restart();
  for (const node of nodes) await waitFor('the node to say Redis is up again', () => redisState(node), (s) => s === 'up', 15_000);

  // C, at node 1, can only learn of B (node 2) through the restarted Redis: its node re-registered B, B re-joined
  const c = await open(urls.one);
  const sc = await waitFor('C to get bytes from peers', () => stats(c.page), (s) => !!s && s.p2pBytes > 0 && s.peers >= 2, 45_000);
  const pb = { a: (await playback(a.page))!, b: (await playback(b.page))!, c: (await playback(c.page))! };
  console.log(
    `redis outage: A played ${atKill.a.toFixed(1)}→${pb.a.currentTime.toFixed(1)} s, B ${atKill.b.toFixed(1)}→${pb.b.currentTime.toFixed(1)} s; ` +
      `longest stall A ${pb.a.longestStallMs} ms, B ${pb.b.longestStallMs} ms, C ${pb.c.longestStallMs} ms; C p2p ${sc!.p2pBytes} B, ${sc!.peers} peers`,
  );
  for (const p of Object.values(pb)) {
    expect(p.longestStallMs).toBeLessThan(STALL_MAX_MS);
    expect(p.waiting).toBe(0);
  }
  expect(pb.a.currentTime - atKill.a).toBeGreaterThan(OUTAGE_MS / 1000);
  expect(pb.b.currentTime - atKill.b).toBeGreaterThan(OUTAGE_MS / 1000);
  // both nodes still up (nothing crashed)
  for (const node of nodes) expect(await redisState(node)).toBe('up');

  const origin = await originHashes(join(REPO_ROOT, MEDIA_DIR), MEDIA_PREFIX);
  for (const v of [a, b, c]) {
    assertByteExact(await readSegmentHashes(v.page), origin, { minSegments: 3 });
    expect(await fatalPlayerErrors(v.page)).toEqual([]);
    expect(v.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  }
});
