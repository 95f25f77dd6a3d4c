import type { Browser, LaunchOptions } from 'playwright-core';

export declare const SECURE_ORIGINS_SWITCH: string;
export interface LaunchLabBrowserOptions {
  /** A lab viewer: its chromiumPath is launched, and the browser is checked to run in its homeNs. */
  viewer?: { chromiumPath: string; homeNs?: string };
  chromiumPath?: string;
  homeNs?: string;
  /** Origins (http://203.0.113.1:PORT) Chromium treats as secure: service workers need it. */
  secureOrigins?: string[];
  /** More switches (not --disable-features nor the secure-origins switch). */
  args?: string[];
  /** More features to disable; merged into the one --disable-features switch. */
  disableFeatures?: string[];
  launch?: Omit<LaunchOptions, 'executablePath' | 'args' | 'ignoreDefaultArgs'>;
  /** Launch timeout. @default 30000 */
  timeoutMs?: number;
}
export declare function launchLabBrowser(options?: LaunchLabBrowserOptions): Promise<Browser>;
export declare function labBrowserPid(browser: Browser): number | null;
