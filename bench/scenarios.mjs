// The swarm scenarios: N viewers (one browser context each, own User-Agent) playing the demo page, run once with
// service workers blocked and P2P off (baseline: no swarmfetch on the delivery path, no peer) and once with swarmfetch.
import { loadavg } from 'node:os';
import { browserPid, closeBrowser, launchBrowser, launchViewerBrowser, processTreeCpu, userAgentFor } from './browser.mjs';
import { coturnUsage } from './net.mjs';
import { probeScript } from './probe.mjs';
import { evaluate, log, sleep, withTimeout } from './util.mjs';

/** The smallest rendition, so decoding stays cheap on 2 cores and stalls are not P2P's fault. */
export const STREAMS = {
  vod: '/media/vod/180p/index.m3u8',
  // vod-abr: the 4-rendition ladder of scripts/make-abr-media.sh (~0.3 / 0.5 / 0.8 / 1.5 Mbit/s; made on demand into
  // demo/media/abr by bench/abrMedia.mjs), hls.js's ABR on
  abr: '/media/abr/master.m3u8',
  // vod-master: the demo's own 2-rendition VOD (~0.25 / ~0.5 Mbit/s, committed), hls.js's ABR on: the stream of the
  // 6-viewer lab runs that issue 14 quotes (p2p-media-loader: 27.1 % offload on 10/2 Mbit/s lines)
  master: '/media/vod/master.m3u8',
  live: '/media/live/180p/index.m3u8',
};

/** Upload cap given to one viewer in `upload-cap` (bytes/s; the 180p stream needs ~32 KB/s per viewer). */
export const UPLOAD_CAP_BYTES_PER_SEC = 32 * 1024;

export const SCENARIOS = {
  'vod-staggered': { stream: 'vod', together: false, about: 'VOD, viewers join stagger-ms apart' },
  'vod-together': { stream: 'vod', together: true, about: 'VOD, all viewers join at once' },
  live: { stream: 'live', together: false, about: 'live (simulated sliding window), viewers join stagger-ms apart' },
  churn: { stream: 'vod', together: false, churn: true, about: 'VOD staggered; the viewer that uploaded most leaves mid-run' },
  'vod-abr': { stream: 'abr', together: false, about: 'VOD staggered, 4-rendition master playlist (0.3–1.5 Mbit/s), hls.js ABR on (ABR honesty)' },
  'vod-master': { stream: 'master', together: false, about: 'VOD staggered, the demo\'s 2-rendition master playlist (0.25–0.5 Mbit/s), hls.js ABR on' },
  'upload-cap': { stream: 'vod', together: false, uploadCap: UPLOAD_CAP_BYTES_PER_SEC, about: 'VOD staggered; the first viewer has a low upload cap' },
};

export const DEFAULT_SCENARIOS = ['vod-staggered', 'vod-together', 'live'];

/**
 * Whether this build of swarmfetch knows `uploadMaxBytesPerSec`: one throwaway swarmfetch page reads
 * `window.swarmfetch.config` (an unknown data-* option would make the drop-in refuse to start, so it is only
 * passed when the option exists). With the network lab (`net`), the page runs in viewer 0's home (the demo's
 * origin is a secure origin only for lab browsers).
 */
export async function probeUploadCapOption(demoUrl, net = null) {
  const browser = net ? await launchViewerBrowser(net.lab.viewers[0], { secureOrigins: [demoUrl] }) : await launchBrowser();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${demoUrl}/?src=/bench-no-stream.m3u8`, { waitUntil: 'load', timeout: 20_000 });
    const keys = await evaluate(page, () => (window.swarmfetch && window.swarmfetch.config ? Object.keys(window.swarmfetch.config) : null));
    await context.close();
    return { swarmfetchLoaded: keys !== null, supported: keys !== null && keys.includes('uploadMaxBytesPerSec') };
  } finally {
    await closeBrowser(browser);
  }
}

/** Samples the machine's 1-minute load average while a run goes on (2 cores: above ~2 the figures suffer). */
function loadSampler() {
  const samples = [loadavg()[0]];
  const timer = setInterval(() => samples.push(loadavg()[0]), 5_000);
  return () => {
    clearInterval(timer);
    samples.push(loadavg()[0]);
    return { mean: Math.round((samples.reduce((a, b) => a + b, 0) / samples.length) * 10) / 10, max: Math.round(Math.max(...samples) * 10) / 10 };
  };
}

async function openViewer(browser, { url, mode, tag, scriptData }) {
  if (!browser) throw new Error('its browser did not launch');
  const userAgent = userAgentFor(browser, tag);
  const context = await browser.newContext({
    userAgent,
    serviceWorkers: mode === 'baseline' ? 'block' : 'allow',
    viewport: { width: 480, height: 360 },
  });
  const pageErrors = [];
  try {
    await context.addInitScript(probeScript({ scriptData }));
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.length < 20 && pageErrors.push(`pageerror: ${String(err.message).slice(0, 300)}`));
    page.on('crash', () => pageErrors.push('crash: the page crashed'));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && pageErrors.length < 20) pageErrors.push(`console.error: ${msg.text().slice(0, 300)}`);
    });
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 20_000 });
    return { context, page, userAgent, tag, pageErrors };
  } catch (err) {
    await context.close().catch(() => undefined);
    throw err;
  }
}

async function snapshot(viewer) {
  try {
    return await evaluate(viewer.page, () => window.__bench.snapshot(), undefined, 15_000, `snapshot of ${viewer.tag}`);
  } catch (err) {
    return { failed: String(err.message ?? err) };
  }
}

async function uploadedBytes(viewer) {
  try {
    return await evaluate(viewer.page, () => (window.swarmfetch ? window.swarmfetch.stats().uploadedBytes : 0), undefined, 5_000);
  } catch {
    return -1;
  }
}

/**
 * One Chromium per lab viewer (a browser lives in one network namespace), launched one after the other before the
 * run's clock starts, so joins keep their schedule. A browser that fails to launch is null (its viewer fails to
 * open, nothing is retried).
 */
async function launchLabBrowsers(net, n, demoUrl, label) {
  const browsers = new Array(n).fill(null);
  const errors = new Array(n).fill(null);
  const started = Date.now();
  for (let i = 0; i < n; i++) {
    try {
      browsers[i] = await launchViewerBrowser(net.lab.viewers[i], { secureOrigins: [demoUrl] });
    } catch (err) {
      errors[i] = String(err.message ?? err).slice(0, 500);
      log(`  ${label}: viewer ${i}'s browser failed to launch: ${errors[i]}`);
    }
  }
  return { browsers, errors, launchMs: Date.now() - started };
}

/**
 * Runs one scenario in one mode. Never retries: a viewer that fails to open or to report is recorded as such.
 * Without `net`: one browser, one context per viewer (the flat namespace of netns.sh). With `net` (bench/net.mjs):
 * viewer i is a Chromium of its own in lab viewer i's home namespace.
 * @param {{ name: string, mode: 'baseline'|'swarmfetch', demo: Awaited<ReturnType<import('./servers.mjs').startDemo>>,
 *   viewers: number, staggerMs: number, seconds: number, uploadCapSupported: boolean, maxBufferSec?: number | null,
 *   net?: Awaited<ReturnType<import('./net.mjs').startNet>> | null }} o
 */
export async function runScenarioMode(o) {
  const sc = SCENARIOS[o.name];
  // the same page in both modes, without the demo's dashboard: its rendering is the demo's cost, not swarmfetch's
  const url = `${o.demo.url}/?src=${encodeURIComponent(STREAMS[sc.stream])}&dashboard=off${o.maxBufferSec ? `&maxBufferSec=${o.maxBufferSec}` : ''}`;
  const stagger = sc.together ? 0 : o.staggerMs;
  const lastJoinMs = (o.viewers - 1) * stagger;
  const runMs = lastJoinMs + o.seconds * 1000;
  const runTag = `${o.name}/${o.mode}/${Date.now().toString(36)}`;
  const viewers = new Array(o.viewers).fill(null);
  const records = new Array(o.viewers).fill(null);
  const events = [];
  const load = loadSampler();
  // viewer i's browser: the one shared browser, or (--net) its own in its home namespace
  let browsers = [];
  let launch = null;
  try {
    if (o.net) {
      launch = await launchLabBrowsers(o.net, o.viewers, o.demo.url, `${o.name}/${o.mode}`);
      browsers = launch.browsers;
    } else {
      const browser = await launchBrowser();
      browsers = new Array(o.viewers).fill(browser);
    }
    const netOf = (i) => {
      const v = o.net?.lab.viewers[i];
      return v ? { nat: v.nat, profile: v.profile, wanAddress: v.wanAddress } : undefined;
    };
    const before = await o.demo.originStats();
    const turnBefore = o.net?.coturn ? coturnUsage(o.net.coturn.log()) : null;
    const t0 = Date.now();
    const open = async (i) => {
      await sleep(t0 + i * stagger - Date.now());
      const capped = sc.uploadCap !== undefined && i === 0;
      // the baseline's drop-in script has P2P off: with its worker blocked its agent would still make peer
      // connections (which can deliver nothing) and spend the page's CPU and line on them
      const scriptData = o.mode === 'baseline' ? { p2p: 'off' }
        : capped && o.uploadCapSupported ? { uploadMaxBytesPerSec: String(sc.uploadCap) } : {};
      const joinedAtMs = Date.now() - t0;
      try {
        viewers[i] = await openViewer(browsers[i], { url, mode: o.mode, tag: `${runTag}/v${i}`, scriptData });
        records[i] = { index: i, joinedAtMs, capped, left: false, userAgent: viewers[i].userAgent, net: netOf(i) };
      } catch (err) {
        const why = launch?.errors[i] ? `browser launch: ${launch.errors[i]}` : String(err.message ?? err);
        records[i] = { index: i, joinedAtMs, capped, left: false, openFailed: why, net: netOf(i) };
        log(`  ${o.name}/${o.mode}: viewer ${i} failed to open: ${err.message ?? err}`);
      }
    };
    const joins = Promise.all(Array.from({ length: o.viewers }, (_, i) => open(i)));

    let churn = Promise.resolve();
    if (sc.churn) {
      churn = (async () => {
        await sleep(t0 + runMs / 2 - Date.now());
        await joins; // (joins end before mid-run with the defaults; never close a viewer still opening)
        const open = viewers.map((v, i) => ({ v, i })).filter((x) => x.v);
        if (open.length === 0) return;
        let leaver = open[0];
        let up = -1;
        if (o.mode === 'swarmfetch') {
          const ups = await Promise.all(open.map((x) => uploadedBytes(x.v)));
          for (let k = 0; k < open.length; k++) if (ups[k] > up) [up, leaver] = [ups[k], open[k]];
        }
        const atMs = Date.now() - t0;
        records[leaver.i].snapshot = await snapshot(leaver.v);
        records[leaver.i].left = true;
        records[leaver.i].leftAtMs = atMs;
        records[leaver.i].pageErrors = leaver.v.pageErrors;
        await leaver.v.context.close().catch(() => undefined);
        viewers[leaver.i] = null;
        events.push({ atMs, what: `viewer ${leaver.i} left (uploaded ${up >= 0 ? up : 'n/a'} bytes so far)` });
        log(`  ${o.name}/${o.mode}: viewer ${leaver.i} left at ${(atMs / 1000).toFixed(1)} s (uploaded ${up >= 0 ? up : 'n/a'} B)`);
      })();
    }

    await joins;
    await churn;
    await sleep(t0 + runMs - Date.now());
    const endedAtMs = Date.now() - t0;
    const snaps = await Promise.all(viewers.map((v) => (v ? snapshot(v) : null)));
    for (let i = 0; i < o.viewers; i++) {
      if (!viewers[i]) continue;
      records[i].snapshot = snaps[i];
      records[i].pageErrors = viewers[i].pageErrors;
    }
    // CPU of every browser of the run (one, or one per lab viewer), summed by process type
    const browserCpu = sumCpu([...new Set(browsers.filter(Boolean))].map((b) => processTreeCpu(browserPid(b))));
    // close before reading the origin, so bytes of requests still in flight are counted against swarmfetch
    await Promise.all(viewers.map((v) => (v ? withTimeout(v.context.close(), 10_000, 'context.close').catch(() => undefined) : null)));
    viewers.fill(null);
    await sleep(300);
    const after = await o.demo.originStats();
    let turn = null;
    if (turnBefore) {
      const u = coturnUsage(o.net.coturn.log());
      turn = { sessions: u.sessions - turnBefore.sessions, closed: u.closed - turnBefore.closed };
    }
    const viewerAgents = new Set();
    for (const r of records) {
      const b = browsers[r.index] ?? browsers.find(Boolean);
      const ua = b ? userAgentFor(b, `${runTag}/v${r.index}`) : null;
      viewerAgents.add(ua);
      r.originBytes = (after.byAgent[ua] ?? 0) - (before.byAgent[ua] ?? 0);
    }
    // origin bytes no viewer's page or worker asked for (e.g. the hash oracle's own fetches), by User-Agent
    const otherAgents = {};
    for (const [ua, n] of Object.entries(after.byAgent)) {
      const d = n - (before.byAgent[ua] ?? 0);
      if (d > 0 && !viewerAgents.has(ua)) otherAgents[ua.slice(0, 120)] = d;
    }
    return {
      scenario: o.name, mode: o.mode, url, viewers: o.viewers, staggerMs: stagger, seconds: o.seconds,
      runMs: endedAtMs, originBytes: after.total - before.total, otherAgents, records, events,
      net: o.net ? { ...o.net.describe(), coturn: turn } : null,
      conditions: {
        browsers: new Set(browsers.filter(Boolean)).size,
        browserLaunchS: launch ? Math.round(launch.launchMs / 100) / 10 : null,
        loadAvg1m: load(),
        browserCpuS: browserCpu ? Math.round(browserCpu.total * 10) / 10 : null,
        browserCpuByType: browserCpu?.byType ?? null,
      },
    };
  } finally {
    load();
    await Promise.all(viewers.map((v) => (v ? v.context.close().catch(() => undefined) : null)));
    await Promise.all([...new Set(browsers.filter(Boolean))].map((b) => closeBrowser(b)));
  }
}

/** Sums processTreeCpu results (nulls skipped; null when none). */
function sumCpu(list) {
  const ok = list.filter(Boolean);
  if (ok.length === 0) return null;
  const byType = {};
  for (const c of ok) for (const [k, v] of Object.entries(c.byType)) byType[k] = Math.round(((byType[k] ?? 0) + v) * 10) / 10;
  return { total: ok.reduce((a, c) => a + c.total, 0), byType };
}
