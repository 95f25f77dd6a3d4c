/**
 * G8 (issue 4): isolation, in real Chromium against the built bundles and the real P2P server CLI.
 * - A page on another origin cannot join the swarm: the server (allowing only the site's origin) refuses its
 *   signalling websocket and its tracker requests; that page plays over HTTP, byte-exact, with no peer.
 * - A forged peer id is refused: another page takes a viewer's id on signalling (ID-TAKEN), joins the tracker with
 *   that id and a wrong token (403 forbidden), or joins another site's swarm (403 wrong-origin). The viewer keeps its
 *   id, and two viewers of the site still share segments byte-exact afterwards.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  startStaticServer,
  videoState,
  waitForPlayback,
  type RunningServer,
  type StaticServer,
  type Viewer,
} from '../e2e/harness';
import { crossOriginPage } from '../e2e/fixtures/crossOriginPage';

interface Stats {
  httpBytes: number;
  p2pBytes: number;
  peers: number;
  storeSegments: number;
  peerId: string | null;
}

const stats = (page: Page) => page.evaluate('window.swarmfetch ? window.swarmfetch.stats() : null') as Promise<Stats | null>;

/** swarmfetch's peer and error events in the page. */
const eventLog = `(() => {
  window.__swarmLog = [];
  const t = setInterval(() => {
    if (!window.swarmfetch) return;
    clearInterval(t);
    window.swarmfetch.on('peer', (e) => window.__swarmLog.push(['peer', e.peerId, e.state, e.reason || '']));
    window.swarmfetch.on('error', (e) => window.__swarmLog.push(['error', e.code, e.message]));
  }, 5);
})();`;
const swarmLog = async (page: Page) => JSON.parse((await page.evaluate('JSON.stringify(window.__swarmLog || [])')) as string) as string[][];

async function waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** In the page: opens a PeerJS signalling websocket; resolves with its first message type, or how it closed. */
function probeSignalling(page: Page, wsUrl: string): Promise<string> {
  return page.evaluate(
    (url) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url);
        const timer = setTimeout(() => resolve('no answer in 5 s'), 5000);
        ws.onmessage = (e) => {
          clearTimeout(timer);
          resolve(`message ${JSON.parse(String(e.data)).type}`);
          ws.close();
        };
        ws.onclose = (e) => {
          clearTimeout(timer);
          resolve(`closed ${e.code}`);
        };
      }),
    wsUrl,
  );
}

/** In the page: POSTs a tracker join; resolves with 'status body', or 'blocked' when the browser withheld the answer. */
function probeJoin(page: Page, url: string, body: unknown): Promise<string> {
  return page.evaluate(
    async ([u, b]) => {
      try {
        const res = await fetch(u as string, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
        return `${res.status} ${await res.text()}`;
      } catch {
        return 'blocked';
      }
    },
    [url, body] as const,
  );
}

let browser: Browser;
let p2p: RunningServer;
let site: StaticServer;
let otherSite: StaticServer;
let origin: Map<string, string>;
const viewers: Viewer[] = [];
const open = async (...args: Parameters<typeof newViewer>) => {
  const v = await newViewer(...args);
  viewers.push(v);
  return v;
};

beforeAll(async () => {
  const p2pPort = await freePort();
  const p2pUrl = `http://127.0.0.1:${p2pPort}`;
  const files = { '/index.html': crossOriginPage(p2pUrl), '/blank.html': '<!doctype html><title>blank</title>', '/favicon.ico': '' };
  const headers = { 'Service-Worker-Allowed': '/' };
  // the same page and media on two origins (two ports); the P2P server allows only the first
  site = await startStaticServer({ root: REPO_ROOT, files, headers });
  otherSite = await startStaticServer({ root: REPO_ROOT, files, headers });
  p2p = await startP2pServer(p2pPort, ['--allow-origin', site.url]);
  browser = await launchBrowser();
  origin = await originHashes(join(REPO_ROOT, 'demo/media'), '/demo/media/');
});

afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  await p2p?.stop();
  await site?.stop();
  await otherSite?.stop();
});

describe('G8 isolation', () => {
  it('a page on another origin cannot join the swarm; a forged peer id is refused; the site swarm carries on', async () => {
    const wsUrl = (id: string, token: string) => `ws://127.0.0.1:${p2p.port}/peerjs/peerjs?key=peerjs&id=${id}&token=${token}`;
    const joinUrl = `${p2p.url}/swarmfetch/v1/join`;
    const siteSwarm = `${site.url}|${site.url}/demo/media/vod/360p/`;

    const a = await open(browser, `${site.url}/index.html`, { initScript: [eventLog, segmentHashesInitScript] });
    const sa = await waitFor('viewer A to get a peer id and hold segments', () => stats(a.page), (s) => !!s?.peerId && s.storeSegments >= 6);
    const aliceId = sa!.peerId!;

    // --- a page on another origin ---
    const e = await open(browser, `${otherSite.url}/index.html`, { initScript: [eventLog, segmentHashesInitScript] });
    await waitForPlayback(e.page, 8, 60_000);
    expect(await probeSignalling(e.page, wsUrl('eve-1', 'tokE'))).toBe('closed 1006'); // handshake refused (401)
    expect(await probeJoin(e.page, joinUrl, { peerId: aliceId, token: 'x', swarm: siteSwarm })).toBe('blocked'); // 403, no CORS
    const se = await stats(e.page);
    expect(se).toMatchObject({ peerId: null, peers: 0, p2pBytes: 0 });
    expect((await swarmLog(e.page)).some(([kind, code]) => kind === 'error' && code === 'server-unreachable')).toBe(true);
    assertByteExact(await readSegmentHashes(e.page), origin, { minSegments: 3 });

    // --- forged peer ids, from a page of the site itself ---
    const f = await open(browser, `${site.url}/blank.html`);
    expect(await probeSignalling(f.page, wsUrl(aliceId, 'forged-token'))).toBe('message ID-TAKEN');
    expect(await probeJoin(f.page, joinUrl, { peerId: aliceId, token: 'forged-token', swarm: siteSwarm })).toBe('403 {"error":"forbidden"}');
    // with an id of its own it may join its site's swarms, and only those
    const own = await f.page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          (window as unknown as { __own: WebSocket }).__own = ws; // stays connected
          ws.onmessage = (m) => resolve(JSON.parse(String(m.data)).type);
          ws.onclose = (c) => resolve(`closed ${c.code}`);
        }),
      wsUrl('forger-1', 'tokF'),
    );
    expect(own).toBe('OPEN');
    const otherSwarm = `${otherSite.url}|${otherSite.url}/demo/media/vod/360p/`;
    expect(await probeJoin(f.page, joinUrl, { peerId: 'forger-1', token: 'tokF', swarm: otherSwarm })).toBe('403 {"error":"wrong-origin"}');
    expect(await probeJoin(f.page, joinUrl, { peerId: 'forger-1', token: 'tokF', swarm: siteSwarm })).toMatch(/^200 /);

    // --- the site's swarm is unharmed: A kept its id, a second viewer gets bytes from A ---
    const b = await open(browser, `${site.url}/index.html`, { initScript: [eventLog, segmentHashesInitScript] });
    // not a token byte: at least two segments' worth (~120 KB each at 360p) from A, which holds ≥ 6 when B arrives
    await waitFor('B to get two segments\' worth from A', () => stats(b.page), (s) => !!s && s.p2pBytes >= 200_000, 45_000);
    const tA = (await videoState(a.page)).currentTime;
    await waitForPlayback(a.page, tA + 3, 30_000);
    await waitForPlayback(b.page, 6, 30_000);
    expect((await stats(a.page))!.peerId).toBe(aliceId);
    const peersSeenByA = (await swarmLog(a.page)).filter(([kind]) => kind === 'peer').map(([, id]) => id);
    expect(peersSeenByA).not.toContain('forger-1');
    expect(peersSeenByA).not.toContain('eve-1');
    assertByteExact(await readSegmentHashes(a.page), origin, { minSegments: 6 });
    assertByteExact(await readSegmentHashes(b.page), origin, { minSegments: 3 });
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });
});
