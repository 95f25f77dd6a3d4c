/**
 * G5/G6 (issue 4): the page serving a segment closes mid-transfer.
 *  - G5: it was the only peer holding the segment: the request completes over HTTP.
 *  - G6: another peer holds it too: the request completes from that peer.
 * Deterministic: seeders fill their stores, then send through a slow uplink (64 KiB/s, test/chaos/kit/slowUplink.ts), so a ~60 KB segment
 * takes about a second; the test closes the seeder's browser context while its channel to the receiver still
 * holds bytes of the segment the receiver's player is waiting for. Every byte the receiver's player got is the
 * origin's, and it keeps playing.
 * G6's two seeders have buffered the whole VOD before their uplinks slow down: seeders still filling their stores
 * fetch from each other, and a seeder whose uplink model counts those transfers answers the receiver `absent` or
 * late (what a busy peer does), which is not what G6 is about. CI failed on it once, and 1 of 24 local runs: the
 * other seeder answered `absent`, then let B's next three requests stall. At the cut the seeders held 18–19 of the
 * 30 segments and had sent each other 0.3–0.9 MB.
 */
import { statSync } from 'node:fs';
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
  videoState,
  type P2pServer,
  type Viewer,
} from '../e2e/harness';
import { MEDIA_DIR, MEDIA_PREFIX, startChaosSite, type ChaosSite } from './kit/chaosSite';
import {
  eventLog,
  fatalPlayerErrors,
  playback,
  playbackMonitor,
  readTimings,
  segmentTimings,
  sleep,
  stats,
  swarmLog,
  waitFor,
  STALL_MAX_MS,
} from './kit/probes';
import { slowUplink } from './kit/slowUplink';

const UPLINK_BYTES_PER_SEC = 64 * 1024;
/** The receiver's buffer when the seeder closes: enough for a second try within the P2P budget. */
const BUFFER_AT_CLOSE_SEC = 8;

let browser: Browser;
let site: ChaosSite;
let p2p: P2pServer;
let origin: Map<string, string>;
const viewers: Viewer[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  site = await startChaosSite();
  p2p = await startP2pServer();
  origin = await originHashes(join(REPO_ROOT, MEDIA_DIR), MEDIA_PREFIX);
});
afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  await p2p?.stop();
  await site?.stop();
});

async function open(url: string, initScript: string[]): Promise<Viewer> {
  const v = await newViewer(browser, url, { initScript });
  viewers.push(v);
  return v;
}

/** B's open links: remote peer id → PeerJS connection label, and whether B is downloading from it now. */
const linksOf = (b: Viewer) =>
  b.page.evaluate(`[...window.swarmfetch.pool.links.values()].filter((l) => l.isOpen)
    .map((l) => ({ peer: l.remoteId, label: l.conn.label, downloading: l.activeDownloads > 0 }))`) as Promise<
    Array<{ peer: string; label: string; downloading: boolean }>
  >;
const uplinkOf = (v: Viewer) =>
  v.page.evaluate('window.__uplink.channels') as Promise<Record<string, { queued: number; sent: number }>>;

interface Interrupted {
  /** The seeder closed. */
  closed: Viewer;
  closedId: string;
  /** The segment B's player was waiting for. */
  url: string;
  /** Bytes the seeder still held for B (of this segment) when it closed. */
  held: number;
  bufferSec: number;
}

/** Waits until a seeder is mid-way through sending B the segment its player waits for, and closes that seeder. */
async function closeSeederMidTransfer(b: Viewer, seeders: Viewer[], timeoutMs = 60_000): Promise<Interrupted> {
  const ids = new Map<Viewer, string>();
  for (const s of seeders) ids.set(s, (await stats(s.page))!.peerId!);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await videoState(b.page);
    const bufferSec = Math.max(0, ...v.buffered.filter(([s, e]) => s <= v.currentTime + 0.25 && e > v.currentTime).map(([, e]) => e - v.currentTime));
    const pending = (await readTimings(b.page)).list.filter((t) => t.end === null);
    if (bufferSec >= BUFFER_AT_CLOSE_SEC && pending.length === 1) {
      for (const link of await linksOf(b)) {
        const seeder = seeders.find((s) => ids.get(s) === link.peer);
        if (!seeder || !link.downloading) continue;
        const ch = (await uplinkOf(seeder))[link.label];
        if (!ch || ch.sent === 0 || ch.queued <= ch.sent) continue;
        await seeder.close();
        return { closed: seeder, closedId: link.peer, url: pending[0]!.url, held: ch.queued - ch.sent, bufferSec };
      }
    }
    await sleep(30);
  }
  const log = (await swarmLog(b.page)).map((e) => [e.at, e.type, e.url?.split('/').pop(), e.source, e.peerId?.slice(0, 4), e.fallback, e.ms, e.state, e.reason]);
  throw new Error(`no seeder was caught mid-transfer; B: ${JSON.stringify(await linksOf(b))} ${JSON.stringify(log)}`);
}

/** The interrupted request's outcome in B: its XHR and swarmfetch's segment event for it. */
async function outcomeOf(b: Viewer, url: string) {
  const timing = await waitFor('the interrupted request to end', async () => (await readTimings(b.page)).list.find((t) => t.url === url), (t) => !!t && t.end !== null, 15_000);
  const event = await waitFor('its segment event', async () => (await swarmLog(b.page)).find((e) => e.type === 'segment' && e.url === url), (e) => !!e, 5_000);
  return { timing: timing!, event: event! };
}

async function assertPlayedThrough(b: Viewer, label: string, sinceTime: number) {
  await waitFor(`${label}: B to keep playing`, () => playback(b.page), (p) => !!p && p.currentTime > sinceTime + 4, 20_000);
  const p = (await playback(b.page))!;
  expect(p.longestStallMs).toBeLessThan(STALL_MAX_MS);
  expect(p.waiting).toBe(0);
  assertByteExact(await readSegmentHashes(b.page), origin, { minSegments: 5 });
  expect(await fatalPlayerErrors(b.page)).toEqual([]);
  expect(b.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  return p;
}

/**
 * Waits until a seeder's player has buffered the whole VOD and its store has held the same segments for a second:
 * it asks for nothing more. (Not "all 30 segments": in one run a seeder's store held 29 of the 30 its player had.)
 */
async function filled(v: Viewer, name: string): Promise<void> {
  const state = async () => {
    const { ended } = (await v.page.evaluate(`(() => { const m = window.demo.video; const n = m.buffered.length;
      return { ended: n > 0 && m.duration > 0 && m.buffered.end(n - 1) >= m.duration - 0.5 }; })()`)) as { ended: boolean };
    return { ended, segments: (await stats(v.page))?.storeSegments ?? 0 };
  };
  let last = -1;
  await waitFor(`${name} to buffer the whole VOD and hold still`, async () => {
    const s = await state();
    const still = s.ended && s.segments === last;
    last = s.ended ? s.segments : -1;
    if (!still) await sleep(1000);
    return still;
  }, (still) => still, 40_000);
}

const sizeOf = (url: string) => statSync(join(REPO_ROOT, new URL(url).pathname)).size;
const started = Date.now();
const phase = (what: string) => console.log(`  [${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);

// seeders fill their stores at full speed, then their uplinks slow down before the receiver arrives
const seederScripts = [eventLog, segmentHashesInitScript, slowUplink()];
const slowDown = (...seeders: Viewer[]) =>
  Promise.all(seeders.map((s) => s.page.evaluate(`window.__uplink.bytesPerSec = ${UPLINK_BYTES_PER_SEC}`)));
const receiverScripts = [eventLog, playbackMonitor, segmentHashesInitScript, segmentTimings];

it('G5: the only peer holding a segment closes mid-transfer: the segment completes over HTTP, byte-exact, no stall', async () => {
  const seederUrl = site.page('g5-seeder', p2p.url);
  const receiverUrl = site.page('g5-receiver', p2p.url, { data: { 'prefetch-ahead-sec': '0' } });
  const a = await open(seederUrl, seederScripts);
  await waitFor('A to hold segments', () => stats(a.page), (s) => !!s && s.storeSegments >= 12, 40_000);
  await slowDown(a);
  const b = await open(receiverUrl, receiverScripts);
  phase('G5: B opened');
  const cut = await closeSeederMidTransfer(b, [a]);
  phase('G5: A closed');
  const t = (await playback(b.page))!.currentTime;
  const { timing, event } = await outcomeOf(b, cut.url);
  const p = await assertPlayedThrough(b, 'G5', t);
  console.log(
    `G5: A closed with ${cut.held} B of ${cut.url.split('/').pop()} (${sizeOf(cut.url)} B) not yet sent (B buffered ${cut.bufferSec.toFixed(1)} s); ` +
      `the request ended ${timing.outcome} ${timing.status} after ${Math.round(timing.end! - timing.start)} ms, ` +
      `source ${event.source} (${event.fallback}); B longest stall ${p.longestStallMs} ms, waiting ${p.waiting}`,
  );
  expect(timing.outcome).toBe('load');
  expect(timing.status).toBe(200);
  expect(event.source).toBe('http');
  expect(['peer-closed', 'peer-stall', 'peer-timeout']).toContain(event.fallback);
  await b.close();
  await a.close();
});

it('G6: a peer closes mid-transfer while another holds the segment: the segment completes from the other peer', async () => {
  // seeders' players buffer the whole VOD (60 s) at once, so that they fetch nothing once slowed down
  const seederUrl = site.page('g6-seeder', p2p.url, { hls: { maxBufferLength: 60, maxMaxBufferLength: 60 } });
  // a P2P budget that leaves room for a second try after the first peer is gone
  const receiverUrl = site.page('g6-receiver', p2p.url, { data: { 'prefetch-ahead-sec': '0', 'p2p-timeout-ms': '6000' } });
  // both seeders start together, so each fills its store from the origin at once
  const [a, c] = await Promise.all([open(seederUrl, seederScripts), open(seederUrl, seederScripts)]);
  await filled(a, 'A');
  await filled(c, 'C');
  await slowDown(a, c);
  phase('G6: A and C hold the whole VOD');
  const sentSoFar = async (v: Viewer) => Object.values(await uplinkOf(v)).reduce((n, ch) => n + ch.sent, 0);
  const seedersSent = { a: await sentSoFar(a), c: await sentSoFar(c) };
  const b = await open(receiverUrl, receiverScripts);
  await waitFor('B to be linked to A and C', () => linksOf(b), (l) => l.length >= 2, 30_000);

  phase('G6: B linked to A and C');
  const cut = await closeSeederMidTransfer(b, [a, c]);
  phase('G6: a seeder closed');
  const other = cut.closed === a ? c : a;
  const otherId = (await stats(other.page))!.peerId;
  // the premise: once slowed down, the seeders sent nothing but what B asked of them
  const toB = (await linksOf(b)).find((l) => l.peer === otherId)!.label;
  const otherUplink = await uplinkOf(other);
  const sentToB = otherUplink[toB]?.sent ?? 0;
  expect(Object.values(otherUplink).reduce((n, ch) => n + ch.sent, 0) - sentToB).toBe(other === a ? seedersSent.a : seedersSent.c);
  const t = (await playback(b.page))!.currentTime;
  const { timing, event } = await outcomeOf(b, cut.url);
  const p = await assertPlayedThrough(b, 'G6', t);
  console.log(
    `G6: ${cut.closed === a ? 'A' : 'C'} closed with ${cut.held} B of ${cut.url.split('/').pop()} (${sizeOf(cut.url)} B) not yet sent ` +
      `(B buffered ${cut.bufferSec.toFixed(1)} s); the request ended ${timing.outcome} ${timing.status} after ` +
      `${Math.round(timing.end! - timing.start)} ms, source ${event.source} from ${event.peerId === otherId ? 'the other seeder' : event.peerId}; ` +
      `B longest stall ${p.longestStallMs} ms, waiting ${p.waiting}`,
  );
  if (event.peerId !== otherId) {
    console.log(`ids: A ${(await stats(a.page).catch(() => null))?.peerId}, C ${(await stats(c.page).catch(() => null))?.peerId}, closed ${cut.closedId}`);
    console.log(JSON.stringify((await swarmLog(b.page)).map((e) => [e.at, e.type, e.url?.split('/').pop(), e.source, e.peerId?.slice(0, 4), e.fallback, e.ms, e.state, e.reason])));
  }
  expect(timing.outcome).toBe('load');
  expect(timing.status).toBe(200);
  expect(event.source).toBe('p2p');
  expect(event.peerId).toBe(otherId);
  expect(event.peerId).not.toBe(cut.closedId);
  await b.close();
  await other.close();
});
