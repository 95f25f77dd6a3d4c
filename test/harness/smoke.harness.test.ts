/**
 * Proves the end-to-end harness itself, without swarmfetch's code: Chromium launches with the merged switches,
 * two viewers connect over WebRTC inside the network namespace with `iceServers: []`, segment hashing sees what
 * the page got, a video plays. Not a product test: its own command (`npm run test:harness`, vitest.harness.config.ts)
 * so the e2e count is swarmfetch's alone. The parts that need no browser (the byte-exact comparison, the server
 * helpers) are unit tests: test/unit/e2eHarness.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NETNS_ADDRESS,
  REPO_ROOT,
  assertByteExact,
  assertInNetns,
  byteExactMismatches,
  launchBrowser,
  newViewer,
  originHashes,
  readSegmentHashes,
  segmentHashesInitScript,
  startStaticServer,
  waitForPlayback,
  type StaticServer,
  type Viewer,
} from '../e2e/harness';
import { playwrightDisableFeatureSwitches } from '../e2e/harness/browser';

// The fixture page: a small WebRTC kit driven from the test through page.evaluate.
const RTC_PAGE = `<!doctype html><meta charset="utf-8"><title>smoke</title><link rel="icon" href="data:,">
<script>
const CHUNK = 16 * 1024;
const hex = (d) => Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
function gathered(pc) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
  });
}
function opened(dc) {
  return dc.readyState === 'open' ? Promise.resolve() : new Promise((r) => dc.addEventListener('open', () => r(), { once: true }));
}
window.rtc = {
  pc: null, dc: null, chunks: [], bytes: 0, channel: null,
  async offer() {
    this.pc = new RTCPeerConnection({ iceServers: [] });
    this.dc = this.pc.createDataChannel('smoke');
    this.dc.binaryType = 'arraybuffer';
    this.listen(this.dc);
    this.channel = Promise.resolve(this.dc);
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await gathered(this.pc);
    return this.pc.localDescription.sdp;
  },
  async answer(sdp) {
    this.pc = new RTCPeerConnection({ iceServers: [] });
    this.channel = new Promise((resolve) => {
      this.pc.ondatachannel = (e) => { e.channel.binaryType = 'arraybuffer'; this.listen(e.channel); resolve(e.channel); };
    });
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await gathered(this.pc);
    return this.pc.localDescription.sdp;
  },
  async accept(sdp) { await this.pc.setRemoteDescription({ type: 'answer', sdp }); },
  listen(dc) { dc.onmessage = (e) => { this.chunks.push(new Uint8Array(e.data)); this.bytes += e.data.byteLength; }; },
  async open() { this.dc = await this.channel; await opened(this.dc); return this.dc.readyState; },
  async send(total) {
    const dc = this.dc;
    const data = new Uint8Array(total);
    for (let i = 0; i < total; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(total, i + 65536)));
    dc.bufferedAmountLowThreshold = 256 * 1024;
    for (let off = 0; off < total; off += CHUNK) {
      if (dc.bufferedAmount > 1024 * 1024) await new Promise((r) => dc.addEventListener('bufferedamountlow', r, { once: true }));
      dc.send(data.subarray(off, Math.min(total, off + CHUNK)));
    }
    return { bytes: total, sha256: hex(await crypto.subtle.digest('SHA-256', data)) };
  },
  async received(total) {
    while (this.bytes < total) await new Promise((r) => setTimeout(r, 20));
    const all = new Uint8Array(this.bytes);
    let off = 0;
    for (const c of this.chunks) { all.set(c, off); off += c.byteLength; }
    return { bytes: this.bytes, sha256: hex(await crypto.subtle.digest('SHA-256', all)) };
  },
  close() { this.pc && this.pc.close(); },
};
</script>`;

const HASH_PAGE = `<!doctype html><meta charset="utf-8"><title>hashes</title><link rel="icon" href="data:,">
<script>
// Like hls.js: XHR for arraybuffer, handler set after construction, buffer transferred away at once.
function xhr(url, range) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('GET', url);
    x.responseType = 'arraybuffer';
    if (range) x.setRequestHeader('Range', range);
    x.onreadystatechange = () => {
      if (x.readyState !== 4) return;
      const buf = x.response;
      const port = new MessageChannel().port1;
      port.postMessage(buf, [buf]); // detaches buf, as a transfer to a worker would
      resolve(buf.byteLength);
    };
    x.onerror = reject;
    x.send();
  });
}
</script>`;

const CLIP_PAGE = `<!doctype html><meta charset="utf-8"><title>clip</title><link rel="icon" href="data:,">
<video src="/media/clip.mp4" muted autoplay playsinline></video>`;

const HLS_PAGE = `<!doctype html><meta charset="utf-8"><title>hls</title><link rel="icon" href="data:,">
<video muted autoplay playsinline></video>
<script src="/hls.js"></script>
<script>
  const video = document.querySelector('video');
  const hls = new Hls({ enableWorker: true });
  hls.loadSource('/media/hls/index.m3u8');
  hls.attachMedia(video);
</script>`;

let browser: Browser;
let server: StaticServer;
let dir: string;
const viewers: Viewer[] = [];

async function viewer(path: string, options: Parameters<typeof newViewer>[2] = {}): Promise<Viewer> {
  const v = await newViewer(browser, server.url + path, options);
  viewers.push(v);
  return v;
}

beforeAll(async () => {
  assertInNetns();
  dir = mkdtempSync(join(tmpdir(), 'swarmfetch-smoke-'));
  mkdirSync(join(dir, 'media', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'media', 'seg1.ts'), randomBytes(300_000));
  writeFileSync(join(dir, 'media', 'sub', 'seg2.m4s'), randomBytes(70_000));
  writeFileSync(join(dir, 'media', 'seg3.aac'), randomBytes(1));
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-t', '4',
    '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-movflags', '+faststart',
    join(dir, 'media', 'clip.mp4'),
  ]);
  mkdirSync(join(dir, 'media', 'hls'));
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440',
    '-t', '4', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '25', '-c:a', 'aac', '-shortest',
    '-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'vod',
    '-hls_segment_filename', join(dir, 'media', 'hls', 'seg%d.ts'),
    join(dir, 'media', 'hls', 'index.m3u8'),
  ]);
  server = await startStaticServer({
    root: dir,
    files: {
      '/rtc.html': RTC_PAGE,
      '/hashes.html': HASH_PAGE,
      '/clip.html': CLIP_PAGE,
      '/hls.html': HLS_PAGE,
      '/hls.js': readFileSync(join(REPO_ROOT, 'node_modules/hls.js/dist/hls.min.js')),
    },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('harness smoke', () => {
  it('launches Chromium with one --disable-features holding Playwright’s features and ours', async () => {
    const v = await viewer('/rtc.html');
    await v.page.goto('chrome://version');
    const args = ((await v.page.textContent('#command_line')) ?? '').split(/\s+/);
    const switches = args.filter((a) => a.startsWith('--disable-features='));
    expect(switches).toHaveLength(1);
    const features = switches[0]!.slice('--disable-features='.length).split(',');
    expect(features).toContain('WebRtcHideLocalIpsWithMdns');
    const playwrights = (await playwrightDisableFeatureSwitches()).flatMap((s) => s.split('=')[1]!.split(','));
    expect(playwrights.length).toBeGreaterThan(0);
    for (const f of playwrights) expect(features).toContain(f);
  });

  it('connects two viewers over a WebRTC data channel with no ICE servers and moves bytes intact', async () => {
    const a = await viewer('/rtc.html');
    const b = await viewer('/rtc.html');
    expect(a.context).not.toBe(b.context);

    const offer = (await a.page.evaluate('rtc.offer()')) as string;
    // A host candidate on the namespace's interface, not an mDNS name (the merged switch took effect).
    expect(offer).toMatch(new RegExp(`a=candidate:\\S+ \\d+ udp \\d+ ${NETNS_ADDRESS.replace(/\./g, '\\.')} \\d+ typ host`));
    expect(offer).not.toMatch(/\.local /);
    const answer = (await b.page.evaluate(`rtc.answer(${JSON.stringify(offer)})`)) as string;
    await a.page.evaluate(`rtc.accept(${JSON.stringify(answer)})`);
    expect(await Promise.all([a.page.evaluate('rtc.open()'), b.page.evaluate('rtc.open()')])).toEqual(['open', 'open']);

    const size = 1024 * 1024 + 123;
    const received = b.page.evaluate(`rtc.received(${size})`);
    const sent = (await a.page.evaluate(`rtc.send(${size})`)) as { bytes: number; sha256: string };
    expect(sent.bytes).toBe(size);
    expect(await received).toEqual(sent);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it('hashes what the page got over XHR and fetch, before the page can transfer it away', async () => {
    const v = await viewer('/hashes.html', { initScript: segmentHashesInitScript });
    const lengths = await v.page.evaluate(`(async () => {
      const a = await xhr('/media/seg1.ts?token=abc');
      const b = await (await fetch('/media/sub/seg2.m4s')).arrayBuffer();
      const c = await xhr('/media/seg3.aac');
      await (await fetch('/hashes.html')).text(); // not a segment: not recorded
      const d = await xhr('/media/seg1.ts', 'bytes=0-99'); // partial
      return [a, b.byteLength, c, d];
    })()`);
    // the page's own buffers were detached by the transfer; its fetch body was intact
    expect(lengths).toEqual([0, 70_000, 0, 0]);

    const hashes = await readSegmentHashes(v.page);
    expect(hashes.map((h) => [new URL(h.url).pathname, h.via, h.status, h.bytes])).toEqual([
      ['/media/seg1.ts', 'xhr', 200, 300_000],
      ['/media/sub/seg2.m4s', 'fetch', 200, 70_000],
      ['/media/seg3.aac', 'xhr', 200, 1],
      ['/media/seg1.ts', 'xhr', 206, 100],
    ]);

    const origin = await originHashes(join(dir, 'media'), '/media/');
    expect([...origin.keys()]).toEqual(
      expect.arrayContaining(['/media/clip.mp4', '/media/seg1.ts', '/media/seg3.aac', '/media/sub/seg2.m4s', '/media/hls/seg0.ts']),
    );
    expect([...origin.keys()].filter((k) => !/\.(ts|m4s|mp4|aac)$/.test(k))).toEqual([]); // no playlist, no page
    const whole = hashes.filter((h) => h.status === 200);
    assertByteExact(whole, origin, { minSegments: 3 });
    expect(byteExactMismatches(hashes, origin).map((m) => m.kind)).toEqual(['partial']);
    // what the browser recorded is compared, not merely present: one changed origin file is caught
    const changed = new Map(origin).set('/media/seg3.aac', '0'.repeat(64));
    expect(byteExactMismatches(whole, changed).map((m) => [m.kind, new URL(m.url).pathname])).toEqual([
      ['hash', '/media/seg3.aac'],
    ]);
  });

  it('sees hls.js get every segment byte-exact while it plays', async () => {
    const v = await viewer('/hls.html', { initScript: segmentHashesInitScript });
    await waitForPlayback(v.page, 2.5, 60_000);
    const hashes = await readSegmentHashes(v.page);
    const origin = await originHashes(join(dir, 'media', 'hls'), '/media/hls/');
    expect(origin.size).toBeGreaterThanOrEqual(4);
    assertByteExact(hashes, origin, { minSegments: 3 });
    expect(hashes.every((h) => h.via === 'xhr' && h.bytes > 0)).toBe(true);
    expect(v.errors).toEqual([]);
  });

  it('plays a video and reports its state', async () => {
    const v = await viewer('/clip.html');
    const state = await waitForPlayback(v.page, 1, 30_000);
    expect(state.present).toBe(true);
    expect(state.currentTime).toBeGreaterThanOrEqual(1);
    expect(state.error).toBeNull();
    await expect(waitForPlayback(v.page, 1e6, 300)).rejects.toThrow(/did not reach/);
  });

  it('collects console errors and uncaught exceptions of a viewer', async () => {
    const v = await viewer('/rtc.html');
    await v.page.evaluate(`console.error('smoke: on purpose'); setTimeout(() => { throw new Error('smoke: uncaught'); });`);
    await expect.poll(() => v.errors.length).toBe(2);
    expect(v.errors[0]).toContain('smoke: on purpose');
    expect(v.errors[1]).toContain('smoke: uncaught');
  });

  it('blocks service workers for a viewer that asks for it', async () => {
    writeFileSync(join(dir, 'sw.js'), `self.addEventListener('fetch', () => {});`);
    // Playwright's block makes register() resolve without a registration; a hang would count as blocked too.
    const register = `Promise.race([
      navigator.serviceWorker.register('/sw.js').then(
        (reg) => (reg ? navigator.serviceWorker.ready.then(() => 'registered') : 'blocked: no registration'),
        (e) => 'blocked: ' + e.message),
      new Promise((r) => setTimeout(() => r('blocked: no answer within 3 s'), 3000)),
    ])`;
    const open = await viewer('/rtc.html');
    expect(await open.page.evaluate(register)).toBe('registered');
    const blocked = await viewer('/rtc.html', { blockServiceWorkers: true });
    expect(await blocked.page.evaluate(register)).toMatch(/^blocked/);
  });
});
