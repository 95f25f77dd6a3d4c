/**
 * G1 (issue 4): a peer that answers after 0, 1, 5, 30 s or never. A baseline viewer (no peer at all) is measured
 * first in the same demo; then, per delay, a fresh viewer plays with the rogue (announcing every segment) as its only
 * peer: playback continues with no more rebuffers than the baseline, and every byte the player got is the origin's.
 * (The in-browser cost of the SHA-256 check per MiB, a measurement with nothing to assert, is in bench/micro.mjs.)
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
  startDemo,
  startRoguePeer,
  waitForPlayback,
  type DemoServer,
  type RoguePeer,
} from '../e2e/harness';
import { demoSwarms } from './demoSwarm';
import { readProbe, readStats, viewerProbeInitScript } from './viewerProbe';

const PLAY_SEC = 20;

let browser: Browser;
let demo: DemoServer;
let rogue: RoguePeer | null = null;
let origin: Map<string, string>;
let baselineRebuffers: number | null = null;

beforeAll(async () => {
  browser = await launchBrowser();
  demo = await startDemo();
  origin = await originHashes(join(REPO_ROOT, 'demo/media'), '/media/');
});
afterAll(async () => {
  await rogue?.close();
  await browser?.close();
  await demo?.stop();
});

async function play(label: string) {
  const v = await newViewer(browser, `${demo.url}/`, { initScript: [segmentHashesInitScript, viewerProbeInitScript] });
  try {
    await waitForPlayback(v.page, PLAY_SEC, 90_000);
    const stats = await readStats(v.page);
    const probe = await readProbe(v.page);
    const hashes = await readSegmentHashes(v.page);
    assertByteExact(hashes, origin, { minSegments: 10 });
    expect(v.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    const fromPeers = probe.events.filter((e) => e.type === 'segment' && e.source === 'p2p');
    console.log(
      `G1 ${label}: rebuffers ${probe.rebuffers}, first frame after ${Math.round(probe.firstPlayingMs ?? -1)} ms, ` +
        `p2p ${stats.p2pBytes} B (${fromPeers.length} segments, ${fromPeers.filter((e) => e.verified).length} verified), ` +
        `http ${stats.httpBytes} B, banned ${stats.bannedPeers}, ${hashes.length} bodies byte-exact; peer events: ` +
        JSON.stringify(probe.events.filter((e) => e.type === 'peer' || e.type === 'error').slice(0, 20)),
    );
    return { stats, probe, fromPeers };
  } finally {
    await v.close();
  }
}

describe('G1: a slow or silent peer', () => {
  it('baseline: a viewer alone plays byte-exact', async () => {
    const { probe, stats } = await play('baseline');
    expect(stats.p2pBytes).toBe(0);
    baselineRebuffers = probe.rebuffers;
  });

  it.each([
    { label: '0 s', delayMs: 0 },
    { label: '1 s', delayMs: 1_000 },
    { label: '5 s', delayMs: 5_000 },
    { label: '30 s', delayMs: 30_000 },
    { label: 'never', delayMs: Infinity },
  ])('a peer answering after $label: no rebuffer beyond the baseline, every byte the origin\'s', async ({ label, delayMs }) => {
    expect(baselineRebuffers).not.toBeNull();
    rogue ??= await startRoguePeer(browser, { serverUrl: demo.url, swarms: demoSwarms(demo.url) });
    await rogue.setMode('correct', delayMs);
    const before = await rogue.stats();
    const { probe, stats, fromPeers } = await play(label);
    const after = await rogue.stats();
    expect(after.connections - before.connections).toBeGreaterThan(0);
    expect(after.requests - before.requests).toBeGreaterThan(0);
    expect(probe.rebuffers).toBeLessThanOrEqual(baselineRebuffers!);
    if (delayMs === 0) {
      // an honest, prompt peer is used, and what it sends is checked against the demo's integrity manifest
      expect(stats.p2pBytes).toBeGreaterThan(0);
      expect(stats.verifiedSegments).toBeGreaterThan(0);
      expect(fromPeers.every((e) => e.verified)).toBe(true);
    }
  });
});
