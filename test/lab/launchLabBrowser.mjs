// Launching the Debian Chromium inside a lab viewer's home namespace (test/lab/README.md), with the launch facts of
// the e2e harness (test/e2e/harness/chromium.mjs: shared/TESTING.md's switches and ONE merged --disable-features).
// test/e2e/harness/browser.ts's launchBrowser cannot be used for this: it always launches CHROMIUM_PATH (no
// executablePath option). Plain JavaScript so `node bench/run.mjs` needs no TypeScript runner.
//
// Playwright talks to the browser over pipes (--remote-debugging-pipe, fds 3 and 4), which survive the wrapper:
// `ip netns exec` switches the namespace and execs, so the process Playwright started becomes Chromium itself.
import { randomUUID } from 'node:crypto';
import { readlinkSync, statSync } from 'node:fs';
import { chromium } from 'playwright-core';
import {
  CHROMIUM_ARGS,
  DISABLED_FEATURES,
  FEATURES_SWITCH,
  featuresOf,
  findBrowserProcess,
  playwrightDisableFeatureSwitches,
} from '../e2e/harness/chromium.mjs';

export const SECURE_ORIGINS_SWITCH = '--unsafely-treat-insecure-origin-as-secure=';

const pids = new WeakMap();

/** The network namespace inode a process is in (`net:[N]` of /proc/PID/ns/net), or null. */
function netnsOfPid(pid) {
  try {
    return /net:\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** The inode of a named namespace (/run/netns/NAME), or null. */
function netnsOfName(name) {
  try {
    return String(statSync(`/run/netns/${name}`).ino);
  } catch {
    return null;
  }
}

/**
 * Launches Chromium through a lab viewer's wrapper (`viewer.chromiumPath`), so it runs in the viewer's home
 * namespace, with CHROMIUM_ARGS, one merged --disable-features (Playwright's + DISABLED_FEATURES + `disableFeatures`)
 * and `--unsafely-treat-insecure-origin-as-secure` for `secureOrigins` (service workers need a secure context, and
 * http://203.0.113.1:PORT is not one). Then checks the browser process (found through /proc by a marker switch):
 * one merged --disable-features holding every wanted feature, the secure-origins switch, and — when `viewer.homeNs`
 * is given — that it runs in that namespace. Throws (after closing the browser) when any check fails.
 * @param {{ viewer?: { chromiumPath: string, homeNs?: string }, chromiumPath?: string, homeNs?: string,
 *   secureOrigins?: string[], args?: string[], disableFeatures?: string[], launch?: object, timeoutMs?: number }} options
 */
export async function launchLabBrowser(options = {}) {
  const executablePath = options.viewer?.chromiumPath ?? options.chromiumPath;
  const homeNs = options.viewer?.homeNs ?? options.homeNs;
  if (!executablePath) throw new Error('launchLabBrowser: give a lab viewer (or its chromiumPath)');
  const extra = options.args ?? [];
  if (extra.some((a) => a.startsWith(FEATURES_SWITCH) || a.startsWith(SECURE_ORIGINS_SWITCH))) {
    throw new Error('launchLabBrowser: pass features as disableFeatures and origins as secureOrigins, not as switches');
  }
  const origins = (options.secureOrigins ?? []).map((o) => {
    const url = new URL(o);
    if (url.origin !== o.replace(/\/$/, '')) throw new Error(`launchLabBrowser: ${o} is not an origin (scheme://host:port)`);
    return url.origin;
  });
  const playwrightSwitches = await playwrightDisableFeatureSwitches();
  const wanted = [...new Set([...featuresOf(playwrightSwitches), ...DISABLED_FEATURES, ...(options.disableFeatures ?? [])])];
  const marker = `--swarmfetch-lab=${randomUUID()}`;
  const args = [...CHROMIUM_ARGS, ...extra, `${FEATURES_SWITCH}${wanted.join(',')}`, marker];
  if (origins.length > 0) args.push(`${SECURE_ORIGINS_SWITCH}${origins.join(',')}`);
  const browser = await chromium.launch({
    headless: true,
    timeout: options.timeoutMs ?? 30_000,
    ...options.launch,
    executablePath,
    ignoreDefaultArgs: playwrightSwitches,
    args,
  });
  try {
    const found = findBrowserProcess(marker);
    if (!found) throw new Error(`launchLabBrowser: no browser process with ${marker} in /proc`);
    pids.set(browser, found.pid);
    const switches = found.argv.filter((a) => a.startsWith(FEATURES_SWITCH));
    const effective = new Set(featuresOf(switches));
    const missing = wanted.filter((f) => !effective.has(f));
    if (switches.length !== 1 || missing.length > 0) {
      throw new Error(
        `launchLabBrowser: Chromium did not get one merged ${FEATURES_SWITCH} switch ` +
          `(found ${switches.length}: ${switches.join(' ')}; missing: ${missing.join(',') || 'none'})`,
      );
    }
    const secure = found.argv.filter((a) => a.startsWith(SECURE_ORIGINS_SWITCH));
    if (origins.length > 0 && (secure.length !== 1 || secure[0] !== `${SECURE_ORIGINS_SWITCH}${origins.join(',')}`)) {
      throw new Error(`launchLabBrowser: the secure-origins switch did not arrive as given: ${secure.join(' ') || 'none'}`);
    }
    if (homeNs) {
      const want = netnsOfName(homeNs);
      const got = netnsOfPid(found.pid);
      if (want === null || got !== want) {
        throw new Error(`launchLabBrowser: Chromium (pid ${found.pid}) is in netns ${got}, not in ${homeNs} (${want})`);
      }
    }
  } catch (err) {
    await browser.close().catch(() => undefined);
    throw err;
  }
  return browser;
}

/** The pid of a browser launched by launchLabBrowser (its main process), or null. */
export function labBrowserPid(browser) {
  return pids.get(browser) ?? null;
}
