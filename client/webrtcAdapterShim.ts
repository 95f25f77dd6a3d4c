/**
 * Stands in for `webrtc-adapter` in dist/swarmfetch.js. PeerJS imports the adapter (~50 KB minified with its `sdp`
 * dependency) only to read `browserDetails` for its browser-support check; the adapter's shims target browsers far
 * older than those with service workers and RTCDataChannel. This reports the same details from the user agent.
 */
function detect(): { browser: string; version: number | null } {
  const ua = typeof navigator === 'undefined' ? '' : navigator.userAgent;
  const m = /Firefox\/(\d+)/.exec(ua) ?? null;
  if (m) return { browser: 'firefox', version: Number(m[1]) };
  const c = /(?:Chrome|Chromium|CriOS)\/(\d+)/.exec(ua);
  if (c) return { browser: 'chrome', version: Number(c[1]) };
  const s = /Version\/(\d+).*Safari/.exec(ua);
  if (s) return { browser: 'safari', version: Number(s[1]) };
  return { browser: 'Not a supported browser.', version: null };
}

// pure: a bundle that never reads the details (the drop-in: see scripts/peerjsTrim.mjs) leaves the check out
export default { browserDetails: /* @__PURE__ */ detect() };
