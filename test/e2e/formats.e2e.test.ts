/**
 * Issue 5 §1–§2: every format, with an unmodified player, plays through the service worker with P2P between two
 * viewers, and every byte the second viewer got is the origin's.
 *
 * One fixture site (a static server over the repository: pages, bundles, media with single Range support) and the
 * P2P server CLI on another port. Per format: viewer A starts, plays and buffers the whole (12–20 s) stream; then
 * viewer B opens the click-to-play page, which prepares the video (manifest, init segments, MP4 metadata: its agent
 * learns the stream and joins the swarm), and presses play once its first peer connection is up; what is fetched
 * before that comes over HTTP. B's P2P share = p2pBytes / (p2pBytes + httpBytes). hls.js plays the top rendition in
 * both viewers (fixtures/playerPage.ts): with its ABR on, a loaded machine once put A on 180p and B on 360p (CI: B 0 %,
 * A uploaded nothing — there was nothing of B's rendition to share).
 * Byte-exactness: every segment response B's player got over XHR/fetch (whole files and 206 ranges) against the
 * origin file; for `<video src>` (invisible to page scripts) the pieces B's agent holds, and a Range read of the
 * whole file through B's worker, against the origin file.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REPO_ROOT,
  launchBrowser,
  newViewer,
  readSegmentHashes,
  segmentHashesInitScript,
  startP2pServer,
  startStaticServer,
  videoState,
  type RunningServer,
  type SegmentHash,
  type StaticServer,
  type Viewer,
} from './harness';
import { playerPage, type PlayerName } from './fixtures/playerPage';
import { PIECE_BYTES, pieceRange } from '../../core/contract';

interface Stats {
  httpBytes: number;
  p2pBytes: number;
  storeHitBytes: number;
  uploadedBytes: number;
  peers: number;
  storeSegments: number;
}

const stats = (page: Page) => page.evaluate('window.swarmfetch.stats()') as Promise<Stats>;
const playerErrors = (page: Page) => page.evaluate('window.demo.errors') as Promise<string[]>;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

async function waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until a value has not changed for `quietMs` (e.g. the last reports of a finished download arrived). */
async function settled<T>(fn: () => Promise<T>, quietMs = 800, timeoutMs = 15_000): Promise<T> {
  let last = JSON.stringify(await fn());
  let since = Date.now();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    const v = await fn();
    const s = JSON.stringify(v);
    if (s !== last) [last, since] = [s, Date.now()];
    else if (Date.now() - since >= quietMs || Date.now() > deadline) return v;
  }
}

/** The video holds its whole duration (the player has fetched everything it will play) and plays. */
async function bufferedToEnd(page: Page, what: string): Promise<void> {
  await waitFor(
    `${what} to buffer to the end`,
    () => videoState(page),
    (v) => {
      if (v.error) throw new Error(`${what}: media error ${JSON.stringify(v.error)}`);
      const end = v.buffered.length ? v.buffered[v.buffered.length - 1]![1] : 0;
      return v.duration > 0 && end >= v.duration - 0.5 && v.currentTime > 0.5;
    },
  );
}

/** Mismatches of recorded responses against the files under the repository (206s against the range's bytes). */
async function mismatches(hashes: SegmentHash[]): Promise<string[]> {
  const out: string[] = [];
  for (const h of hashes) {
    // a request the player aborted (Shaka cancels on a rendition switch) delivered nothing: not compared
    if (h.sha256 === null && /abort/i.test(h.error ?? '')) continue;
    const file = new Uint8Array(await readFile(join(REPO_ROOT, decodeURIComponent(new URL(h.url).pathname))));
    let want = file;
    if (h.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(h.contentRange ?? '');
      if (!m || Number(m[3]) !== file.length) {
        out.push(`${h.url}: 206 ${h.contentRange}`);
        continue;
      }
      want = file.subarray(Number(m[1]), Number(m[2]) + 1);
    } else if (h.status !== 200) {
      out.push(`${h.url}: status ${h.status}`);
      continue;
    }
    if (h.sha256 !== sha256(want)) out.push(`${h.url} ${h.contentRange ?? ''}: ${h.bytes} B, not the origin's bytes`);
  }
  return out;
}

let browser: Browser;
let p2p: RunningServer;
let site: StaticServer;
/** Fixture pages by path (the static server looks them up on every request). */
const pages: Record<string, string> = {};
const viewers: Viewer[] = [];
const shares: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  site = await startStaticServer({ root: REPO_ROOT, files: pages, headers: { 'Service-Worker-Allowed': '/' } });
  // the hash oracle checks what the manifests cannot: byte ranges not aligned to their pieces (HLS byte-range, SegmentBase)
  p2p = await startP2pServer(undefined, ['--hash-origin', site.url]);
});
afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  await site?.stop();
  await p2p?.stop();
  console.log(`P2P share of the second viewer:\n${shares.join('\n')}`);
});

/** A at once, B once its first peer is up; returns both (B has played and buffered the whole stream). */
async function twoViewers(player: PlayerName, src: string): Promise<{ a: Viewer; b: Viewer; sa: Stats; sb: Stats; share: number; events: string }> {
  const path = `/${player}-${src.replace(/\W+/g, '-')}.html`;
  pages[path] = playerPage(player, src, p2p.url);
  const open = async (name: string) => {
    const v = await newViewer(browser, `${site.url}${path}`, { initScript: segmentHashesInitScript, contextOptions: { userAgent: name } });
    viewers.push(v);
    return v;
  };
  // the player starts once the worker controls the page (on a first visit, requests made before that bypass it)
  const controlled = (v: Viewer) => waitFor('the worker to control the page', () => stats(v.page), (s) => (s as { active?: boolean }).active === true);
  const a = await open('viewer-a');
  await controlled(a);
  await a.page.evaluate('window.show(); window.start()');
  await bufferedToEnd(a.page, 'viewer A');
  const sa = await settled(() => stats(a.page));
  // B shows the video (its agent learns the stream and joins the swarm) and presses play once a peer is up
  const b = await open('viewer-b');
  await controlled(b);
  await b.page.evaluate('window.show()');
  await waitFor('viewer B to connect to a peer', () => stats(b.page), (s) => s.peers >= 1).catch(async (err: Error) => {
    throw new Error(`${err.message}\nB events:\n${(await b.page.evaluate('window.demo.events.join("\\n")')) as string}`);
  });
  await b.page.evaluate('window.start()');
  await bufferedToEnd(b.page, 'viewer B');
  await waitFor('viewer B to play 3 s', () => videoState(b.page), (v) => v.currentTime >= 3);
  const sb = await settled(() => stats(b.page));
  const share = sb.p2pBytes / (sb.p2pBytes + sb.httpBytes);
  const events = `${(await b.page.evaluate('window.demo.events.join("\\n")')) as string}\nA's events:\n${(await a.page.evaluate('window.demo.events.join("\\n")')) as string}`;
  if (process.env.SWARMFETCH_E2E_VERBOSE) console.log(`B events:\n${events}`);
  shares.push(`  ${player} ${src}: ${pct(share)} (p2p ${sb.p2pBytes} B, http ${sb.httpBytes} B; A uploaded ${(await stats(a.page)).uploadedBytes} B)`);
  expect(await playerErrors(a.page)).toEqual([]);
  expect(await playerErrors(b.page)).toEqual([]);
  return { a, b, sa, sb, share, events };
}

/**
 * Byte-exact segments (at least `min`) and a P2P share of at least `minShare` for the second viewer; then closes both.
 *
 * The shares are structural, not luck: B presses play once a peer is up, so what its player fetches before the
 * first `have` arrives (manifest-time init segments, Shaka's first segments of both renditions) comes over HTTP,
 * the rest from A. Measured with identical byte counts on every run so far (/tmp/e2e2.log, e2e3, ci1):
 * hls.js fMP4 and byte ranges 100 %, Shaka HLS fMP4 33.6 %, Shaka DASH (all three addressings) 84.5 %,
 * native MP4 15.6–21.7 % (one 1 MiB piece of three or four). Each threshold is about half the measured share:
 * it leaves room for one or two more segments over HTTP on a loaded machine, and still fails when P2P delivers
 * only a token amount (the old `share > 0` passed on a single byte).
 */
async function checkSegmented(player: PlayerName, src: string, min: number, minShare: number): Promise<void> {
  const { a, b, sb, share, events } = await twoViewers(player, src);
  const hashes = await readSegmentHashes(b.page);
  expect(hashes.length).toBeGreaterThanOrEqual(min);
  expect(await mismatches(hashes)).toEqual([]);
  expect(await mismatches(await readSegmentHashes(a.page))).toEqual([]);
  expect(sb.peers).toBeGreaterThanOrEqual(1);
  expect(share, `${player} ${src}: B's P2P share ${pct(share)}; B's events:\n${events}`).toBeGreaterThanOrEqual(minShare);
  await a.close();
  await b.close();
}

describe('formats × players through the service worker, two viewers', () => {
  it('hls.js — HLS fMP4 (.m4s), two renditions', () => checkSegmented('hlsjs', '/demo/media/fmp4/master.m3u8', 6, 0.5));
  it('hls.js — HLS byte ranges (EXT-X-BYTERANGE, one .ts file per rendition)', () =>
    checkSegmented('hlsjs', '/demo/media/byterange/master.m3u8', 6, 0.5));
  it('Shaka — HLS fMP4', () => checkSegmented('shaka', '/demo/media/fmp4/master.m3u8', 6, 0.15));
  it('Shaka — DASH SegmentTemplate $Number$', () => checkSegmented('shaka', '/demo/media/dash/manifest.mpd', 6, 0.4));
  it('Shaka — DASH SegmentTemplate + SegmentTimeline $Time$', () =>
    checkSegmented('shaka', '/demo/media/dash-time/manifest.mpd', 6, 0.4));
  it('Shaka — DASH SegmentBase (one file per rendition, ranges from its sidx)', () =>
    checkSegmented('shaka', '/demo/media/dash-base/manifest.mpd', 6, 0.4));

  it('native <video src> — progressive MP4 from 1 MiB pieces', async () => {
    const src = '/demo/media/mp4/video.mp4';
    const { a, b, share } = await twoViewers('native', src);
    const file = new Uint8Array(await readFile(join(REPO_ROOT, src)));
    const pieces = Math.ceil(file.length / PIECE_BYTES);
    // every piece B's agent holds is the origin's (B got them from A, and the player from B's store)
    const keys = Array.from({ length: pieces }, (_, i) => {
      const p = pieceRange(i, file.length);
      return { key: `${site.url}${src}#${p.start}-${p.end}`, want: sha256(file.subarray(p.start, p.end + 1)) };
    });
    const held = (await b.page.evaluate(`Promise.all(${JSON.stringify(keys.map((k) => k.key))}.map(async (key) => {
      const s = window.swarmfetch.store.get(key);
      if (!s) return null;
      const d = await crypto.subtle.digest('SHA-256', await s.body.arrayBuffer());
      return Array.from(new Uint8Array(d), (x) => x.toString(16).padStart(2, '0')).join('');
    }))`)) as Array<string | null>;
    expect(held).toEqual(keys.map((k) => k.want));
    // the worker's answer to ranges, as the player gets them, from B's pieces
    const read = async (range: string) =>
      (await b.page.evaluate(`fetch(${JSON.stringify(src)}, { headers: { Range: ${JSON.stringify(range)} } }).then(async (r) => {
        const buf = await r.arrayBuffer();
        const d = await crypto.subtle.digest('SHA-256', buf);
        return { status: r.status, range: r.headers.get('content-range'), length: r.headers.get('content-length'), bytes: buf.byteLength,
          sha: Array.from(new Uint8Array(d), (x) => x.toString(16).padStart(2, '0')).join('') };
      })`)) as { status: number; range: string; length: string; bytes: number; sha: string };
    const before = site.requests.length;
    expect(await read('bytes=0-')).toEqual({ status: 206, range: `bytes 0-${file.length - 1}/${file.length}`, length: String(file.length), bytes: file.length, sha: sha256(file) });
    const mid = 1_234_567;
    expect(await read(`bytes=${mid}-`)).toMatchObject({ status: 206, range: `bytes ${mid}-${file.length - 1}/${file.length}`, sha: sha256(file.subarray(mid)) });
    expect(await read('bytes=-1000')).toMatchObject({ status: 206, sha: sha256(file.subarray(file.length - 1000)) });
    expect(await read(`bytes=${file.length}-`)).toMatchObject({ status: 416, range: `bytes */${file.length}` });
    expect(site.requests.slice(before), 'answered from the pieces B holds, not the origin').toEqual([]);
    // at least one whole piece of the file came from A (measured 15.6–21.7 %: the last piece of 569 KiB, of 2.6–3.6 MiB)
    expect(share, `B's P2P share ${pct(share)}`).toBeGreaterThanOrEqual(0.1);
    await a.close();
    await b.close();
  });
});
