/**
 * Fail closed (issue 9): a site with no hash source at all — no manifest (lookup off), no tag in its playlists, a
 * P2P server without an oracle — plays over HTTP only: the second viewer takes no byte from the first, says why in
 * stats().integrity and warns once in the console; every byte its player got is the origin's. With the explicit
 * opt-out (`data-accept-unverified-peer-bytes`) the same pair shares, which shows the first half could fail.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
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
  waitForPlayback,
  type P2pServer,
  type Viewer,
} from '../e2e/harness';
import { MEDIA_DIR, MEDIA_PREFIX, startChaosSite, type ChaosSite } from './kit/chaosSite';
import { stats, waitFor } from './kit/probes';

let browser: Browser;
let site: ChaosSite;
let p2p: P2pServer;
let origin: Map<string, string>;
const viewers: Viewer[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  site = await startChaosSite();
  p2p = await startP2pServer(); // no --hash-origin: the server has no oracle
  origin = await originHashes(join(REPO_ROOT, MEDIA_DIR), MEDIA_PREFIX);
});
afterAll(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  await p2p?.stop();
  await site?.stop();
});

interface Integrity { policy: string; state: string; reason: string | null; unavailableSegments: number }

async function pair(name: string, data: Record<string, string>) {
  // peers joined at once, so the second viewer has its connection up while it plays
  const url = site.page(name, p2p.url, { data: { 'integrity-lookup': 'false', 'peer-join-max-delay-ms': '0', ...data } });
  const a = await newViewer(browser, url, { initScript: segmentHashesInitScript });
  viewers.push(a);
  await waitForPlayback(a.page, 8, 40_000);
  const b = await newViewer(browser, url, { initScript: segmentHashesInitScript });
  viewers.push(b);
  await waitFor('B connected to A', () => stats(b.page), (s) => (s?.peers ?? 0) >= 1, 30_000);
  await waitForPlayback(b.page, 8, 40_000);
  const s = (await stats(b.page))!;
  const integrity = (await b.page.evaluate('window.swarmfetch.stats().integrity')) as Integrity;
  assertByteExact(await readSegmentHashes(b.page), origin);
  return { a, b, s, integrity };
}

describe('fail closed: a site without any hash source', () => {
  it('plays over HTTP only by default, says why in stats().integrity and warns once in the console', async () => {
    const { b, s, integrity } = await pair('no-source', {});
    expect(s.p2pBytes, 'no unchecked peer byte taken').toBe(0);
    expect(s.httpBytes).toBeGreaterThan(0);
    expect(integrity).toMatchObject({ policy: 'verified-only', state: 'no-source' });
    expect(integrity.reason).toMatch(/no hash source covers .*come over HTTP/);
    const warnings = b.console.filter((l) => l.startsWith('warning: swarmfetch: no hash source'));
    expect(warnings, b.console.join('\n')).toHaveLength(1);
    expect(warnings[0]).toMatch(/--hash-origin/);
    expect(b.errors).toEqual([]);
  });

  it('shares unchecked only with the explicit opt-out (acceptUnverifiedPeerBytes)', async () => {
    const { s, integrity } = await pair('opt-out', { 'accept-unverified-peer-bytes': 'true' });
    expect(integrity).toMatchObject({ policy: 'unverified-allowed', state: 'no-source' });
    expect(s.p2pBytes / (s.p2pBytes + s.httpBytes)).toBeGreaterThan(0.5);
  });
});
