/**
 * What the chaos tests read from a page: swarmfetch's stats and events, playback progress (stalls), and the
 * timing of every segment request the player made. The init scripts are source text (no transform touches them).
 */
import type { Page } from 'playwright-core';

export interface Stats {
  httpBytes: number;
  p2pBytes: number;
  storeHitBytes: number;
  uploadedBytes: number;
  seedBytes: number;
  peers: number;
  storeBytes: number;
  storeSegments: number;
  peerId: string | null;
  active: boolean;
}

export const stats = (page: Page) =>
  page.evaluate('window.swarmfetch ? window.swarmfetch.stats() : null') as Promise<Stats | null>;

/** Records swarmfetch's segment, peer and error events in `window.__swarmLog`. */
export const eventLog = `(() => {
  if (window.__swarmLog) return;
  const log = [];
  Object.defineProperty(window, '__swarmLog', { value: log });
  const t = setInterval(() => {
    if (!window.swarmfetch) return;
    clearInterval(t);
    const at = () => Math.round(performance.now());
    window.swarmfetch.on('segment', (e) => log.push({ at: at(), type: 'segment', url: e.url, source: e.source,
      peerId: e.peerId, bytes: e.bytes, ms: Math.round(e.ms), fallback: e.fallback, error: e.error }));
    window.swarmfetch.on('peer', (e) => log.push({ at: at(), type: 'peer', peerId: e.peerId, state: e.state, reason: e.reason || '' }));
    window.swarmfetch.on('error', (e) => log.push({ at: at(), type: 'error', code: e.code, message: e.message }));
  }, 5);
})();`;

export interface LoggedEvent {
  at: number;
  type: 'segment' | 'peer' | 'error';
  url?: string;
  source?: 'http' | 'p2p' | 'store';
  peerId?: string | null;
  bytes?: number;
  ms?: number;
  fallback?: string | null;
  error?: string | null;
  state?: string;
  reason?: string;
  code?: string;
  message?: string;
}

export const swarmLog = (page: Page) => page.evaluate('window.__swarmLog || []') as Promise<LoggedEvent[]>;

/**
 * Watches the first <video>: once it has started, the longest time its currentTime did not move while it was
 * neither paused nor ended, and the `waiting` events (rebuffers) it fired.
 */
export const playbackMonitor = `(() => {
  if (window.__playback) return;
  const p = { started: false, lastT: -1, lastMoveAt: 0, longestStallMs: 0, stalls: [], waiting: 0 };
  Object.defineProperty(window, '__playback', { value: p });
  setInterval(() => {
    const v = document.querySelector('video');
    if (!v) return;
    const now = performance.now();
    if (v.currentTime !== p.lastT) {
      if (p.started) {
        const gap = now - p.lastMoveAt;
        p.longestStallMs = Math.max(p.longestStallMs, gap);
        if (gap > 1000) p.stalls.push({ at: Math.round(p.lastMoveAt), ms: Math.round(gap), t: p.lastT });
      }
      if (v.currentTime > 0) p.started = true;
      p.lastT = v.currentTime;
      p.lastMoveAt = now;
    } else if (v.paused || v.ended) {
      p.lastMoveAt = now;
    }
  }, 100);
  document.addEventListener('waiting', () => { if (p.started) p.waiting++; }, true);
})();`;

export interface Playback {
  started: boolean;
  /** Longest time (ms) the playhead stood still while playing, the current stand-still included. */
  longestStallMs: number;
  stalls: Array<{ at: number; ms: number; t: number }>;
  /** `waiting` events after playback started. */
  waiting: number;
  currentTime: number;
}

export const playback = (page: Page) =>
  page.evaluate(`(() => {
    const p = window.__playback;
    const v = document.querySelector('video');
    if (!p || !v) return null;
    const now = performance.now();
    const current = p.started && !v.paused && !v.ended ? now - p.lastMoveAt : 0;
    return { started: p.started, longestStallMs: Math.round(Math.max(p.longestStallMs, current)), stalls: p.stalls,
      waiting: p.waiting, currentTime: v.currentTime };
  })()`) as Promise<Playback | null>;

/** Every XHR of a segment path the page made: when it was sent, when and how it ended (performance.now ms). */
export const segmentTimings = `(() => {
  if (window.__segmentTimings) return;
  const SEGMENT = /\\.(ts|m4s|mp4|m4v|m4a|aac)$/i;
  const list = [];
  Object.defineProperty(window, '__segmentTimings', { value: list });
  const Native = window.XMLHttpRequest;
  window.XMLHttpRequest = class extends Native {
    open(...args) {
      try { this.__chaosUrl = new URL(args[1], location.href); } catch { this.__chaosUrl = null; }
      return super.open(...args);
    }
    send(...args) {
      const u = this.__chaosUrl;
      if (u && SEGMENT.test(u.pathname)) {
        const e = { url: u.href, start: performance.now(), end: null, status: 0, outcome: 'pending' };
        list.push(e);
        for (const outcome of ['load', 'error', 'abort', 'timeout']) {
          this.addEventListener(outcome, () => {
            if (e.end !== null) return;
            e.end = performance.now();
            e.status = this.status;
            e.outcome = outcome;
          });
        }
      }
      return super.send(...args);
    }
  };
})();`;

export interface SegmentTiming {
  url: string;
  start: number;
  end: number | null;
  status: number;
  outcome: 'pending' | 'load' | 'error' | 'abort' | 'timeout';
}

/** The page's segment requests, with `now` (page clock) to age the pending ones. */
export const readTimings = (page: Page) =>
  page.evaluate('({ now: performance.now(), list: window.__segmentTimings || [] })') as Promise<{
    now: number;
    list: SegmentTiming[];
  }>;

/** Player errors hls.js reported as fatal. */
export const fatalPlayerErrors = (page: Page) =>
  page.evaluate('window.demo ? window.demo.errors.filter((e) => e.fatal) : []') as Promise<unknown[]>;

/**
 * Longest the playhead may stand still while playing. A rebuffer (the player out of media) shows as a `waiting`
 * event, asserted absent; this catches a stall that fires none. The 100 ms sampler shares 2 loaded cores with
 * other browsers, so a second of scheduling delay alone is possible.
 */
export const STALL_MAX_MS = 2500;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until `ok` holds; throws with the last value after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await sleep(200);
  }
}
