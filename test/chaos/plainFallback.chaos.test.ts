/**
 * G10 (issue 4): a browser with no WebRTC (RTCPeerConnection removed), with or without a service worker, and a
 * shift-reload (CDP reload ignoring the cache, which also bypasses the worker): the demo plays as plain HTTP, with
 * no error shown to the viewer (no console error, no uncaught exception, no player error in the page) and every
 * segment byte the origin's, before and after the reload.
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
  startDemo,
  waitForPlayback,
  type DemoServer,
  type Viewer,
} from '../e2e/harness';
import { eventLog, fatalPlayerErrors, playback, playbackMonitor, stats, STALL_MAX_MS } from './kit/probes';

const noWebRtc = `delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection; delete window.RTCDataChannel;`;
/** Every text the demo's status line showed that speaks of an error. */
const shownErrors = `(() => {
  const shown = [];
  Object.defineProperty(window, '__shownErrors', { value: shown });
  document.addEventListener('DOMContentLoaded', () => {
    const status = document.getElementById('status');
    if (!status) return;
    new MutationObserver(() => { if (/error|cannot/i.test(status.textContent)) shown.push(status.textContent); })
      .observe(status, { childList: true, characterData: true, subtree: true });
  });
})();`;

let browser: Browser;
let demo: DemoServer;
let origin: Map<string, string>;
const viewers: Viewer[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  demo = await startDemo();
  origin = await originHashes(join(REPO_ROOT, 'demo/media'), '/media/');
});
afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  await demo?.stop();
});

async function playReloadPlay(v: Viewer) {
  await waitForPlayback(v.page, 4, 40_000);
  const before = await readSegmentHashes(v.page);
  const firstLoad = { stats: await stats(v.page), shown: await v.page.evaluate('window.__shownErrors'), fatal: await fatalPlayerErrors(v.page), playback: (await playback(v.page))! };
  const cdp = await v.context.newCDPSession(v.page);
  await Promise.all([v.page.waitForEvent('load'), cdp.send('Page.reload', { ignoreCache: true })]);
  await cdp.detach();
  await waitForPlayback(v.page, 4, 40_000);
  const after = await readSegmentHashes(v.page);
  const secondLoad = { stats: await stats(v.page), shown: await v.page.evaluate('window.__shownErrors'), fatal: await fatalPlayerErrors(v.page), playback: (await playback(v.page))! };
  return { before, after, loads: [firstLoad, secondLoad] };
}

it('G10: no WebRTC, no service worker, shift-reload: plain HTTP playback, byte-exact, no error shown', async () => {
  const v = await newViewer(browser, `${demo.url}/`, {
    blockServiceWorkers: true,
    initScript: [noWebRtc, eventLog, shownErrors, playbackMonitor, segmentHashesInitScript],
  });
  viewers.push(v);
  const { before, after, loads } = await playReloadPlay(v);
  console.log(`G10 (no WebRTC, no worker): ${before.length} + ${after.length} segments byte-exact; longest stall ${loads.map((l) => l.playback.longestStallMs).join(' / ')} ms; errors shown ${JSON.stringify(loads.map((l) => l.shown))}; console errors ${v.errors.length}`);
  for (const l of loads) {
    expect(l.stats?.active).toBe(false);
    expect(l.stats?.p2pBytes).toBe(0);
    expect(l.shown).toEqual([]);
    expect(l.fatal).toEqual([]);
    expect(l.playback.longestStallMs).toBeLessThan(STALL_MAX_MS);
  }
  assertByteExact(before, origin, { minSegments: 3 });
  assertByteExact(after, origin, { minSegments: 3 });
  expect(v.errors).toEqual([]);
});

it('G10: no WebRTC with the service worker, shift-reload: plays through the worker over HTTP, byte-exact, no error shown', async () => {
  const v = await newViewer(browser, `${demo.url}/`, { initScript: [noWebRtc, eventLog, shownErrors, playbackMonitor, segmentHashesInitScript] });
  viewers.push(v);
  const { before, after, loads } = await playReloadPlay(v);
  console.log(`G10 (no WebRTC, worker): ${before.length} + ${after.length} segments byte-exact; active ${loads.map((l) => l.stats?.active).join(' / ')}; longest stall ${loads.map((l) => l.playback.longestStallMs).join(' / ')} ms; errors shown ${JSON.stringify(loads.map((l) => l.shown))}; console errors ${v.errors.length}`);
  for (const l of loads) {
    expect(l.stats?.peers).toBe(0);
    expect(l.stats?.p2pBytes).toBe(0);
    expect(l.shown).toEqual([]);
    expect(l.fatal).toEqual([]);
    expect(l.playback.longestStallMs).toBeLessThan(STALL_MAX_MS);
  }
  assertByteExact(before, origin, { minSegments: 3 });
  assertByteExact(after, origin, { minSegments: 3 });
  expect(v.errors).toEqual([]);
});
