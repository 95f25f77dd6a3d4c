// What the benchmark measures inside each viewer's page, as an init script (runs before the page's own scripts).
//
//   - first frame: performance.now() (ms since navigation start) of the first `playing` event, or of the first
//     `timeupdate` with currentTime > 0 while playing, whichever comes first;
//   - rebuffers: `waiting` events after the first frame; a stall lasts until the next `playing`, or until
//     currentTime moves past where it was when the stall began; stalled ms sums them (an open stall counts up to
//     the snapshot);
//   - segments the player consumed: XMLHttpRequest and fetch are wrapped (like test/e2e/harness/segmentHashes.ts,
//     but counting instead of hashing): every completed 2xx response whose URL path is a media segment adds its
//     body length, by path;
//   - swarmfetch, when present: `segment`, `peer` and `error` events (window.swarmfetch is caught as it is set);
//   - live latency, every second after the first frame: Date.now() − hls.playingDate (the program date-time of the
//     playhead; the live simulator dates each segment so that its content ends when it is published) and hls.js's
//     own `hls.latency` estimate.
// Optionally sets data-* attributes on the drop-in <script src=".../swarmfetch.js"> before it runs (the parser
// hands it to a MutationObserver, whose callback runs at the microtask checkpoint before the script is prepared).

/** @param {{ scriptData?: Record<string, string> }} options  scriptData: dataset keys (camelCase) → values */
export function probeScript({ scriptData = {} } = {}) {
  return `(() => {
  if (window.__bench) return;
  const SCRIPT_DATA = ${JSON.stringify(scriptData)};
  const SEGMENT = /\\.(ts|m4s|mp4|m4v|m4a|aac)$/i;
  const now = () => performance.now();
  const s = {
    firstFrameMs: null, firstFrameVia: null, waitingEvents: 0, stalls: [], stallOpen: null,
    seekingEvents: 0, endedMs: null, startPosition: null,
    consumed: new Map(), consumedCount: 0, consumedBytes: 0, notCounted: 0,
    sfSegments: [], sfPeers: [], sfErrors: [], sfReady: [], sfHooked: false,
    latency: [], hlsLatency: [], sfSeeds: [],
    // ABR: the player's levels, what it loaded and played at which level, its bandwidth estimate
    levels: null, levelSwitched: [], fragLoads: [], fragPlayed: [], playedByLevel: {}, playedByHeight: {},
    bwEstimates: [], lastTime: null,
  };
  const video = () => document.querySelector('video');

  // ---- media events (capture on window: media events do not bubble, capture still reaches the window) ----
  function firstFrame(via) {
    if (s.firstFrameMs !== null) return;
    s.firstFrameMs = now();
    s.firstFrameVia = via;
    const v = video();
    s.startPosition = v ? v.currentTime : 0;
  }
  function endStall(why) {
    if (!s.stallOpen) return;
    s.stalls.push({ atMs: Math.round(s.stallOpen.atMs), ms: Math.round(now() - s.stallOpen.atMs), position: s.stallOpen.position, endedBy: why });
    s.stallOpen = null;
  }
  window.addEventListener('playing', (e) => {
    if (!(e.target instanceof HTMLMediaElement)) return;
    firstFrame('playing');
    endStall('playing');
  }, true);
  window.addEventListener('timeupdate', (e) => {
    const v = e.target;
    if (!(v instanceof HTMLMediaElement)) return;
    if (v.currentTime > 0 && !v.paused) firstFrame('timeupdate');
    // media time played per level (hls.currentLevel: the level of the fragment at the playhead) and per decoded height
    const t = v.currentTime;
    if (s.lastTime !== null && s.firstFrameMs !== null) {
      const d = t - s.lastTime;
      if (d > 0 && d < 2) {
        const hls = window.demo && window.demo.hls;
        const lv = hls ? hls.currentLevel : -1;
        s.playedByLevel[lv] = (s.playedByLevel[lv] || 0) + d;
        const h = v.videoHeight || 0;
        s.playedByHeight[h] = (s.playedByHeight[h] || 0) + d;
      }
    }
    s.lastTime = t;
    if (s.stallOpen && v.currentTime > s.stallOpen.position + 0.05 && !v.paused) endStall('progress');
  }, true);
  window.addEventListener('waiting', (e) => {
    const v = e.target;
    if (!(v instanceof HTMLMediaElement) || s.firstFrameMs === null) return;
    s.waitingEvents++;
    if (!s.stallOpen) s.stallOpen = { atMs: now(), position: v.currentTime };
  }, true);
  window.addEventListener('seeking', (e) => {
    if (e.target instanceof HTMLMediaElement && s.firstFrameMs !== null) s.seekingEvents++;
  }, true);
  window.addEventListener('ended', (e) => {
    if (!(e.target instanceof HTMLMediaElement)) return;
    s.endedMs = now();
    endStall('ended');
  }, true);

  // ---- segments the player consumed ----
  const isSegment = (url) => { try { return SEGMENT.test(new URL(url, location.href).pathname); } catch { return false; } };
  function consumed(url, bytes) {
    let path;
    try { path = new URL(url, location.href).pathname; } catch { path = String(url); }
    const c = s.consumed.get(path) || { bytes: 0, n: 0 };
    c.bytes += bytes;
    c.n++;
    s.consumed.set(path, c);
    s.consumedCount++;
    s.consumedBytes += bytes;
  }
  const NativeXHR = window.XMLHttpRequest;
  class XMLHttpRequest extends NativeXHR {
    constructor() {
      super();
      // added in the constructor: runs before the page's own handlers (hls.js transfers the buffer away)
      this.addEventListener('readystatechange', () => {
        if (this.readyState !== 4 || this.status < 200 || this.status > 299) return;
        const url = this.responseURL;
        if (!isSegment(url)) return;
        const body = this.response;
        let n = -1;
        if (body instanceof ArrayBuffer) n = body.byteLength;
        else if (body instanceof Blob) n = body.size;
        else if (typeof body === 'string') n = body.length;
        if (n >= 0) consumed(url, n); else s.notCounted++;
      });
    }
  }
  window.XMLHttpRequest = XMLHttpRequest;
  const nativeFetch = window.fetch;
  window.fetch = function fetch(input, init) {
    const p = nativeFetch.apply(window, arguments);
    // the micro-benchmarks mark their own fetches so they are neither counted nor slowed by a clone
    if (init && init.benchIgnore) return p;
    return p.then((response) => {
      try {
        if (response.ok && response.type !== 'opaque' && isSegment(response.url)) {
          response.clone().arrayBuffer().then((b) => consumed(response.url, b.byteLength), () => { s.notCounted++; });
        }
      } catch { /* never break the page's fetch */ }
      return response;
    });
  };

  // ---- swarmfetch events ----
  function hook(sf) {
    if (!sf || s.sfHooked || typeof sf.on !== 'function') return;
    s.sfHooked = true;
    sf.on('segment', (e) => {
      let path;
      try { path = new URL(e.url).pathname; } catch { path = String(e.url); }
      s.sfSegments.push({ path, source: e.source, peerId: e.peerId, bytes: e.bytes, ms: Math.round(e.ms * 10) / 10,
        fallback: e.fallback, error: e.error, atMs: Math.round(now()) });
    });
    // HTTP downloads this page made to seed the swarm (store hits of these urls did not come from a peer)
    if (s.sfSeeds.length < 500) sf.on('seed', (e) => { try { s.sfSeeds.push(new URL(e.url).pathname); } catch { s.sfSeeds.push(String(e.url)); } });
    sf.on('peer', (e) => s.sfPeers.push({ peerId: e.peerId, state: e.state, reason: e.reason || null, atMs: Math.round(now()) }));
    // this page's own peer id(s): stats().peerId holds the latest only
    sf.on('ready', (e) => s.sfReady.length < 20 && s.sfReady.push({ peerId: e.peerId, atMs: Math.round(now()) }));
    sf.on('error', (e) => { if (s.sfErrors.length < 50) s.sfErrors.push({ code: e.code, message: String(e.message).slice(0, 300), atMs: Math.round(now()) }); });
  }
  let sfValue;
  Object.defineProperty(window, 'swarmfetch', {
    configurable: true, enumerable: true,
    get() { return sfValue; },
    set(v) { sfValue = v; try { hook(v); } catch { /* keep the page going */ } },
  });

  // ---- data-* on the drop-in tag, before it runs ----
  if (Object.keys(SCRIPT_DATA).length > 0) {
    const mo = new MutationObserver((records) => {
      for (const r of records) for (const node of r.addedNodes) {
        if (node.nodeName === 'SCRIPT' && /\\/swarmfetch\\.js(\\?|$)/.test(node.src || '')) {
          for (const [k, v] of Object.entries(SCRIPT_DATA)) node.dataset[k] = v;
          mo.disconnect();
        }
      }
    });
    mo.observe(document, { childList: true, subtree: true });
  }

  // ---- live latency ----
  setInterval(() => {
    const hls = window.demo && window.demo.hls;
    const v = video();
    if (hls && Number.isFinite(hls.bandwidthEstimate) && s.bwEstimates.length < 1000) s.bwEstimates.push(Math.round(hls.bandwidthEstimate));
    if (!hls || !v || s.firstFrameMs === null || v.paused) return;
    const d = hls.playingDate;
    if (d && Number.isFinite(d.getTime())) s.latency.push(Date.now() - d.getTime());
    const l = hls.latency;
    if (Number.isFinite(l) && l > 0) s.hlsLatency.push(l * 1000);
  }, 1000);

  // ---- player milestones (hls.js events; demo.js makes the player before DOMContentLoaded) ----
  const milestones = { manifestParsedMs: null, firstFragLoadedMs: null, firstFragBufferedMs: null, canplayMs: null };
  const hooked = new WeakSet();
  function hookPlayer(demo) {
    const hls = demo && demo.hls;
    if (!hls || typeof hls.on !== 'function' || hooked.has(hls)) return;
    hooked.add(hls);
    const once = (event, key) => hls.on(event, () => { if (milestones[key] === null) milestones[key] = now(); });
    once('hlsManifestParsed', 'manifestParsedMs');
    once('hlsFragLoaded', 'firstFragLoadedMs');
    once('hlsFragBuffered', 'firstFragBufferedMs');
    // ABR: levels (BANDWIDTH / AVERAGE-BANDWIDTH), loader switches, fragment loads (level, bytes, load ms as hls.js
    // timed them: what feeds its estimate), the fragment at the playhead (FRAG_CHANGED), bandwidth estimate
    hls.on('hlsManifestParsed', (_e, d) => {
      s.levels = (d.levels || []).map((l) => ({ bitrate: l.bitrate, maxBitrate: l.maxBitrate ?? null,
        averageBitrate: l.averageBitrate ?? null, height: l.height, width: l.width }));
    });
    hls.on('hlsLevelSwitched', (_e, d) => {
      if (s.levelSwitched.length < 500) s.levelSwitched.push({ atMs: Math.round(now()), level: d.level });
    });
    hls.on('hlsFragLoaded', (_e, d) => {
      const f = d.frag;
      if (!f || f.sn === 'initSegment' || s.fragLoads.length >= 1000) return;
      const st = f.stats || d.stats || {};
      const ld = st.loading || {};
      let path = null;
      try { path = new URL(f.url).pathname; } catch { path = String(f.url); }
      s.fragLoads.push({ atMs: Math.round(now()), sn: f.sn, level: f.level, path, bytes: st.total || st.loaded || 0,
        loadMs: ld.end && ld.start ? Math.round(ld.end - ld.start) : null,
        firstByteMs: ld.first && ld.start ? Math.round(ld.first - ld.start) : null,
        bwEstimate: Number.isFinite(hls.bandwidthEstimate) ? Math.round(hls.bandwidthEstimate) : null });
    });
    hls.on('hlsFragChanged', (_e, d) => {
      const f = d.frag;
      if (!f || s.fragPlayed.length >= 1000) return;
      const load = s.fragLoads.slice().reverse().find((x) => x.sn === f.sn && x.level === f.level);
      s.fragPlayed.push({ atMs: Math.round(now()), sn: f.sn, level: f.level, start: f.start, duration: f.duration, bytes: load ? load.bytes : null });
    });
  }
  // caught as demo.js sets it (loading is asynchronous, so no event has fired yet)
  let demoValue;
  Object.defineProperty(window, 'demo', {
    configurable: true, enumerable: true,
    get() { return demoValue; },
    set(v) {
      demoValue = v;
      try {
        // demo/player-hls.js sets window.demo with hls: null and assigns demo.hls right after: caught by a setter
        if (v && typeof v === 'object' && !v.hls) {
          let hlsValue = v.hls;
          Object.defineProperty(v, 'hls', { configurable: true, enumerable: true, get() { return hlsValue; },
            set(h) { hlsValue = h; try { hookPlayer(v); } catch { /* keep the page going */ } } });
        } else hookPlayer(v);
      } catch { /* keep the page going */ }
    },
  });
  window.addEventListener('canplay', (e) => {
    if (e.target instanceof HTMLMediaElement && milestones.canplayMs === null) milestones.canplayMs = now();
  }, true);

  // ---- when the service worker took control (first visit: some time after load) ----
  let controllerAtMs = null;
  try {
    if (navigator.serviceWorker) {
      if (navigator.serviceWorker.controller) controllerAtMs = 0;
      navigator.serviceWorker.addEventListener('controllerchange', () => { if (controllerAtMs === null) controllerAtMs = now(); });
    }
  } catch { /* no service workers */ }

  /** Resource timings of what decides the start (scripts, playlists, first segments) and every segment's load time. */
  function timings() {
    const r1 = (x) => Math.round(x * 10) / 10;
    const entries = performance.getEntriesByType('resource');
    const span = (e) => e ? { start: r1(e.startTime), workerStart: e.workerStart ? r1(e.workerStart) : null, end: r1(e.responseEnd) } : null;
    const path = (e) => { try { return new URL(e.name).pathname; } catch { return e.name; } };
    const segs = entries.filter((e) => SEGMENT.test(path(e)));
    const nav = performance.getEntriesByType('navigation')[0];
    return {
      domContentLoadedMs: nav ? r1(nav.domContentLoadedEventEnd) : null,
      loadMs: nav ? r1(nav.loadEventEnd) : null,
      controllerAtMs: controllerAtMs === null ? null : r1(controllerAtMs),
      manifestParsedMs: milestones.manifestParsedMs === null ? null : r1(milestones.manifestParsedMs),
      firstFragLoadedMs: milestones.firstFragLoadedMs === null ? null : r1(milestones.firstFragLoadedMs),
      firstFragBufferedMs: milestones.firstFragBufferedMs === null ? null : r1(milestones.firstFragBufferedMs),
      canplayMs: milestones.canplayMs === null ? null : r1(milestones.canplayMs),
      swarmfetchJs: span(entries.find((e) => path(e) === '/swarmfetch.js')),
      hlsJs: span(entries.find((e) => path(e) === '/vendor/hls.min.js')),
      playlist: span(entries.find((e) => /\.m3u8$/.test(path(e)))),
      firstSegment: span(segs[0]),
      segmentLoadMs: segs.map((e) => r1(e.responseEnd - e.startTime)),
    };
  }
  try { performance.setResourceTimingBufferSize(2000); } catch { /* keep the default */ }

  const mean = (a) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : null);
  Object.defineProperty(window, '__bench', { enumerable: false, value: {
    /** Everything measured so far, as plain data. */
    snapshot() {
      const v = video();
      const t = now();
      const stalls = s.stalls.slice();
      if (s.stallOpen) stalls.push({ atMs: Math.round(s.stallOpen.atMs), ms: Math.round(t - s.stallOpen.atMs), position: s.stallOpen.position, endedBy: 'open' });
      const sf = window.swarmfetch;
      let stats = null, config = null;
      try { stats = sf && typeof sf.stats === 'function' ? sf.stats() : null; } catch { stats = null; }
      try { config = sf && sf.config ? { ...sf.config } : null; } catch { config = null; }
      const byPath = {};
      for (const [path, c] of s.consumed) byPath[path] = [c.bytes, c.n];
      return {
        nowMs: t,
        // epoch ms of this page's time origin (navigation start): puts the pages of different browsers on one clock
        timeOrigin: performance.timeOrigin,
        firstFrameMs: s.firstFrameMs, firstFrameVia: s.firstFrameVia,
        rebuffers: stalls.length, waitingEvents: s.waitingEvents, seekingEvents: s.seekingEvents,
        stalledMs: stalls.reduce((a, x) => a + x.ms, 0), stalls,
        position: v ? v.currentTime : null, startPosition: s.startPosition, paused: v ? v.paused : null,
        ended: v ? v.ended : null, endedMs: s.endedMs, readyState: v ? v.readyState : null,
        mediaError: v && v.error ? { code: v.error.code, message: v.error.message } : null,
        consumedBytes: s.consumedBytes, consumedCount: s.consumedCount, notCounted: s.notCounted,
        consumedByPath: byPath,
        timing: timings(),
        abr: { levels: s.levels, levelSwitched: s.levelSwitched, fragLoads: s.fragLoads, fragPlayed: s.fragPlayed,
          playedByLevel: { ...s.playedByLevel }, playedByHeight: { ...s.playedByHeight }, bwEstimates: s.bwEstimates },
        latencyMs: mean(s.latency), latencySamples: s.latency.length,
        // how far the playhead fell behind the wall clock while it played: the mean of the last 5 latency samples less
        // that of the first 5 (a page starved of CPU plays slower than real time with its buffer full, no waiting event)
        latencyDriftMs: s.latency.length >= 10 ? mean(s.latency.slice(-5)) - mean(s.latency.slice(0, 5)) : null,
        hlsLatencyMs: mean(s.hlsLatency),
        playerErrors: (window.demo && window.demo.errors || []).slice(0, 50),
        swarmfetch: sf ? { present: true, stats, config, segments: s.sfSegments, seeds: s.sfSeeds, peers: s.sfPeers, ready: s.sfReady, errors: s.sfErrors } : { present: false },
      };
    },
  } });
})();`;
}
