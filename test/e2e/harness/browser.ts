/**
 * Launching the Debian Chromium through playwright-core, and opening "viewers" (one browser context each).
 *
 * Chromium keeps one value per switch (the last one given), and Playwright passes its own `--disable-features=…`.
 * So we learn Playwright's exact switch (by letting it "launch" a stub executable that records its arguments),
 * tell Playwright to leave it out (`ignoreDefaultArgs`), and pass one merged `--disable-features=` holding
 * Playwright's features and ours (`WebRtcHideLocalIpsWithMdns`, without which host candidates are mDNS names that
 * do not resolve in a network namespace). After each launch the browser's real command line is checked.
 */
import { randomUUID } from 'node:crypto';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type LaunchOptions,
  type Page,
} from 'playwright-core';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  DISABLED_FEATURES,
  FEATURES_SWITCH,
  featuresOf,
  findBrowserProcess,
  playwrightDisableFeatureSwitches,
} from './chromium.mjs';

export { CHROMIUM_ARGS, CHROMIUM_PATH, DISABLED_FEATURES, playwrightDisableFeatureSwitches };

export interface LaunchBrowserOptions {
  /** More switches (not --disable-features: use `disableFeatures`). */
  args?: string[];
  /** More features to disable; merged into the one --disable-features switch. */
  disableFeatures?: string[];
  /** Passed through to playwright's launch (timeout, env, …). */
  launch?: Omit<LaunchOptions, 'executablePath' | 'args' | 'ignoreDefaultArgs'>;
}

async function commandLineFromVersionPage(browser: Browser): Promise<string[]> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto('chrome://version');
    return ((await page.textContent('#command_line')) ?? '').split(/\s+/);
  } finally {
    await context.close();
  }
}

/**
 * Launches Chromium with the flags of shared/TESTING.md and one merged --disable-features switch, then checks the
 * real command line: exactly one --disable-features holding every wanted feature. Throws when it does not.
 */
export async function launchBrowser(options: LaunchBrowserOptions = {}): Promise<Browser> {
  const extra = options.args ?? [];
  if (extra.some((a) => a.startsWith(FEATURES_SWITCH))) {
    throw new Error('launchBrowser: pass features to disable as options.disableFeatures, not as a switch');
  }
  const playwrightSwitches = await playwrightDisableFeatureSwitches();
  const wanted = [...new Set([...featuresOf(playwrightSwitches), ...DISABLED_FEATURES, ...(options.disableFeatures ?? [])])];
  // An unknown switch Chromium ignores; it lets us find this browser's process and read its real argv.
  const marker = `--swarmfetch-launch=${randomUUID()}`;
  const browser = await chromium.launch({
    headless: true,
    ...options.launch,
    executablePath: CHROMIUM_PATH,
    ignoreDefaultArgs: playwrightSwitches,
    args: [...CHROMIUM_ARGS, ...extra, `${FEATURES_SWITCH}${wanted.join(',')}`, marker],
  });
  try {
    const argv = findBrowserProcess(marker)?.argv ?? (await commandLineFromVersionPage(browser));
    const switches = argv.filter((a) => a.startsWith(FEATURES_SWITCH));
    const effective = new Set(featuresOf(switches));
    const missing = wanted.filter((f) => !effective.has(f));
    if (switches.length !== 1 || missing.length > 0) {
      throw new Error(
        `launchBrowser: Chromium did not get one merged ${FEATURES_SWITCH} switch ` +
          `(found ${switches.length}: ${switches.join(' ')}; missing: ${missing.join(',') || 'none'}). ` +
          'A wrapper (e.g. /etc/chromium.d) or a Playwright change may add its own; see test/e2e/harness/browser.ts.',
      );
    }
  } catch (err) {
    await browser.close().catch(() => undefined);
    throw err;
  }
  return browser;
}

export type InitScript = Parameters<BrowserContext['addInitScript']>[0];

export interface ViewerOptions {
  /** Open the viewer with service workers blocked (context option `serviceWorkers: 'block'`). */
  blockServiceWorkers?: boolean;
  /** Scripts run in every page of the viewer before the page's own scripts (e.g. segmentHashesInitScript). */
  initScript?: InitScript | InitScript[];
  /** More context options (viewport, extraHTTPHeaders, …). */
  contextOptions?: BrowserContextOptions;
  /** When the first navigation counts as done. @default 'load' */
  waitUntil?: 'load' | 'domcontentloaded' | 'networkidle' | 'commit';
}

export interface Viewer {
  context: BrowserContext;
  page: Page;
  /** `console.error` messages and uncaught page errors, in order, as text. */
  errors: string[];
  /** Every console message of the page as `type: text`, for debugging. */
  console: string[];
  close(): Promise<void>;
}

/**
 * A separate viewer: its own browser context (own cookies, storage, service worker registrations) and one page
 * opened on `url`. Console errors and uncaught exceptions are collected in `errors`.
 */
export async function newViewer(browser: Browser, url: string, options: ViewerOptions = {}): Promise<Viewer> {
  const context = await browser.newContext({
    ...options.contextOptions,
    ...(options.blockServiceWorkers ? { serviceWorkers: 'block' as const } : {}),
  });
  const scripts = options.initScript === undefined ? [] : Array.isArray(options.initScript) ? options.initScript : [options.initScript];
  for (const script of scripts) await context.addInitScript(script);
  const page = await context.newPage();
  const errors: string[] = [];
  const lines: string[] = [];
  page.on('console', (msg) => {
    const where = msg.location().url ? ` (${msg.location().url}:${msg.location().lineNumber})` : '';
    lines.push(`${msg.type()}: ${msg.text()}`);
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}${where}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.stack ?? err.message}`));
  page.on('crash', () => errors.push('crash: the page crashed'));
  const viewer: Viewer = {
    context,
    page,
    errors,
    console: lines,
    close: () => context.close().catch(() => undefined),
  };
  try {
    await page.goto(url, { waitUntil: options.waitUntil ?? 'load' });
  } catch (err) {
    await viewer.close();
    throw err;
  }
  return viewer;
}
