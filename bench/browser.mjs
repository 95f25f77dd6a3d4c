// Launching the Debian Chromium for the benchmark: the switches of shared/TESTING.md with ONE merged
// --disable-features (Playwright's own list + WebRtcHideLocalIpsWithMdns; Chromium keeps only the last copy of a
// switch). The same idea as test/e2e/harness/browser.ts, re-done in plain JavaScript so `node bench/run.mjs` needs
// no TypeScript runner.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  // background contexts must not be throttled: every viewer is "visible" to itself
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];
const FEATURES = '--disable-features=';
const OUR_FEATURES = ['WebRtcHideLocalIpsWithMdns'];

let defaultFeatureSwitches = null;

/** Playwright's own `--disable-features=…` switch(es), learned by "launching" a stub that records its argv. */
async function playwrightFeatureSwitches() {
  if (defaultFeatureSwitches) return defaultFeatureSwitches;
  const dir = mkdtempSync(join(tmpdir(), 'swarmfetch-bench-pwargs-'));
  const stub = join(dir, 'chromium');
  const out = join(dir, 'args');
  writeFileSync(stub, `#!/bin/sh\nprintf '%s\\n' "$@" > '${out}'\nexit 1\n`, { mode: 0o755 });
  try {
    await chromium.launch({ executablePath: stub, timeout: 10_000 }).then(
      (b) => b.close(),
      () => undefined, // expected: the stub exits at once
    );
    defaultFeatureSwitches = readFileSync(out, 'utf8').split('\n').filter((a) => a.startsWith(FEATURES));
    return defaultFeatureSwitches;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Launches Chromium headless with the merged switches; `timeoutMs` bounds the launch. */
export async function launchBrowser({ timeoutMs = 30_000 } = {}) {
  const pw = await playwrightFeatureSwitches();
  const features = [...new Set([...pw.flatMap((s) => s.slice(FEATURES.length).split(',')).filter(Boolean), ...OUR_FEATURES])];
  return chromium.launch({
    headless: true,
    executablePath: CHROMIUM_PATH,
    ignoreDefaultArgs: pw,
    args: [...ARGS, `${FEATURES}${features.join(',')}`],
    timeout: timeoutMs,
  });
}

/** A User-Agent like the browser's own, with a tag the origin byte counter can tell apart. */
export function userAgentFor(browser, tag) {
  return `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${browser.version()} Safari/537.36 swarmfetch-bench/${tag}`;
}

/** Closes a browser, giving up after `ms` (then the process is killed). */
export async function closeBrowser(browser, ms = 10_000) {
  if (!browser) return;
  let timer;
  const closed = browser.close().catch(() => undefined);
  const late = new Promise((r) => (timer = setTimeout(() => r('late'), ms)));
  const result = await Promise.race([closed, late]);
  clearTimeout(timer);
  if (result === 'late') {
    try {
      browser.process?.()?.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}
