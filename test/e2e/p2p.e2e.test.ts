/**
 * Issue 2's end-to-end guarantees, in real Chromium against the built bundles:
 * two viewers of the demo share segments (≥ 50 % P2P for the second, checked at the origin too), every segment
 * the player got is byte-identical to the origin file, both play ≥ 10 s; the page still plays over HTTP without a
 * P2P server, without service workers and without WebRTC; a restarted service worker gets a new port. Live: two
 * viewers of the demo's live stream share its segments, checked with the hashes its playlists carry
 * (#EXT-X-SWARMFETCH-SHA256), without one lookup at the P2P server's hash oracle.
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
  startDemo,
  startP2pServer,
  startStaticServer,
  videoState,
  waitForPlayback,
  type DemoServer,
  type Viewer,
} from './harness';
import { crossOriginPage } from './fixtures/crossOriginPage';

interface Stats {
  httpBytes: number;
  p2pBytes: number;
  storeHitBytes: number;
  uploadedBytes: number;
  peers: number;
  storeBytes: number;
  storeSegments: number;
  peerId: string | null;
  active: boolean;
  verifiedSegments: number;
  verifiedBy: { playlist: number; manifest: number; oracle: number };
}

/** Records swarmfetch's peer and error events in the page, for diagnosis when an assertion fails. */
const eventLog = `(() => {
  window.__swarmLog = [];
  const t = setInterval(() => {
    if (!window.swarmfetch) return;
    clearInterval(t);
    const at = () => Math.round(performance.now());
    window.swarmfetch.on('peer', (e) => window.__swarmLog.push(['peer', e.peerId.slice(0, 8), e.state, e.reason || '', at()]));
    window.swarmfetch.on('error', (e) => window.__swarmLog.push(['error', e.code, e.message, at()]));
  }, 5);
})();`;
/** Records the page's segment events (where the bytes came from, where their hash came from). */
const segmentLog = `(() => {
  window.__segmentEvents = [];
  // the page's own requests, the hash oracle's included, stay countable however long it plays
  performance.setResourceTimingBufferSize(10000);
  const t = setInterval(() => {
    if (!window.swarmfetch) return;
    clearInterval(t);
    window.swarmfetch.on('segment', (e) => window.__segmentEvents.push({ url: e.url, source: e.source, verifiedBy: e.verifiedBy, fallback: e.fallback, ms: Math.round(e.ms), at: Math.round(performance.now()) }));
  }, 5);
})();`;
const segmentEvents = (page: Page) =>
  page.evaluate('window.__segmentEvents || []') as Promise<Array<{ url: string; source: string; verifiedBy: string | null; fallback: string | null; ms: number; at: number }>>;
/** Requests the page made to the P2P server's hash oracle. */
const oracleLookups = (page: Page) =>
  page.evaluate("performance.getEntriesByType('resource').filter((r) => r.name.includes('/swarmfetch/v1/hash')).length") as Promise<number>;
const swarmLog = (page: Page) => page.evaluate('JSON.stringify(window.__swarmLog || [])') as Promise<string>;
const stats = (page: Page) => page.evaluate('window.swarmfetch ? window.swarmfetch.stats() : null') as Promise<Stats | null>;
const playerErrors = (page: Page) =>
  page.evaluate('window.demo ? window.demo.errors.filter((e) => e.fatal) : []') as Promise<unknown[]>;
const bytesPlayed = (hashes: { bytes: number }[]) => hashes.reduce((n, h) => n + Math.max(0, h.bytes), 0);

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
let origin: Map<string, string>;
const viewers: Viewer[] = [];
const open = async (...args: Parameters<typeof newViewer>) => {
  const v = await newViewer(...args);
  viewers.push(v);
  return v;
};

beforeAll(async () => {
  browser = await launchBrowser();
  origin = await originHashes(join(REPO_ROOT, 'demo/media'), '/media/');
});
afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
});

describe('two viewers of the demo stream', () => {
  let demo: DemoServer;
  beforeAll(async () => {
    demo = await startDemo();
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it('the second viewer gets most segment bytes from the first, every byte is the origin\'s, both play', async () => {
    const a = await open(browser, `${demo.url}/`, { initScript: [eventLog, segmentHashesInitScript], contextOptions: { userAgent: 'viewer-a' } });
    // A plays and fills its store before B arrives (hls.js buffers ahead)
    await waitFor('viewer A to hold segments', () => stats(a.page), (s) => !!s && s.storeSegments >= 8);
    const b = await open(browser, `${demo.url}/`, { initScript: [eventLog, segmentHashesInitScript], contextOptions: { userAgent: 'viewer-b' } });

    await waitForPlayback(b.page, 12, 60_000);
    await waitForPlayback(a.page, 12, 30_000);

    const [sa, sb] = [await stats(a.page), await stats(b.page)];
    const [ha, hb] = [await readSegmentHashes(a.page), await readSegmentHashes(b.page)];
    // What the pages say…
    const share = sb!.p2pBytes / (sb!.p2pBytes + sb!.httpBytes);
    console.log(`events A: ${await swarmLog(a.page)}\nevents B: ${await swarmLog(b.page)}`);
    console.log(`viewer B: p2p ${sb!.p2pBytes} B, http ${sb!.httpBytes} B, share ${(100 * share).toFixed(1)} %; A uploaded ${sa!.uploadedBytes} B`);
    expect(share).toBeGreaterThanOrEqual(0.5);
    expect(sa!.uploadedBytes).toBeGreaterThan(0);
    expect(sb!.peers).toBeGreaterThanOrEqual(1);
    // …and what the origin actually served B (its own User-Agent), against the bytes B's player received.
    const served = (await (await fetch(`${demo.url}/demo-stats/origin`)).json()) as { byAgent: Record<string, number> };
    const originShare = 1 - (served.byAgent['viewer-b'] ?? 0) / bytesPlayed(hb);
    console.log(`origin served B ${served.byAgent['viewer-b'] ?? 0} B of ${bytesPlayed(hb)} B played: offload ${(100 * originShare).toFixed(1)} %`);
    expect(originShare).toBeGreaterThanOrEqual(0.5);

    assertByteExact(ha, origin, { minSegments: 6 });
    assertByteExact(hb, origin, { minSegments: 6 });
    expect(await playerErrors(a.page)).toEqual([]);
    expect(await playerErrors(b.page)).toEqual([]);
    expect([...a.errors, ...b.errors].filter((e) => e.startsWith('pageerror'))).toEqual([]);

    // A vanishes without a goodbye (its browser context is torn down: no close reaches B over the channel).
    // B's heartbeat notices and frees the slot within ~3.5 ping intervals (peerPingIntervalMs, 5 s by default).
    await a.close();
    const gone = Date.now();
    await waitFor('viewer B to drop the vanished viewer A', () => stats(b.page), (s) => !!s && s.peers === 0, 30_000);
    console.log(`B dropped the vanished A after ${Date.now() - gone} ms; events B: ${await swarmLog(b.page)}`);
  });

  it('a restarted service worker asks the page for a new port and answers from the store again', async () => {
    // every need-port the page hears from its worker (the page's own listener sits beside swarmfetch's)
    const needPorts = `(() => {
      window.__needPorts = 0;
      navigator.serviceWorker.addEventListener('message', (e) => {
        if (e.data && e.data.type === 'swarmfetch:need-port') window.__needPorts++;
      });
    })();`;
    const v = await open(browser, `${demo.url}/`, { initScript: needPorts, contextOptions: { userAgent: 'viewer-restart' } });
    await waitForPlayback(v.page, 4, 30_000);
    await waitFor('a controlled page holding segments', () => stats(v.page), (s) => !!s && s.active && s.storeSegments >= 3);
    const needPortsBefore = (await v.page.evaluate('window.__needPorts')) as number;
    const cdp = await v.context.newCDPSession(v.page);
    // the worker's running status as the browser reports it: the stop and the restart must both be seen
    const statuses: string[] = [];
    cdp.on('ServiceWorker.workerVersionUpdated', (e: { versions: Array<{ runningStatus: string }> }) => {
      for (const version of e.versions) statuses.push(version.runningStatus);
    });
    await cdp.send('ServiceWorker.enable');
    await waitFor('the browser to report the running worker', async () => statuses.slice(), (s) => s.includes('running'), 10_000);
    const mark = statuses.length;
    await cdp.send('ServiceWorker.stopAllWorkers');
    await waitFor('the worker to be stopped', async () => statuses.slice(mark), (s) => s.includes('stopped'), 10_000);
    const stoppedAt = statuses.lastIndexOf('stopped');
    // a segment the store holds, fetched through the (restarting) worker
    const answer = (await v.page.evaluate(`(async () => {
      const events = [];
      window.swarmfetch.on('segment', (e) => events.push(e));
      const url = new URL('/media/vod/180p/seg_000.ts', location.href).href;
      const held = performance.getEntriesByType('resource').map((r) => r.name).filter((n) => /seg_\\d+\\.ts$/.test(n));
      const target = held[held.length - 1] || url;
      const res = await fetch(target);
      const bytes = (await res.arrayBuffer()).byteLength;
      await new Promise((r) => setTimeout(r, 300));
      return { status: res.status, source: res.headers.get('x-swarmfetch-source'), bytes, events };
    })()`)) as { status: number; source: string | null; bytes: number; events: { source: string; fallback: string | null }[] };
    // the fetch started the stopped worker again…
    expect(statuses.slice(stoppedAt + 1)).toContain('running');
    // …which had no port for this page and asked for one, and answered from the page's store through it
    expect((await v.page.evaluate('window.__needPorts')) as number).toBeGreaterThan(needPortsBefore);
    expect(answer.status).toBe(200);
    expect(answer.bytes).toBeGreaterThan(0);
    expect(answer.source).toBe('store');
    expect(answer.events.map((e) => e.source)).toContain('store');
    await cdp.detach();
    const before = (await videoState(v.page)).currentTime;
    await waitForPlayback(v.page, before + 3, 20_000);
  });

  it('a page with service workers blocked plays byte-exact over HTTP, with swarmfetch inactive and no error', async () => {
    const v = await open(browser, `${demo.url}/`, { blockServiceWorkers: true, initScript: segmentHashesInitScript });
    await waitForPlayback(v.page, 10, 40_000);
    expect((await stats(v.page))?.active).toBe(false);
    assertByteExact(await readSegmentHashes(v.page), origin, { minSegments: 5 });
    expect(await playerErrors(v.page)).toEqual([]);
    expect(v.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });

  it('a browser without WebRTC plays through the worker over HTTP', async () => {
    const noRtc = 'delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;';
    const v = await open(browser, `${demo.url}/`, { initScript: [noRtc, segmentLog, segmentHashesInitScript] });
    await waitForPlayback(v.page, 10, 40_000);
    const s = await stats(v.page);
    const hashes = await readSegmentHashes(v.page);
    expect(s?.peers).toBe(0);
    expect(s?.p2pBytes).toBe(0);
    assertByteExact(hashes, origin, { minSegments: 5 });
    // "through the worker": the page is controlled, and the worker served the player's segments (each one it
    // fetched is reported to the page), not just the browser's own network stack
    expect(s?.active).toBe(true);
    const served = (await segmentEvents(v.page)).filter((e) => e.source === 'http');
    expect(served.length).toBeGreaterThanOrEqual(5);
    const played = new Set(hashes.map((h) => h.url));
    expect(served.filter((e) => played.has(e.url)).length).toBeGreaterThanOrEqual(5);
    expect(s!.httpBytes).toBeGreaterThan(0);
    expect(v.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });

  it('a first visit whose worker comes late: the playlists loaded before it are fetched once more, through it, for the agent', async () => {
    // the worker registers 2 s late (a slow install): hls.js loads its master and first media playlist without it
    const lateWorker = `(() => {
      const register = ServiceWorkerContainer.prototype.register;
      ServiceWorkerContainer.prototype.register = function (...args) {
        return new Promise((resolve) => setTimeout(resolve, 2000)).then(() => register.apply(this, args));
      };
    })();`;
    const v = await open(browser, `${demo.url}/`, { initScript: lateWorker });
    await waitFor('the worker to control the page', () => stats(v.page), (s) => !!s && s.active, 20_000);
    const playlists = () =>
      v.page.evaluate("performance.getEntriesByType('resource').filter((r) => /\\.m3u8$/.test(new URL(r.name).pathname)).map((r) => [new URL(r.name).pathname, r.workerStart > 0])") as Promise<Array<[string, boolean]>>;
    const seen = await waitFor('the master playlist to be fetched again through the worker', playlists, (es) => es.some(([path, viaWorker]) => path === '/media/vod/master.m3u8' && viaWorker), 15_000);
    // a moment for any further one (there must be none)
    await v.page.waitForTimeout(1000);
    const all = await playlists();
    const without = all.filter(([, viaWorker]) => !viaWorker).map(([path]) => path);
    console.log(`playlists of a late worker's page: ${JSON.stringify(all)} (seen first: ${seen.length})`);
    expect(without).toContain('/media/vod/master.m3u8');
    // each one loaded without the worker: once more through it, never twice
    for (const path of without) expect(all.filter(([p, viaWorker]) => p === path && viaWorker), path).toHaveLength(1);
    await waitForPlayback(v.page, 6, 30_000);
    expect(await playerErrors(v.page)).toEqual([]);
    await v.close();
  });

  it('a reload that bypasses the worker (shift-reload) still plays, and swarmfetch takes the page back', async () => {
    const v = await open(browser, `${demo.url}/`);
    await waitFor('the worker to control the page', () => stats(v.page), (s) => !!s && s.active);
    const cdp = await v.context.newCDPSession(v.page);
    await Promise.all([v.page.waitForEvent('load'), cdp.send('Page.reload', { ignoreCache: true })]);
    await waitForPlayback(v.page, 6, 30_000);
    await waitFor('swarmfetch to be active again', () => stats(v.page), (s) => !!s && s.active, 10_000);
    await cdp.detach();
  });
});

describe('two viewers of the live stream', () => {
  it('share live segments checked with the hashes in the playlist (the oracle only before a page has seen its playlist)', async () => {
    const demo = await startDemo(); // its own origin counter: only these two viewers
    // the live simulator loops over the VOD files: seg_<s>.ts of a rendition is its VOD seg_<s mod 30>
    const live = new Map<string, string>();
    for (const r of ['180p', '360p']) {
      for (let s = 0; s < 1000; s++) live.set(`/media/live/${r}/seg_${s}.ts`, origin.get(`/media/vod/${r}/seg_${String(s % 30).padStart(3, '0')}.ts`)!);
    }
    const page = `${demo.url}/?src=/media/live/master.m3u8`;
    const scripts = [eventLog, segmentLog, segmentHashesInitScript];
    try {
      const a = await open(browser, page, { initScript: scripts, contextOptions: { userAgent: 'live-a' } });
      await waitFor('viewer A to hold live segments', () => stats(a.page), (s) => !!s && s.storeSegments >= 3, 40_000);
      const b = await open(browser, page, { initScript: scripts, contextOptions: { userAgent: 'live-b' } });
      // Which of the two fetches a live segment over HTTP depends on who plays nearer the live edge, which is the
      // players' choice, not swarmfetch's: hls.js may start B one segment ahead of A (B then fetches every new
      // segment first and A gets it from B; B's own P2P share is then ~15 %, seen in CI), or behind it. The claim is
      // the swarm's: each live segment both play is fetched from the origin about once.
      await waitFor('the two viewers to share a live segment', async () => [await stats(a.page), await stats(b.page)], (s) => !!s[0] && !!s[1] && s[0].p2pBytes + s[1].p2pBytes > 0, 60_000);
      // a few more live segments (one every 2 s) while both play: at least three asked by B connected (seen: 3–5 with 6 s)
      const t = { a: (await videoState(a.page)).currentTime, b: (await videoState(b.page)).currentTime };
      await waitForPlayback(b.page, t.b + 8, 30_000);
      await waitForPlayback(a.page, t.a + 8, 30_000);

      const [sa, sb] = [await stats(a.page), await stats(b.page)];
      const [ea, eb] = [await segmentEvents(a.page), await segmentEvents(b.page)];
      const brief = (es: typeof ea) => es.map((e) => `${e.at}:${e.url.replace(/^.*\/live\//, '')}:${e.source}${e.fallback ? '/' + e.fallback : ''}:${e.ms}ms`).join(' ');
      console.log(`events A: ${await swarmLog(a.page)}\nevents B: ${await swarmLog(b.page)}`);
      console.log(`segments A: ${brief(ea)}\nsegments B: ${brief(eb)}`);
      console.log(`live: A p2p ${sa!.p2pBytes} B, http ${sa!.httpBytes} B; B p2p ${sb!.p2pBytes} B, http ${sb!.httpBytes} B; verified A ${JSON.stringify(sa!.verifiedBy)}, B ${JSON.stringify(sb!.verifiedBy)}`);
      const fromPeers = [...ea, ...eb].filter((e) => e.source === 'p2p');
      // the segments both played: each one B asked once its peer connection was open is fetched over HTTP by one
      // viewer only. What B asks before that goes to HTTP by design: its joins wait for its first segment (JoinGate),
      // and on a loaded machine hls.js asks the next ones before its connection is open — seen in CI: B's first two
      // 360p segments, both also fetched by A before B came.
      // If sharing breaks, every one is fetched twice.
      const sourceOf = (es: typeof ea) => new Map(es.map((e) => [e.url, e.source]));
      const [fromA, fromB] = [sourceOf(ea), sourceOf(eb)];
      const common = [...fromA.keys()].filter((url) => fromB.has(url));
      const connectedB = (JSON.parse(await swarmLog(b.page)) as unknown[][]).find((e) => e[0] === 'peer' && e[2] === 'connected');
      expect(connectedB, 'B connected to A').toBeDefined();
      const connectedAt = connectedB![4] as number;
      // a segment event comes when its answer is ready, `ms` after it was asked
      const askedByBConnected = new Set(eb.filter((e) => e.at - e.ms >= connectedAt).map((e) => e.url));
      const shared = common.filter((url) => askedByBConnected.has(url));
      const twice = shared.filter((url) => fromA.get(url) === 'http' && fromB.get(url) === 'http');
      console.log(`live: B connected at ${connectedAt} ms; ${common.length} segments in common, ${shared.length} asked by B connected, ${twice.length} of them fetched by both`);
      expect(common.length, 'live segments both viewers played').toBeGreaterThanOrEqual(4);
      expect(shared.length, 'live segments both played, asked by B connected').toBeGreaterThanOrEqual(3);
      expect(twice.length, `live segments both fetched over HTTP: ${twice.join(' ')}`).toBe(0);
      expect(fromPeers.length).toBeGreaterThanOrEqual(shared.length);
      // every live segment a player got from a peer was checked: against its playlist's hash — or, for a segment
      // asked before the page's agent has seen its playlist, against the oracle's. On a first visit the playlist the
      // player loads before the worker controls the page never reaches the agent; the next reload (2 s later) does.
      // Seen in CI: B 5 by playlist, 1 by oracle. Never unchecked, never by a manifest (a live stream has none).
      expect(fromPeers.filter((e) => e.verifiedBy !== 'playlist' && e.verifiedBy !== 'oracle')).toEqual([]);
      for (const s of [sa!, sb!]) {
        expect(s.verifiedBy.manifest).toBe(0);
        expect(s.verifiedBy.oracle, 'oracle checks only before the playlist arrives').toBeLessThanOrEqual(2);
      }
      expect(sa!.verifiedBy.playlist + sb!.verifiedBy.playlist).toBeGreaterThanOrEqual(2);
      // …so the oracle looked up at most those few: the origin sent the oracle at most two live segments
      expect(await oracleLookups(a.page)).toBeLessThanOrEqual(2);
      expect(await oracleLookups(b.page)).toBeLessThanOrEqual(2);
      const served = (await (await fetch(`${demo.url}/demo-stats/origin`)).json()) as { byAgent: Record<string, number> };
      const toOthers = Object.entries(served.byAgent).filter(([agent]) => !agent.startsWith('live-'));
      expect(toOthers.reduce((n, [, b]) => n + b, 0), JSON.stringify(toOthers)).toBeLessThanOrEqual(2 * 200_000);

      // hls.js ignores the tag: it played the live stream, byte-exact, without a playlist error
      assertByteExact(await readSegmentHashes(a.page), live, { minSegments: 4 });
      assertByteExact(await readSegmentHashes(b.page), live, { minSegments: 4 });
      for (const v of [a, b]) {
        expect(await v.page.evaluate("window.demo.errors.filter((e) => e.fatal || /parsing/i.test(e.details))")).toEqual([]);
        expect(v.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
      }
    } finally {
      await demo.stop();
    }
  });
});

describe('a site whose P2P server lives on another origin', () => {
  it('shares across origins, and keeps playing over HTTP once the P2P server is stopped', async () => {
    const p2p = await startP2pServer();
    const site = await startStaticServer({
      root: REPO_ROOT,
      files: { '/index.html': crossOriginPage(p2p.url) },
      headers: { 'Service-Worker-Allowed': '/' },
    });
    const siteOrigin = await originHashes(join(REPO_ROOT, 'demo/media'), '/demo/media/');
    try {
      const a = await open(browser, `${site.url}/index.html`, { initScript: segmentHashesInitScript });
      await waitFor('viewer A to hold segments', () => stats(a.page), (s) => !!s && s.storeSegments >= 6);
      const b = await open(browser, `${site.url}/index.html`, { initScript: segmentHashesInitScript });
      // A holds ≥ 6 segments (~120 KB each) before B arrives: B gets at least two of them from A across origins
      const shared = await waitFor('B to get two segments\' worth from A', () => stats(b.page), (s) => !!s && s.p2pBytes >= 200_000, 30_000);
      console.log(`cross-origin: B p2p ${shared!.p2pBytes} B, http ${shared!.httpBytes} B`);

      await p2p.stop();
      const t = { a: (await videoState(a.page)).currentTime, b: (await videoState(b.page)).currentTime };
      await waitForPlayback(a.page, t.a + 6, 30_000);
      await waitForPlayback(b.page, t.b + 6, 30_000);

      // a viewer arriving while the server is down plays over HTTP
      const c = await open(browser, `${site.url}/index.html`, { initScript: segmentHashesInitScript });
      await waitForPlayback(c.page, 10, 40_000);
      const sc = await stats(c.page);
      expect(sc?.peers).toBe(0);
      for (const v of [a, b, c]) {
        assertByteExact(await readSegmentHashes(v.page), siteOrigin, { minSegments: 5 });
        expect(await playerErrors(v.page)).toEqual([]);
        expect(v.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
      }
    } finally {
      await p2p.stop();
      await site.stop();
    }
  });
});
