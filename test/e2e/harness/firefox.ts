/**
 * Launching Debian's Firefox ESR through puppeteer-core over WebDriver BiDi, and opening Firefox "viewers" (one
 * browser context each), the counterpart of browser.ts for Chromium. Playwright cannot drive a stock Firefox (it
 * needs its own patched build); puppeteer-core speaks WebDriver BiDi, which Firefox ships, and downloads nothing.
 *
 * Prefs (FIREFOX_PREFS, on top of puppeteer's own test profile defaults):
 * - `media.peerconnection.ice.obfuscate_host_addresses: false`: without it Firefox, like Chromium with
 *   WebRtcHideLocalIpsWithMdns, hides its host candidates behind mDNS names (`<uuid>.local`) when the page has no
 *   camera/microphone permission. Measured in the test namespace: Firefox still connects without it (its own mDNS
 *   responder answers over v0's looped-back multicast, and Chromium meets it through peer-reflexive candidates), but
 *   every connection then depends on mDNS inside the namespace (which does not cross namespaces, as in the lab).
 *   With it off, candidates are plain addresses (10.77.0.1), the same ICE path as the Chromium tests. A lab
 *   artefact: a user's Firefox needs no change.
 * - `media.autoplay.default: 0` (allow): measured not needed for the demo (its <video> is muted, and Firefox lets
 *   muted media autoplay); set so that playback in a headless browser nobody ever clicked never depends on Firefox's
 *   autoplay heuristics (the counterpart of Chromium's --autoplay-policy=no-user-gesture-required).
 *
 * Page-side readers of the harness (videoState, waitForPlayback, readSegmentHashes) are written against
 * Playwright's Page; `pwPage(page)` adapts a puppeteer page to the two methods they use, so the very same code reads
 * both browsers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page as PlaywrightPage } from 'playwright-core';
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';
import { readSegmentHashes, type SegmentHash } from './segmentHashes';
import { videoState, waitForPlayback, type VideoState } from './video';

export type { Browser as FirefoxBrowser, Page as FirefoxPage } from 'puppeteer-core';

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** The prefs every Firefox of the tests gets (see the file's comment for why each). */
export const FIREFOX_PREFS: Readonly<Record<string, unknown>> = Object.freeze({
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.autoplay.default': 0,
});

export interface LaunchFirefoxOptions {
  /** More prefs (e.g. `dom.serviceWorkers.enabled: false`); they win over FIREFOX_PREFS. */
  prefs?: Record<string, unknown>;
  /** Longest wait for Firefox to start and answer over WebDriver BiDi. @default 30000 */
  timeoutMs?: number;
  /** Longest wait for any one protocol call (a hung call fails instead of hanging the test). @default 60000 */
  protocolTimeoutMs?: number;
}

export interface LaunchedFirefox {
  browser: Browser;
  /** The temporary profile directory (removed by close()). */
  profileDir: string;
  /** Closes the browser (killing it when it does not quit within 10 s) and removes the profile. Idempotent. */
  close(): Promise<void>;
}

/**
 * Launches headless Firefox ESR over WebDriver BiDi with FIREFOX_PREFS (+ options.prefs) in a fresh temporary
 * profile. Bounded in time: throws (and leaves no process or profile behind) when Firefox does not answer within
 * `timeoutMs`.
 */
export async function launchFirefox(options: LaunchFirefoxOptions = {}): Promise<LaunchedFirefox> {
  const profileDir = await mkdtemp(join(tmpdir(), 'swarmfetch-firefox-'));
  const removeProfile = () => rm(profileDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX_PATH,
      headless: true,
      userDataDir: profileDir,
      extraPrefsFirefox: { ...FIREFOX_PREFS, ...options.prefs },
      timeout: options.timeoutMs ?? 30_000,
      protocolTimeout: options.protocolTimeoutMs ?? 60_000,
      // vitest handles the signals; puppeteer's own handlers would only duplicate the cleanup
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (err) {
    await removeProfile();
    throw new Error(`launchFirefox: ${FIREFOX_PATH} did not start over WebDriver BiDi: ${String(err)}`);
  }
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      const proc = browser.process();
      const quit = browser.close().catch(() => undefined);
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref());
      if ((await Promise.race([quit, timer])) === 'timeout') proc?.kill('SIGKILL');
      await removeProfile();
    })());
  return { browser, profileDir, close };
}

export interface FirefoxViewerOptions {
  /** Scripts (source text) run in every document of the page before its own scripts (page.evaluateOnNewDocument). */
  initScript?: string | string[];
  /**
   * The viewer's User-Agent (page.setUserAgent, WebDriver BiDi `emulation.setUserAgentOverride`: not in Firefox ESR
   * 140, which answers "unknown command"; there, launch a Firefox per viewer with the `general.useragent.override`
   * pref instead, as firefox.e2e.test.ts does).
   */
  userAgent?: string;
  /** When the first navigation counts as done. @default 'load' */
  waitUntil?: 'load' | 'domcontentloaded';
}

export interface FirefoxViewer {
  context: BrowserContext;
  page: Page;
  /** `console.error` messages and uncaught page errors, in order, as text. */
  errors: string[];
  /** Every console message of the page as `type: text`, for debugging. */
  console: string[];
  close(): Promise<void>;
}

/**
 * A separate Firefox viewer: its own browser context (a WebDriver BiDi user context: own cookies, storage, cache and
 * service worker registrations) and one page opened on `url`. Console errors and uncaught exceptions land in `errors`.
 */
export async function newFirefoxViewer(browser: Browser, url: string, options: FirefoxViewerOptions = {}): Promise<FirefoxViewer> {
  const context = await browser.createBrowserContext();
  const errors: string[] = [];
  const lines: string[] = [];
  const viewer: FirefoxViewer = {
    context,
    page: undefined as unknown as Page,
    errors,
    console: lines,
    close: () => context.close().catch(() => undefined),
  };
  try {
    const page = await context.newPage();
    viewer.page = page;
    page.on('console', (msg) => {
      const loc = msg.location();
      const where = loc.url ? ` (${loc.url}:${loc.lineNumber ?? '?'})` : '';
      lines.push(`${msg.type()}: ${msg.text()}`);
      if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}${where}`);
    });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
    page.on('error', (err) => errors.push(`crash: ${err.message}`));
    const scripts = options.initScript === undefined ? [] : Array.isArray(options.initScript) ? options.initScript : [options.initScript];
    for (const script of scripts) await page.evaluateOnNewDocument(script);
    if (options.userAgent !== undefined) await page.setUserAgent(options.userAgent);
    await page.goto(url, { waitUntil: options.waitUntil ?? 'load' });
  } catch (err) {
    await viewer.close();
    throw err;
  }
  return viewer;
}

/**
 * A puppeteer page seen through the two Playwright Page methods the harness's page readers use (`evaluate` of
 * source text, `waitForFunction` of source text with a timeout), so videoState / waitForPlayback /
 * readSegmentHashes read a Firefox page with the same code as a Chromium one. The wait polls from Node (page timers
 * of a background tab are throttled in Firefox).
 */
export function pwPage(page: Page): PlaywrightPage {
  const like = {
    evaluate: (source: string) => page.evaluate(source),
    waitForFunction: async (source: string, _arg: unknown, opts: { timeout?: number; polling?: number } = {}) => {
      const deadline = Date.now() + (opts.timeout ?? 30_000);
      for (;;) {
        if (await page.evaluate(source)) return;
        if (Date.now() > deadline) throw new Error(`waitForFunction: ${source} stayed false for ${opts.timeout ?? 30_000} ms`);
        await new Promise((r) => setTimeout(r, opts.polling ?? 50));
      }
    },
  };
  return like as unknown as PlaywrightPage;
}

export const firefoxVideoState = (page: Page, selector?: string): Promise<VideoState> => videoState(pwPage(page), selector);
export const firefoxWaitForPlayback = (page: Page, seconds: number, timeoutMs?: number, selector?: string): Promise<VideoState> =>
  waitForPlayback(pwPage(page), seconds, timeoutMs, selector);
export const firefoxSegmentHashes = (page: Page, timeoutMs?: number): Promise<SegmentHash[]> => readSegmentHashes(pwPage(page), timeoutMs);
