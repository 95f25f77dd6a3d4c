/**
 * Scale-out in real Chromium (issue 11): two P2P server nodes (the real CLI) sharing one real Redis. Viewer A reaches
 * one node, viewer B the other; B gets most of its segments from A (signalling relayed through Redis), byte-exact.
 * Then A's node is killed mid-playback: A fails over to the other node (its drop-in lists both) keeping its peer id,
 * both keep playing, and P2P goes on: a newcomer on the surviving node links to both A and B.
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
  videoState,
  waitForPlayback,
  type P2pServer,
  type StaticServer,
  type Viewer,
} from './harness';
import { crossOriginPage } from './fixtures/crossOriginPage';
import { startRedis, type TestRedis } from '../support/redisServer';

interface Stats {
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  peers: number;
  storeSegments: number;
  peerId: string | null;
}

const stats = (page: Page) => page.evaluate('window.swarmfetch ? window.swarmfetch.stats() : null') as Promise<Stats | null>;
const playerErrors = (page: Page) => page.evaluate('window.demo.errors.filter((e) => e.fatal)') as Promise<unknown[]>;
/** Records swarmfetch's peer and error events, for diagnosis when an assertion fails. */
const eventLog = `(() => {
  window.__swarmLog = [];
  const t = setInterval(() => {
    if (!window.swarmfetch) return;
    clearInterval(t);
    window.swarmfetch.on('peer', (e) => window.__swarmLog.push([Math.round(performance.now()), 'peer', e.peerId.slice(0, 8), e.state, e.reason || ''].join(' ')));
    window.swarmfetch.on('error', (e) => window.__swarmLog.push([Math.round(performance.now()), 'error', e.code, String(e.message).slice(0, 200)].join(' ')));
    window.swarmfetch.on('ready', (e) => window.__swarmLog.push([Math.round(performance.now()), 'ready', e.peerId.slice(0, 8)].join(' ')));
  }, 5);
})();`;
const swarmLog = (v: Viewer) => v.page.evaluate('(window.__swarmLog || []).join("\\n")') as Promise<string>;

async function waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** How many peers a node holds, and its Redis standing (null once it is gone). */
async function nodeHealth(node: P2pServer): Promise<{ peers: number; cluster: { node: string; redis: string } } | null> {
  try {
    return (await (await fetch(`${node.url}/swarmfetch/v1/health`)).json()) as { peers: number; cluster: { node: string; redis: string } };
  } catch {
    return null;
  }
}

let browser: Browser;
let redis: TestRedis;
let site: StaticServer;
const nodes: P2pServer[] = [];
const viewers: Viewer[] = [];
const pages: Record<string, string> = {};

beforeAll(async () => {
  browser = await launchBrowser();
  redis = await startRedis();
  for (const id of ['node-1', 'node-2']) {
    // a short peer TTL: a killed node's peers are forgotten within 3 s
    nodes.push(await startP2pServer(undefined, ['--redis-url', redis.url, '--node-id', id, '--peer-ttl-ms', '3000']));
  }
  for (const node of nodes) await waitFor('the node to reach Redis', () => nodeHealth(node), (h) => h?.cluster.redis === 'up', 15_000);
  site = await startStaticServer({ root: REPO_ROOT, files: pages, headers: { 'Service-Worker-Allowed': '/' } });
});
afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  for (const node of nodes) await node.stop();
  await site?.stop();
  await redis?.stop();
});

describe('two P2P server nodes sharing one Redis', () => {
  it('viewers on different nodes share segments; a killed node\'s viewer fails over and P2P goes on', async () => {
    const origin = await originHashes(join(REPO_ROOT, 'demo/media'), '/demo/media/');
    const [n1, n2] = nodes as [P2pServer, P2pServer];
    pages['/both.html'] = crossOriginPage(`${n1.url},${n2.url}`);
    const open = async (path: string, name: string) => {
      const v = await newViewer(browser, `${site.url}${path}`, { initScript: [eventLog, segmentHashesInitScript], contextOptions: { userAgent: name } });
      viewers.push(v);
      return v;
    };

    // A lists both nodes and picks one; B is sent to the other
    const a = await open('/both.html', 'viewer-a');
    await waitFor('viewer A to hold segments', () => stats(a.page), (s) => !!s && s.storeSegments >= 6 && s.peerId !== null);
    const counts = await Promise.all(nodes.map(async (n) => (await nodeHealth(n))?.peers ?? 0));
    expect(counts.sort()).toEqual([0, 1]);
    const home = (await nodeHealth(n1))?.peers === 1 ? n1 : n2;
    const other = home === n1 ? n2 : n1;
    pages['/other.html'] = crossOriginPage(other.url);
    const b = await open('/other.html', 'viewer-b');
    await waitForPlayback(b.page, 12, 60_000);
    const sb = (await stats(b.page))!;
    const share = sb.p2pBytes / (sb.p2pBytes + sb.httpBytes);
    console.log(`cluster: B (node ${other === n1 ? 1 : 2}) p2p ${sb.p2pBytes} B, http ${sb.httpBytes} B, share ${(100 * share).toFixed(1)} % from A (node ${home === n1 ? 1 : 2})`);
    expect(share, `events A:\n${await swarmLog(a)}\nevents B:\n${await swarmLog(b)}`).toBeGreaterThanOrEqual(0.5);

    // A's node dies mid-playback (SIGKILL: no goodbye to anyone)
    const peerIdBefore = (await stats(a.page))!.peerId;
    await home.kill('SIGKILL');
    const t = { a: (await videoState(a.page)).currentTime, b: (await videoState(b.page)).currentTime };
    await waitFor('A to fail over to the surviving node', () => nodeHealth(other), (h) => h?.peers === 2, 30_000).catch(async (err: Error) => {
      throw new Error(`${err.message}\nevents A:\n${await swarmLog(a)}`);
    });
    expect((await stats(a.page))!.peerId).toBe(peerIdBefore);
    await waitForPlayback(a.page, t.a + 6, 30_000);
    await waitForPlayback(b.page, t.b + 6, 30_000);

    // P2P goes on through the surviving node: a newcomer there links to A (which moved) and to B
    const c = await open('/other.html', 'viewer-c');
    await waitFor('viewer C to link to both A and B', () => stats(c.page), (s) => !!s && s.peers >= 2, 45_000).catch(async (err: Error) => {
      throw new Error(`${err.message}\nevents C:\n${await swarmLog(c)}\nevents A:\n${await swarmLog(a)}`);
    });
    await waitFor('viewer C to get segments from peers', () => stats(c.page), (s) => !!s && s.p2pBytes >= 200_000, 45_000);

    for (const v of [a, b, c]) {
      assertByteExact(await readSegmentHashes(v.page), origin, { minSegments: 4 });
      expect(await playerErrors(v.page)).toEqual([]);
      expect(v.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    }
  });
});
