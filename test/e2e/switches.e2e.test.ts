/**
 * Issue 12 §3, the runtime switches, in real Chromium against the built bundles, on a fixture site whose P2P server
 * lives on another origin (so every request to it is countable by origin):
 * - a page whose tag says `data-p2p="off"` makes no request and no websocket to the P2P server and no
 *   RTCPeerConnection while it plays through the worker over HTTP; after `setP2pEnabled(true)` it shares (a second
 *   viewer gets segments from it); `setP2pEnabled(false)` closes its peer connections and its signalling socket;
 * - a viewer with `setUploadEnabled(false)` serves nobody: a second viewer linked to it gets 0 P2P bytes and plays
 *   over HTTP;
 * - a viewer with `data-offload-beacon-interval-ms` reports its bytes to a P2P server with `--metrics`, which counts
 *   them.
 */
import { join } from 'node:path';
import type { Browser, Page, WebSocket } from 'playwright-core';
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

interface Stats {
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  peers: number;
  storeSegments: number;
  peerId: string | null;
  active: boolean;
  p2pEnabled: boolean;
  uploadEnabled: boolean;
  peerList: Array<{ peerId: string }>;
}

/** Counts `new RTCPeerConnection` in the page (PeerJS makes one per peer connection). */
const countPeerConnections = `(() => {
  window.__rtcMade = 0;
  const Real = window.RTCPeerConnection;
  if (!Real) return;
  const Counted = new Proxy(Real, { construct(target, args, newTarget) { window.__rtcMade++; return Reflect.construct(target, args, newTarget); } });
  window.RTCPeerConnection = Counted;
  if (window.webkitRTCPeerConnection) window.webkitRTCPeerConnection = Counted;
})();`;
/** Records the page's segment events. */
const segmentLog = `(() => {
  window.__segments = [];
  const t = setInterval(() => {
    if (!window.swarmfetch) return;
    clearInterval(t);
    window.swarmfetch.on('segment', (e) => window.__segments.push({ url: e.url, source: e.source }));
  }, 5);
})();`;

const stats = (page: Page) => page.evaluate('window.swarmfetch ? window.swarmfetch.stats() : null') as Promise<Stats | null>;
const segments = (page: Page) => page.evaluate('window.__segments || []') as Promise<Array<{ url: string; source: string }>>;
const playerErrors = (page: Page) => page.evaluate('window.demo ? window.demo.errors.filter((e) => e.fatal) : []') as Promise<unknown[]>;

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
let origin: Map<string, string>;
const viewers: Viewer[] = [];

/**
 * A viewer of `path` on the site, with every request (the worker's included) and websocket of it to the P2P server
 * recorded from before its first navigation.
 */
async function open(path: string, userAgent: string) {
  const v = await newViewer(browser, 'about:blank', {
    initScript: [countPeerConnections, segmentLog, segmentHashesInitScript],
    contextOptions: { userAgent },
  });
  viewers.push(v);
  const toServer: string[] = [];
  const sockets: WebSocket[] = [];
  v.context.on('request', (r) => void (r.url().startsWith(p2p.url) && toServer.push(`${r.method()} ${r.url()}`)));
  v.page.on('websocket', (ws) => void (ws.url().includes(`:${p2p.port}/`) && sockets.push(ws)));
  await v.page.goto(`${site.url}${path}`);
  return { ...v, toServer, sockets };
}

beforeAll(async () => {
  browser = await launchBrowser();
  p2p = await startP2pServer();
  const page = crossOriginPage(p2p.url);
  site = await startStaticServer({
    root: REPO_ROOT,
    files: {
      '/index.html': page,
      '/consent.html': page.replace('data-scope="/"', 'data-scope="/" data-p2p="off"'),
    },
    headers: { 'Service-Worker-Allowed': '/' },
  });
  origin = await originHashes(join(REPO_ROOT, 'demo/media'), '/demo/media/');
});
afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  await site?.stop();
  await p2p?.stop();
});

describe('P2P switched off until consent (data-p2p="off", setP2pEnabled)', () => {
  it('plays through the worker with no request, websocket or RTCPeerConnection to anyone; once on, it shares; off again, it leaves', async () => {
    const a = await open('/consent.html', 'consent-a');
    await waitForPlayback(a.page, 10, 40_000);
    const sa = await waitFor('A to hold segments', () => stats(a.page), (s) => !!s && s.storeSegments >= 6);
    expect(sa).toMatchObject({ active: true, p2pEnabled: false, peers: 0, peerId: null, p2pBytes: 0 });
    expect(sa!.httpBytes).toBeGreaterThan(0);
    // through the worker: it served the player's segments and reported each
    expect((await segments(a.page)).filter((e) => e.source === 'http').length).toBeGreaterThanOrEqual(5);
    // nothing to the P2P server (no tracker, ICE, hash oracle or health request, no signalling socket), no peer connection
    expect(a.toServer).toEqual([]);
    expect(a.sockets.map((w) => w.url())).toEqual([]);
    expect(await a.page.evaluate('window.__rtcMade')).toBe(0);
    expect(await a.page.evaluate('window.swarmfetch.isSupported()')).toBe(true);

    // consent given: A joins, and a second viewer (P2P on from the start) gets segments from it
    await a.page.evaluate('window.swarmfetch.setP2pEnabled(true)');
    await waitFor('A to be in the swarm', () => stats(a.page), (s) => !!s && s.p2pEnabled && !!s.peerId, 20_000);
    expect(a.sockets.length).toBe(1);
    const b = await open('/index.html', 'consent-b');
    const shared = await waitFor('B to get two segments\' worth from A', () => stats(b.page), (s) => !!s && s.p2pBytes >= 200_000, 40_000);
    const afterShare = (await stats(a.page))!;
    console.log(`consent: B p2p ${shared!.p2pBytes} B, http ${shared!.httpBytes} B; A uploaded ${afterShare.uploadedBytes} B`);
    expect(afterShare.uploadedBytes).toBeGreaterThan(0);
    expect(await a.page.evaluate('window.__rtcMade')).toBeGreaterThan(0);

    // consent withdrawn: A's peer connections and its signalling socket close; it plays on over HTTP
    await a.page.evaluate('window.swarmfetch.setP2pEnabled(false)');
    await waitFor('A to leave', () => stats(a.page), (s) => !!s && s.peers === 0 && s.peerId === null && !s.p2pEnabled, 10_000);
    await waitFor('A\'s signalling socket to close', async () => a.sockets.map((w) => w.isClosed()), (c) => c.every(Boolean), 10_000);
    await waitFor('B to see A go', () => stats(b.page), (s) => !!s && s.peers === 0, 30_000);
    const asked = a.toServer.length;
    const t = (await videoState(a.page)).currentTime;
    await waitForPlayback(a.page, t + 4, 30_000);
    expect(a.toServer.slice(asked)).toEqual([]);

    for (const v of [a, b]) {
      assertByteExact(await readSegmentHashes(v.page), origin, { minSegments: 5 });
      expect(await playerErrors(v.page)).toEqual([]);
      expect(v.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    }
    // out of the swarm before the next test (same site, same stream)
    await a.close();
    await b.close();
  });
});

describe('setUploadEnabled(false)', () => {
  it('a viewer that does not serve gives a linked second viewer 0 P2P bytes; that one plays over HTTP', async () => {
    const a = await open('/index.html', 'noupload-a');
    await waitFor('A to hold segments', () => stats(a.page), (s) => !!s && s.storeSegments >= 6 && !!s.peerId, 40_000);
    await a.page.evaluate('window.swarmfetch.setUploadEnabled(false)');
    const b = await open('/index.html', 'noupload-b');
    const linked = await waitFor('B to link with A', () => stats(b.page), (s) => !!s && s.peers >= 1, 30_000);
    expect(linked!.peerList.map((p) => p.peerId)).toEqual([(await stats(a.page))!.peerId]);
    await waitForPlayback(b.page, 10, 40_000);
    const [sa, sb] = [(await stats(a.page))!, (await stats(b.page))!];
    console.log(`no upload: B p2p ${sb.p2pBytes} B, http ${sb.httpBytes} B; A uploaded ${sa.uploadedBytes} B`);
    expect(sa.uploadEnabled).toBe(false);
    expect(sb.p2pBytes).toBe(0);
    expect(sa.uploadedBytes).toBe(0);
    expect(sb.httpBytes).toBeGreaterThan(0);
    assertByteExact(await readSegmentHashes(b.page), origin, { minSegments: 5 });
    expect(await playerErrors(b.page)).toEqual([]);
  });
});

describe('offload beacons (offloadBeaconIntervalMs)', () => {
  it('a viewer reports its bytes to a P2P server with --metrics, which counts them', async () => {
    const metricsServer = await startP2pServer(undefined, ['--metrics']);
    const beaconSite = await startStaticServer({
      root: REPO_ROOT,
      files: { '/index.html': crossOriginPage(metricsServer.url).replace('data-scope="/"', 'data-scope="/" data-offload-beacon-interval-ms="10000"') },
      headers: { 'Service-Worker-Allowed': '/' },
    });
    const metric = async (name: string) => {
      const text = await (await fetch(`${metricsServer.url}/swarmfetch/v1/metrics`)).text();
      // the sum over its labelled series (none yet: 0)
      return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
    };
    try {
      const v = await newViewer(browser, `${beaconSite.url}/index.html`);
      viewers.push(v);
      await waitFor('a controlled page in the swarm', () => stats(v.page), (s) => !!s && s.active && !!s.peerId, 30_000);
      const counted = await waitFor('the server to count a beacon', () => metric('swarmfetch_beacons_total'), (n) => n >= 1, 30_000);
      const http = await metric('swarmfetch_viewer_http_bytes_total');
      const s = (await stats(v.page))!;
      console.log(`beacons: ${counted}, viewer http bytes counted ${http}, page says ${s.httpBytes}`);
      expect(http).toBeGreaterThan(0);
      expect(http).toBeLessThanOrEqual(s.httpBytes);
      expect(await metric('swarmfetch_beacons_refused_total')).toBe(0);
    } finally {
      await beaconSite.stop();
      await metricsServer.stop();
    }
  });
});
