/** Reading a page's <video> element from a test. */
import type { Page } from 'playwright-core';

export interface VideoState {
  /** Whether the selector matched a media element at all. */
  present: boolean;
  currentTime: number;
  duration: number;
  paused: boolean;
  ended: boolean;
  /** HTMLMediaElement.readyState (0 nothing … 4 enough data). */
  readyState: number;
  networkState: number;
  /** MediaError code and message, when the element failed. */
  error: { code: number; message: string } | null;
  /** Buffered ranges as [start, end] seconds. */
  buffered: Array<[number, number]>;
  currentSrc: string;
  /** From getVideoPlaybackQuality(), when available. */
  totalFrames: number | null;
  droppedFrames: number | null;
}

// Page functions are passed as source text so no transform of the test runner can change them.
const READ_STATE = `(selector) => {
  const v = document.querySelector(selector);
  if (!v) return { present: false, currentTime: 0, duration: 0, paused: true, ended: false, readyState: 0,
    networkState: 0, error: null, buffered: [], currentSrc: '', totalFrames: null, droppedFrames: null };
  const buffered = [];
  for (let i = 0; i < v.buffered.length; i++) buffered.push([v.buffered.start(i), v.buffered.end(i)]);
  const q = typeof v.getVideoPlaybackQuality === 'function' ? v.getVideoPlaybackQuality() : null;
  return {
    present: true,
    currentTime: v.currentTime,
    duration: Number.isFinite(v.duration) ? v.duration : -1,
    paused: v.paused,
    ended: v.ended,
    readyState: v.readyState,
    networkState: v.networkState,
    error: v.error ? { code: v.error.code, message: v.error.message } : null,
    buffered,
    currentSrc: v.currentSrc,
    totalFrames: q ? q.totalVideoFrames : null,
    droppedFrames: q ? q.droppedVideoFrames : null,
  };
}`;

/** The state of the first element matching `selector` (default: the first `<video>`). */
export async function videoState(page: Page, selector = 'video'): Promise<VideoState> {
  return (await page.evaluate(`(${READ_STATE})(${JSON.stringify(selector)})`)) as VideoState;
}

/**
 * Waits until the video's currentTime reaches `seconds`, polling. Throws (with the video's state) when the
 * element reports a media error or `timeoutMs` passes. Returns the state that satisfied it.
 */
export async function waitForPlayback(page: Page, seconds: number, timeoutMs = 30_000, selector = 'video'): Promise<VideoState> {
  const deadline = Date.now() + timeoutMs;
  let state = await videoState(page, selector);
  for (;;) {
    if (state.present && state.currentTime >= seconds) return state;
    if (state.error) {
      throw new Error(`waitForPlayback: media error before ${seconds}s: ${JSON.stringify(state)}`);
    }
    if (Date.now() >= deadline) {
      throw new Error(`waitForPlayback: currentTime did not reach ${seconds}s within ${timeoutMs} ms: ${JSON.stringify(state)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
    state = await videoState(page, selector);
  }
}
