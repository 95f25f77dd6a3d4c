// Micro-benchmarks, measured in the same run as the scenarios:
//   (a) a stored 1 MiB segment through the service worker vs HTTP through it vs HTTP without it;
//   (b) a 2 MiB segment from a peer through swarmfetch vs a raw RTCDataChannel between two pages;
//   (c) gzip sizes of the drop-in bundles, and of the npm page entry as a site's bundler makes it;
//   (d) the in-browser cost of the SHA-256 check of peer bytes, per MiB (moved here from the G1 chaos test,
//       where it was a timing with nothing to assert).
// The large segments come from a synthetic origin on its own port (bench/servers.mjs: in memory, CORS open,
// Cache-Control: no-store), fetched cross-origin by pages of the demo origin — the service worker handles them
// like any segment (its pattern matches the path; the response is CORS-readable, so it is stored and shared).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { closeBrowser, launchBrowser } from './browser.mjs';
import { probeScript } from './probe.mjs';
import { REPO_ROOT, startSyntheticOrigin } from './servers.mjs';
import { evaluate, log, median, percentile, round, sleep } from './util.mjs';

const MiB = 1024 * 1024;
export const RT_BYTES = MiB;
export const P2P_BYTES = 2 * MiB;
/** A demo page whose player has nothing to play (hls.js gets a 404 and stops): swarmfetch runs, nothing decodes. */
const IDLE_PAGE = '/?src=/bench-no-stream.m3u8';

// The raw data channel page: chunks of 16 KiB, sending pauses above 1 MiB buffered and resumes on
// bufferedamountlow at 256 KiB (the shape swarmfetch's PeerLink uses: 16 KiB frames, sendHighWaterBytes 1 MiB).
// The receiver keeps the chunks, makes one Blob of them (as swarmfetch reassembles into a Blob) and acks;
// the sender's time runs from the first send to the ack.
const RAW_PAGE = `<!doctype html><meta charset="utf-8"><title>raw data channel</title>
<script>
const CHUNK = 16 * 1024, HIGH = 1024 * 1024, LOW = 256 * 1024;
function gathered(pc) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
  });
}
window.raw = {
  pc: null, dc: null, chunks: [], bytes: 0, expected: 0, onAck: null, payload: null,
  listen(dc) {
    dc.binaryType = 'arraybuffer';
    dc.onmessage = (e) => {
      if (typeof e.data === 'string') { if (e.data === 'ack' && this.onAck) this.onAck(); return; }
      this.chunks.push(e.data);
      this.bytes += e.data.byteLength;
      if (this.expected > 0 && this.bytes >= this.expected) {
        const blob = new Blob(this.chunks);
        this.chunks = []; this.bytes = 0; this.expected = 0;
        dc.send(blob.size > 0 ? 'ack' : 'empty');
      }
    };
  },
  async offer() {
    this.pc = new RTCPeerConnection({ iceServers: [] });
    this.dc = this.pc.createDataChannel('raw');
    this.listen(this.dc);
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await gathered(this.pc);
    return this.pc.localDescription.sdp;
  },
  async answer(sdp) {
    this.pc = new RTCPeerConnection({ iceServers: [] });
    const got = new Promise((r) => (this.pc.ondatachannel = (e) => { this.dc = e.channel; this.listen(e.channel); r(); }));
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await gathered(this.pc);
    this.got = got;
    return this.pc.localDescription.sdp;
  },
  async accept(sdp) { await this.pc.setRemoteDescription({ type: 'answer', sdp }); },
  async open() {
    if (this.got) await this.got;
    if (this.dc.readyState !== 'open') await new Promise((r) => this.dc.addEventListener('open', r, { once: true }));
    return this.dc.readyState;
  },
  expect(total) { this.expected = total; },
  async send(total) {
    const dc = this.dc;
    if (!this.payload || this.payload.byteLength !== total) {
      this.payload = new Uint8Array(total);
      for (let i = 0; i < total; i += 65536) crypto.getRandomValues(this.payload.subarray(i, Math.min(total, i + 65536)));
    }
    const data = this.payload;
    dc.bufferedAmountLowThreshold = LOW;
    const acked = new Promise((r) => (this.onAck = r));
    const t0 = performance.now();
    for (let off = 0; off < total; off += CHUNK) {
      if (dc.bufferedAmount > HIGH) await new Promise((r) => dc.addEventListener('bufferedamountlow', r, { once: true }));
      dc.send(data.subarray(off, Math.min(total, off + CHUNK)));
    }
    await acked;
    return performance.now() - t0;
  },
};
</script>`;

const stats = (values) => ({
  n: values.length,
  p50: round(median(values), 2),
  p95: round(percentile(values, 95), 2),
  min: round(Math.min(...values), 2),
});

/** In a page: fetch `url` without the HTTP cache and read the whole body; time it. */
const TIMED_FETCH = async (url) => {
  const t0 = performance.now();
  const res = await fetch(url, { cache: 'no-store', benchIgnore: true });
  const body = await res.arrayBuffer();
  return { ms: performance.now() - t0, bytes: body.byteLength, status: res.status, source: res.headers.get('X-Swarmfetch-Source') };
};

async function swarmfetchPage(browser, demoUrl, name) {
  const context = await browser.newContext({ userAgent: `swarmfetch-bench-micro/${name}` });
  await context.addInitScript(probeScript());
  const page = await context.newPage();
  await page.goto(demoUrl + IDLE_PAGE, { waitUntil: 'load', timeout: 20_000 });
  await page.waitForFunction(() => window.swarmfetch && window.swarmfetch.stats().active && window.swarmfetch.stats().peerId, null, { timeout: 15_000, polling: 50 });
  return { context, page };
}

/** Fetches `url` in a page and waits until the page's store holds one more segment (the worker's copy arrived). */
async function fetchIntoStore(page, url) {
  const before = await evaluate(page, () => window.swarmfetch.stats().storeSegments);
  const r = await evaluate(page, TIMED_FETCH, url, 20_000, `fetch ${url}`);
  await page.waitForFunction((n) => window.swarmfetch.stats().storeSegments > n, before, { timeout: 10_000, polling: 20 });
  return r;
}

/** SW-reported ms of swarmfetch segment events for these paths and source. */
async function reportedMs(page, pathPrefix, source) {
  const events = await evaluate(page, () => window.__bench.snapshot().swarmfetch.segments);
  return events.filter((e) => e.path.startsWith(pathPrefix) && e.source === source).map((e) => e.ms);
}

/** (a) round trips through the service worker for a stored 1 MiB segment, and HTTP with and without it. */
async function roundTrip(browser, demoUrl, origin, runs) {
  const sw = await swarmfetchPage(browser, demoUrl, 'rt');
  const blockedContext = await browser.newContext({ serviceWorkers: 'block', userAgent: 'swarmfetch-bench-micro/rt-nosw' });
  try {
    const blocked = await blockedContext.newPage();
    await blocked.goto(demoUrl + IDLE_PAGE, { waitUntil: 'load', timeout: 20_000 });
    const warm = 3;
    const stored = `${origin.url}/rt/seg_stored.ts`;
    const first = await fetchIntoStore(sw.page, stored);
    const hit = [];
    const sources = {};
    for (let i = 0; i < warm + runs; i++) {
      const r = await evaluate(sw.page, TIMED_FETCH, stored, 10_000);
      sources[r.source ?? 'network'] = (sources[r.source ?? 'network'] ?? 0) + 1;
      if (r.bytes !== RT_BYTES) throw new Error(`stored segment fetch returned ${r.bytes} bytes, want ${RT_BYTES}`);
      if (i >= warm) hit.push(r.ms);
    }
    const swHit = (await reportedMs(sw.page, '/rt/seg_stored', 'store')).slice(warm);
    const viaSw = [];
    const viaSwSources = {};
    for (let i = 0; i < warm + runs; i++) {
      const r = await evaluate(sw.page, TIMED_FETCH, `${origin.url}/rt/seg_sw_${i}.ts`, 10_000);
      viaSwSources[r.source ?? 'network'] = (viaSwSources[r.source ?? 'network'] ?? 0) + 1;
      if (i >= warm) viaSw.push(r.ms);
      await sleep(30); // let the worker's background copy to the store finish, as between real segments
    }
    const direct = [];
    for (let i = 0; i < warm + runs; i++) {
      const r = await evaluate(blocked, TIMED_FETCH, `${origin.url}/rt/seg_direct_${i}.ts`, 10_000);
      if (i >= warm) direct.push(r.ms);
    }
    return {
      bytes: RT_BYTES,
      what:
        'page fetch(url, {cache: "no-store"}) of a 1 MiB segment until arrayBuffer() resolves, p50/p95 over ' +
        `${runs} runs after ${warm} warm-ups. storedViaSw: the page's own store answers (page → SW fetch event → ` +
        'Comlink getSegment → agent → Blob back → Response streamed to the page). storedSwReported: the same, as the ' +
        'SW reports it (fetch event → Response built, before the body streams). httpViaSw: a segment nobody holds ' +
        '(agent asked, miss, network fetch, body streamed; a copy goes to the store). httpNoSw: service workers ' +
        'blocked, plain HTTP to the same loopback origin.',
      firstFetchSource: first.source ?? 'network',
      storedViaSw: { ...stats(hit), sources },
      storedSwReported: swHit.length ? stats(swHit) : null,
      httpViaSw: { ...stats(viaSw), sources: viaSwSources },
      httpNoSw: stats(direct),
    };
  } finally {
    await sw.context.close().catch(() => undefined);
    await blockedContext.close().catch(() => undefined);
  }
}

/** (b) a 2 MiB segment from a peer through swarmfetch, and over a raw data channel, in the same browser. */
async function p2pThroughput(browser, demoUrl, origin, runs) {
  const result = { bytes: P2P_BYTES, swarmfetch: null, raw: null, ratio: null, problems: [] };
  // -- swarmfetch: A fetches over HTTP (stored, announced), then B fetches the same URL (from A)
  const a = await swarmfetchPage(browser, demoUrl, 'p2p-a');
  const b = await swarmfetchPage(browser, demoUrl, 'p2p-b');
  try {
    const base = `${origin.url}/p2p`;
    await fetchIntoStore(a.page, `${base}/seg_join.ts`); // A joins the swarm of /p2p/
    await evaluate(b.page, TIMED_FETCH, `${base}/seg_join.ts`, 20_000); // B joins it too and finds A
    await Promise.all(
      [a, b].map((x) => x.page.waitForFunction(() => window.swarmfetch.stats().peers >= 1, null, { timeout: 15_000, polling: 50 })),
    );
    const warm = 2;
    const page = [];
    const sources = {};
    for (let i = 0; i < warm + runs; i++) {
      const url = `${base}/seg_${i}.ts`;
      await fetchIntoStore(a.page, url);
      await sleep(150); // A's "have" reaches B
      const r = await evaluate(b.page, TIMED_FETCH, url, 20_000);
      if (r.bytes !== P2P_BYTES) throw new Error(`p2p segment fetch returned ${r.bytes} bytes, want ${P2P_BYTES}`);
      sources[r.source ?? 'network'] = (sources[r.source ?? 'network'] ?? 0) + 1;
      if (i >= warm && r.source === 'p2p') page.push(r.ms);
    }
    const reported = (await reportedMs(b.page, '/p2p/seg_', 'p2p')).filter((_, i, all) => i >= all.length - page.length);
    if (page.length < runs) result.problems.push(`only ${page.length} of ${runs} measured fetches came from the peer (sources: ${JSON.stringify(sources)})`);
    result.swarmfetch = {
      what:
        'B fetches a 2 MiB segment A holds: page fetch → SW → agent → peer A (16 KiB frames) → Blob → SW → page, ' +
        'until arrayBuffer() resolves (pageMs); reportedMs is the SW-reported time (until the Response is built).',
      sources,
      pageMs: page.length ? stats(page) : null,
      reportedMs: reported.length ? stats(reported) : null,
      pageMBps: page.length ? round(P2P_BYTES / MiB / (median(page) / 1000), 1) : null,
      reportedMBps: reported.length ? round(P2P_BYTES / MiB / (median(reported) / 1000), 1) : null,
    };
  } finally {
    await a.context.close().catch(() => undefined);
    await b.context.close().catch(() => undefined);
  }
  // -- raw RTCDataChannel between two pages, SDP exchanged through page.evaluate
  const c1 = await browser.newContext({ serviceWorkers: 'block' });
  const c2 = await browser.newContext({ serviceWorkers: 'block' });
  try {
    const p1 = await c1.newPage();
    const p2 = await c2.newPage();
    await p1.goto(`${origin.url}/raw.html`, { timeout: 20_000 });
    await p2.goto(`${origin.url}/raw.html`, { timeout: 20_000 });
    const offer = await evaluate(p1, () => window.raw.offer(), undefined, 15_000, 'raw offer');
    const answer = await evaluate(p2, (sdp) => window.raw.answer(sdp), offer, 15_000, 'raw answer');
    await evaluate(p1, (sdp) => window.raw.accept(sdp), answer, 15_000, 'raw accept');
    await evaluate(p1, () => window.raw.open(), undefined, 15_000, 'raw open (sender)');
    await evaluate(p2, () => window.raw.open(), undefined, 15_000, 'raw open (receiver)');
    const warm = 2;
    const ms = [];
    for (let i = 0; i < warm + runs; i++) {
      await evaluate(p2, (n) => window.raw.expect(n), P2P_BYTES);
      const t = await evaluate(p1, (n) => window.raw.send(n), P2P_BYTES, 20_000, 'raw send');
      if (i >= warm) ms.push(t);
    }
    result.raw = {
      what: 'raw RTCDataChannel, 16 KiB chunks, pause above 1 MiB buffered, resume on bufferedamountlow (256 KiB); first send → receiver has all bytes in one Blob and acked',
      ms: stats(ms),
      MBps: round(P2P_BYTES / MiB / (median(ms) / 1000), 1),
    };
  } finally {
    await c1.close().catch(() => undefined);
    await c2.close().catch(() => undefined);
  }
  if (result.swarmfetch?.pageMBps && result.raw?.MBps) {
    result.ratio = round(result.swarmfetch.pageMBps / result.raw.MBps, 3);
    result.ratioReported = result.swarmfetch.reportedMBps ? round(result.swarmfetch.reportedMBps / result.raw.MBps, 3) : null;
  }
  return result;
}

/** gzip -9 budget of the page script, whether a site takes the drop-in or bundles the npm page entry (issue 3, 12). */
const PAGE_BUDGET_GZIP_BYTES = 40_000;

/**
 * What a site's bundler makes of the npm page entry: `import { Swarmfetch } from 'swarmfetch'` resolved through
 * package.json's exports under `root` (dist/esm/index.js and its dependencies from node_modules), minified.
 */
function npmPageBundle(root) {
  const { outputFiles } = buildSync({
    stdin: { contents: "import { Swarmfetch } from 'swarmfetch';\nwindow.Swarmfetch = Swarmfetch;\n", resolveDir: root, sourcefile: 'site.js' },
    absWorkingDir: root, bundle: true, minify: true, format: 'iife', target: 'es2022', write: false, logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return outputFiles[0].contents;
}

/** (c) gzip -9 sizes of the drop-in bundles and of the npm page entry as a site bundles it, against their budgets. */
export function bundleSizes(root = REPO_ROOT) {
  const out = {};
  const files = [
    ['swarmfetch.js', () => readFileSync(join(root, 'dist', 'swarmfetch.js')), PAGE_BUDGET_GZIP_BYTES],
    ['swarmfetch-sw.js', () => readFileSync(join(root, 'dist', 'swarmfetch-sw.js')), 12_000],
    ["import { Swarmfetch } from 'swarmfetch' (bundled, minified)", () => npmPageBundle(root), PAGE_BUDGET_GZIP_BYTES],
  ];
  for (const [name, read, budget] of files) {
    const raw = read();
    const gz = gzipSync(raw, { level: 9 }).length;
    out[name] = { bytes: raw.length, gzipBytes: gz, budgetGzipBytes: budget, ok: gz <= budget };
  }
  return out;
}

/** The page-side measurement of (d): ms per MiB, averaged over `runs` after 5 warm-up digests. */
const DIGEST_PAGE_SCRIPT = async (runs) => {
  const mib = new Uint8Array(1 << 20).map((_, i) => (i * 2654435761) >>> 24);
  const blob = new Blob([mib]);
  for (let i = 0; i < 5; i++) await crypto.subtle.digest('SHA-256', mib);
  let t = performance.now();
  for (let i = 0; i < runs; i++) await crypto.subtle.digest('SHA-256', mib);
  const digestMs = (performance.now() - t) / runs;
  t = performance.now();
  for (let i = 0; i < runs; i++) await crypto.subtle.digest('SHA-256', new Uint8Array(await blob.arrayBuffer()));
  const blobMs = (performance.now() - t) / runs;
  // what a check costs as the agent does it: 64 received frames made contiguous, then hashed
  const frames = Array.from({ length: 64 }, (_, i) => mib.subarray(i * 16384, (i + 1) * 16384));
  t = performance.now();
  for (let i = 0; i < runs; i++) {
    const all = new Uint8Array(1 << 20);
    let at = 0;
    for (const f of frames) { all.set(f, at); at += f.byteLength; }
    await crypto.subtle.digest('SHA-256', all);
  }
  const assembledMs = (performance.now() - t) / runs;
  return { digestMs, blobMs, assembledMs };
};

/** (d) SHA-256 per MiB in Chromium (a secure-context page of the synthetic origin), with Node's figure beside it. */
async function digestCost(browser, origin, runs = 40) {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  try {
    const page = await context.newPage();
    await page.goto(`${origin.url}/raw.html`, { timeout: 20_000 });
    const r = await evaluate(page, DIGEST_PAGE_SCRIPT, runs, 60_000, 'digest cost');
    // the same work in Node at the same moment, to read the browser figure against the machine's load
    const mib = Buffer.alloc(1 << 20, 7);
    const t = performance.now();
    for (let i = 0; i < runs; i++) createHash('sha256').update(mib).digest();
    const nodeMs = (performance.now() - t) / runs;
    return {
      digestMs: round(r.digestMs, 2), assembledMs: round(r.assembledMs, 2), blobMs: round(r.blobMs, 2),
      nodeMs: round(nodeMs, 2), loadAverage: round(loadavg()[0], 1),
    };
  } finally {
    await context.close().catch(() => undefined);
  }
}

/** Runs (a), (b) and (d) in one browser; each part records its own failure without hiding the others. */
export async function runMicro({ demoUrl, runs = 30, p2pRuns = 10 }) {
  // the peer's segments are checked against the origin's integrity manifest, as on a real site (fail closed)
  const p2pNames = ['seg_join.ts', ...Array.from({ length: p2pRuns + 2 }, (_, i) => `seg_${i}.ts`)];
  const origin = await startSyntheticOrigin({
    sizes: { rt: RT_BYTES, p2p: P2P_BYTES }, pages: { 'raw.html': RAW_PAGE }, hashed: { p2p: p2pNames },
  });
  const browser = await launchBrowser();
  const out = { roundTrip: null, p2p: null, digest: null, errors: [] };
  try {
    log('micro: SW round trip for a stored 1 MiB segment');
    try {
      out.roundTrip = await roundTrip(browser, demoUrl, origin, runs);
    } catch (err) {
      out.errors.push(`roundTrip: ${err.message ?? err}`);
      log(`micro: roundTrip failed: ${err.message ?? err}`);
    }
    log('micro: P2P throughput for 2 MiB vs raw data channel');
    try {
      out.p2p = await p2pThroughput(browser, demoUrl, origin, p2pRuns);
    } catch (err) {
      out.errors.push(`p2p: ${err.message ?? err}`);
      log(`micro: p2p failed: ${err.message ?? err}`);
    }
    log('micro: SHA-256 check per MiB in the browser');
    try {
      out.digest = await digestCost(browser, origin);
    } catch (err) {
      out.errors.push(`digest: ${err.message ?? err}`);
      log(`micro: digest failed: ${err.message ?? err}`);
    }
  } finally {
    await closeBrowser(browser);
    await origin.stop();
  }
  return out;
}
