// Launching the Debian Chromium for the benchmark, with the launch facts the e2e harness uses
// (test/e2e/harness/chromium.mjs: shared/TESTING.md's switches and ONE merged --disable-features).
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { labBrowserPid, launchLabBrowser } from '../test/lab/launchLabBrowser.mjs';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  DISABLED_FEATURES,
  FEATURES_SWITCH as FEATURES,
  featuresOf,
  findBrowserProcess,
  playwrightDisableFeatureSwitches,
} from '../test/e2e/harness/chromium.mjs';

export { CHROMIUM_PATH };

/** The benchmark's own switches, on top of the harness's: background contexts must not be throttled (every viewer is "visible" to itself). */
export const BENCH_SWITCHES = Object.freeze([
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
]);

const ARGS = [...CHROMIUM_ARGS, ...BENCH_SWITCHES];

/**
 * Browsers launched and not closed yet: closed by closeAllBrowsers() when the run aborts (watchdog, signal) in the
 * middle of a scenario, whose own clean-up then never runs.
 */
const open = new Set();

/** Closes every browser this process launched and has not closed (each bounded, killed when late). */
export async function closeAllBrowsers() {
  await Promise.all([...open].map((b) => closeBrowser(b, 5_000)));
}

/** Launches Chromium headless with the merged switches; `timeoutMs` bounds the launch. */
export async function launchBrowser({ timeoutMs = 30_000 } = {}) {
  const pw = await playwrightDisableFeatureSwitches();
  const features = [...new Set([...featuresOf(pw), ...DISABLED_FEATURES])];
  // an unknown switch Chromium ignores: finds this browser's process (for its CPU time, and to kill it if stuck)
  const marker = `--swarmfetch-bench=${randomUUID()}`;
  const browser = await chromium.launch({
    headless: true,
    executablePath: CHROMIUM_PATH,
    ignoreDefaultArgs: pw,
    args: [...ARGS, `${FEATURES}${features.join(',')}`, marker],
    timeout: timeoutMs,
  });
  const found = findBrowserProcess(marker);
  pids.set(browser, found?.pid ?? null);
  open.add(browser);
  // as the e2e harness does: a wrapper (/etc/chromium.d) adding its own --disable-features would undo ours
  const switches = found ? found.argv.filter((a) => a.startsWith(FEATURES)) : [];
  const effective = new Set(switches.flatMap((x) => x.slice(FEATURES.length).split(',')));
  if (found && (switches.length !== 1 || DISABLED_FEATURES.some((f) => !effective.has(f)))) {
    await closeBrowser(browser);
    throw new Error(`launchBrowser: Chromium did not get one merged ${FEATURES} switch: ${switches.join(' ')}`);
  }
  return browser;
}

const pids = new WeakMap();

/**
 * Chromium in a network lab viewer's home namespace (test/lab/launchLabBrowser.mjs: the harness's switches, one
 * merged --disable-features, the secure-origins switch, checked to run in that namespace), with the benchmark's
 * switches. `secureOrigins`: the demo's origin (http://203.0.113.1:PORT), so its pages get service workers.
 */
export async function launchViewerBrowser(labViewer, { secureOrigins, timeoutMs = 30_000 }) {
  const browser = await launchLabBrowser({ viewer: labViewer, secureOrigins, args: [...BENCH_SWITCHES], timeoutMs });
  pids.set(browser, labBrowserPid(browser));
  open.add(browser);
  return browser;
}

/** The browser process's pid (null when not found). */
export function browserPid(browser) {
  return pids.get(browser) ?? null;
}

/** A User-Agent like the browser's own, with a tag the origin byte counter can tell apart. */
export function userAgentFor(browser, tag) {
  return `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${browser.version()} Safari/537.36 swarmfetch-bench/${tag}`;
}

/** Closes a browser, giving up after `ms` (then the process is killed). */
export async function closeBrowser(browser, ms = 10_000) {
  if (!browser) return;
  open.delete(browser);
  let timer;
  const closed = browser.close().catch(() => undefined);
  const late = new Promise((r) => (timer = setTimeout(() => r('late'), ms)));
  const result = await Promise.race([closed, late]);
  clearTimeout(timer);
  const pid = browserPid(browser);
  if (result === 'late' && pid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/**
 * CPU seconds (user + system, including reaped children) used so far by a process and all its live descendants
 * (Linux /proc; null elsewhere). For a browser: every renderer, GPU and utility process it started.
 * `byType` splits it by Chromium's `--type=` (browser, renderer, gpu-process, utility, zygote).
 */
export function processTreeCpuSeconds(rootPid) {
  return processTreeCpu(rootPid)?.total ?? null;
}

export function processTreeCpu(rootPid) {
  if (!rootPid) return null;
  let pids;
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return null;
  }
  const children = new Map();
  const ticks = new Map();
  for (const pid of pids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone
    }
    // fields after the command name "(…)": state ppid … utime(14) stime(15) cutime(16) cstime(17), 1-based
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = f[1];
    ticks.set(pid, Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(pid);
  }
  let total = 0;
  const byType = {};
  const stack = [String(rootPid)];
  while (stack.length) {
    const pid = stack.pop();
    const t = ticks.get(pid) ?? 0;
    total += t;
    let type = 'browser';
    try {
      // zygote-forked processes rewrite their command line into one string: search it as text
      const m = /--type=([\w-]+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      if (m) type = m[1];
      else if (pid !== String(rootPid)) type = 'other';
    } catch {
      type = 'gone';
    }
    byType[type] = Math.round(((byType[type] ?? 0) + t / 100) * 10) / 10;
    stack.push(...(children.get(pid) ?? []));
  }
  return { total: total / 100, byType }; // USER_HZ is 100 on Linux
}
