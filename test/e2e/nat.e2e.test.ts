/**
 * Crossing NATs (issue 13), in the network lab (test/lab/): each viewer is its own Chromium in its own home
 * network (192.168.1.2 in every home), behind its own NAT, on a `cable` line (50/10 Mbit/s); the site, the P2P
 * server (with its STUN responder) and coturn are on the lab's public address.
 * - Behind two port-restricted cone NATs, the default config connects (the P2P server's own STUN, asked through
 *   `POST /swarmfetch/v1/ice`) and the second viewer gets most of its bytes from the first, byte-exact.
 * - With `iceServers: []` (host candidates only) they never connect, and both play over HTTP, unharmed.
 * - Behind two symmetric NATs STUN is not enough: with TURN configured on the P2P server they connect through the
 *   relay (its bytes counted apart); without TURN they never connect and play over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCoturn, type Coturn } from '../lab/coturn.mjs';
import { createLab, type Lab, type LabViewer } from '../lab/lab.mjs';
import { launchLabBrowser } from '../lab/launchLabBrowser.mjs';
import { MEDIA_DIR, MEDIA_PREFIX, startChaosSite, type ChaosSite } from '../chaos/kit/chaosSite';
import { eventLog, stats, swarmLog, type Stats } from '../chaos/kit/probes';
import {
  REPO_ROOT,
  assertByteExact,
  newViewer,
  originHashes,
  readSegmentHashes,
  segmentHashesInitScript,
  startP2pServer,
  videoState,
  waitForPlayback,
  type P2pServer,
  type Viewer,
} from './harness';

interface LabStats extends Stats {
  relayedDownloadedBytes: number;
  relayedUploadedBytes: number;
  peerList: Array<{ peerId: string; downloadedBytes: number; uploadedBytes: number; relayed: boolean }>;
}

let lab: Lab;
let site: ChaosSite;
let p2p: P2pServer;
let p2pTurn: P2pServer;
let coturn: Coturn;
let origin: Map<string, string>;
const browsers: Browser[] = [];
const viewers: Viewer[] = [];

beforeAll(async () => {
  lab = await createLab({
    viewers: [
      { nat: 'cone', profile: 'cable' },
      { nat: 'cone', profile: 'cable' },
      { nat: 'symmetric', profile: 'cable' },
      { nat: 'symmetric', profile: 'cable' },
    ],
  });
  const address = lab.publicAddress;
  const secret = randomBytes(24).toString('hex');
  coturn = await startCoturn({ address, secret });
  site = await startChaosSite(address);
  p2p = await startP2pServer(undefined, [], address);
  p2pTurn = await startP2pServer(undefined, ['--turn-url', coturn.urls.join(','), '--turn-secret', secret], address);
  origin = await originHashes(join(REPO_ROOT, MEDIA_DIR), MEDIA_PREFIX);
}, 90_000);

afterEach(async () => {
  for (const v of viewers.splice(0)) await v.close();
  for (const b of browsers.splice(0)) await b.close().catch(() => undefined);
});

afterAll(async () => {
  await p2p?.stop();
  await p2pTurn?.stop();
  await site?.stop();
  await coturn?.stop();
  await lab?.destroy();
});

/** Opens the page in a viewer's own Chromium, in its home namespace. */
async function open(labViewer: LabViewer, url: string): Promise<Viewer> {
  const browser = await launchLabBrowser({ viewer: labViewer, secureOrigins: [site.url] });
  browsers.push(browser);
  const v = await newViewer(browser, url, { initScript: [segmentHashesInitScript, eventLog] });
  viewers.push(v);
  return v;
}

const labStats = async (v: Viewer) => (await stats(v.page)) as LabStats | null;

/**
 * A plays 8 s, then B opens; B plays 12 s. Peers are joined at once (the lab's handshakes are measured here, not the
 * player-start hold). Returns B's stats, both viewers' logs, and when B got its first peer (ms after its page
 * started), if it did.
 */
async function pair(name: string, server: P2pServer, homes: [LabViewer, LabViewer], data: Record<string, string> = {}) {
  const url = site.page(name, server.url, { data: { 'peer-join-max-delay-ms': '0', ...data } });
  const a = await open(homes[0], url);
  await waitForPlayback(a.page, 8, 40_000);
  const b = await open(homes[1], url);
  await waitForPlayback(b.page, 12, 45_000);
  const s = (await labStats(b))!;
  const sa = (await labStats(a))!;
  const log = await swarmLog(b.page);
  const firstPeer = log.find((e) => e.type === 'peer' && e.state === 'connected')?.at ?? null;
  assertByteExact(await readSegmentHashes(b.page), origin);
  assertByteExact(await readSegmentHashes(a.page), origin);
  return { a, b, s, sa, log, firstPeer };
}

/** Neither viewer connected to a peer and both played over HTTP, with no error and no lost playback. */
async function expectHttpOnly(r: Awaited<ReturnType<typeof pair>>) {
  for (const [who, s, v] of [['A', r.sa, r.a], ['B', r.s, r.b]] as const) {
    expect(s.peers, `${who} peers`).toBe(0);
    expect(s.p2pBytes, `${who} P2P bytes`).toBe(0);
    expect(s.httpBytes, `${who} HTTP bytes`).toBeGreaterThan(0);
    expect(v.errors, `${who} errors`).toEqual([]);
    const hlsErrors = (await v.page.evaluate('window.demo.errors')) as Array<{ fatal: boolean }>;
    expect(hlsErrors.filter((e) => e.fatal), `${who} fatal player errors`).toEqual([]);
    expect((await videoState(v.page)).error, `${who} video error`).toBeNull();
  }
  // nothing reached a peer: no connection ever opened
  expect(r.log.filter((e) => e.type === 'peer' && e.state === 'connected')).toEqual([]);
}

describe('two viewers behind two port-restricted cone NATs', () => {
  it('connect with the default config (the P2P server\'s own STUN) and share: B gets ≥ 50 % of its bytes from A', async () => {
    const r = await pair('nat-cone-default', p2p, [lab.viewers[0]!, lab.viewers[1]!]);
    expect(r.firstPeer, 'B connected to A').not.toBeNull();
    expect(r.s.p2pBytes / (r.s.p2pBytes + r.s.httpBytes), JSON.stringify(r.s)).toBeGreaterThanOrEqual(0.5);
    // a direct (server-reflexive) route: nothing relayed, no TURN here
    expect(r.s.relayedDownloadedBytes).toBe(0);
    expect(r.s.peerList.every((p) => !p.relayed)).toBe(true);
    expect(r.a.errors).toEqual([]);
    expect(r.b.errors).toEqual([]);
  });

  it('with host candidates only (iceServers: []) never connect, and both play over HTTP unharmed', async () => {
    const r = await pair('nat-cone-no-stun', p2p, [lab.viewers[0]!, lab.viewers[1]!], { 'ice-servers': '[]' });
    await expectHttpOnly(r);
  });
});

describe('two viewers behind two symmetric NATs', () => {
  it('connect through TURN when the P2P server hands out TURN credentials, its bytes counted as relayed', async () => {
    const r = await pair('nat-sym-turn', p2pTurn, [lab.viewers[2]!, lab.viewers[3]!]);
    expect(r.firstPeer, 'B connected to A').not.toBeNull();
    expect(r.s.p2pBytes / (r.s.p2pBytes + r.s.httpBytes), JSON.stringify(r.s)).toBeGreaterThanOrEqual(0.5);
    const viaA = r.s.peerList.find((p) => p.downloadedBytes > 0);
    expect(viaA?.relayed, JSON.stringify(r.s.peerList)).toBe(true);
    expect(r.s.relayedDownloadedBytes).toBeGreaterThanOrEqual(viaA!.downloadedBytes);
    expect(r.sa.relayedUploadedBytes).toBeGreaterThan(0);
    expect(r.a.errors).toEqual([]);
    expect(r.b.errors).toEqual([]);
  });

  it('without TURN (STUN only) never connect, and both play over HTTP unharmed', async () => {
    const r = await pair('nat-sym-stun', p2p, [lab.viewers[2]!, lab.viewers[3]!]);
    await expectHttpOnly(r);
  });

  it('with TURN on the server but relays forbidden by the page (allowRelayedPeers: false), play over HTTP', async () => {
    const r = await pair('nat-sym-no-relay', p2pTurn, [lab.viewers[2]!, lab.viewers[3]!], { 'allow-relayed-peers': 'false' });
    await expectHttpOnly(r);
  });
});
