// Launch facts for the Debian Chromium, shared by the end-to-end harness (browser.ts) and the benchmark
// (bench/browser.mjs). Plain JavaScript so `node bench/run.mjs` needs no TypeScript runner.
//
// Chromium keeps one value per switch (the last one given), and Playwright passes its own `--disable-features=…`.
// So we learn Playwright's exact switch (by letting it "launch" a stub executable that records its arguments),
// tell Playwright to leave it out (`ignoreDefaultArgs`), and pass one merged `--disable-features=` holding
// Playwright's features and ours (`WebRtcHideLocalIpsWithMdns`, without which host candidates are mDNS names that
// do not resolve in a network namespace).
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Switches that work headless on these machines (shared/TESTING.md), except --disable-features (merged). */
export const CHROMIUM_ARGS = Object.freeze([
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
]);

/** Features we need off, on top of whatever Playwright turns off. */
export const DISABLED_FEATURES = Object.freeze(['WebRtcHideLocalIpsWithMdns']);

export const FEATURES_SWITCH = '--disable-features=';

let learned = null;

/**
 * The exact `--disable-features=…` switch(es) Playwright adds by default, learned once per process by launching a
 * stub executable that writes its arguments to a file and exits (~50 ms, no browser started).
 */
export function playwrightDisableFeatureSwitches() {
  learned ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swarmfetch-pwargs-'));
    const stub = join(dir, 'chromium');
    const out = join(dir, 'args');
    writeFileSync(stub, `#!/bin/sh\nprintf '%s\\n' "$@" > '${out}'\nexit 1\n`, { mode: 0o755 });
    try {
      await chromium.launch({ executablePath: stub, timeout: 10_000 }).then(
        (b) => b.close(),
        () => undefined, // expected: the stub exits at once
      );
      return readFileSync(out, 'utf8').split('\n').filter((a) => a.startsWith(FEATURES_SWITCH));
    } catch (err) {
      throw new Error(`could not learn Playwright's default switches: ${String(err)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return learned;
}

/** The feature names inside --disable-features switches. */
export function featuresOf(switches) {
  return switches.flatMap((s) => s.slice(FEATURES_SWITCH.length).split(',')).filter(Boolean);
}

/** The browser process started with `marker` among its switches (Linux /proc): `{ pid, argv }`, or null. */
export function findBrowserProcess(marker) {
  let pids;
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return null;
  }
  for (const pid of pids) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.includes(marker) && !argv.some((a) => a.startsWith('--type='))) return { pid: Number(pid), argv };
    } catch {
      // gone, or not ours to read
    }
  }
  return null;
}
