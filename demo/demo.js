// The demo page: an ordinary hls.js player, plus a panel showing what swarmfetch (if present) delivered.
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const video = $('video');
  const src = new URLSearchParams(location.search).get('src') || '/media/vod/master.m3u8';
  /** Player errors, for tests: { type, details, fatal }. */
  const errors = [];
  let hls = null;

  // ---- player, set up as any site would ----
  if (window.Hls && window.Hls.isSupported()) {
    const Hls = window.Hls;
    hls = new Hls();
    hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
    hls.on(Hls.Events.ERROR, (_event, data) => {
      errors.push({ type: data.type, details: data.details, fatal: data.fatal });
      if (!data.fatal) return;
      $('status').textContent = `player error: ${data.details}`;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    });
    hls.loadSource(src);
    hls.attachMedia(video);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = src; // native HLS (Safari)
    video.addEventListener('loadedmetadata', () => video.play().catch(() => {}));
  } else {
    $('status').textContent = 'this browser cannot play HLS';
  }
  window.demo = { hls, video, errors };
  $('another').href = location.href;

  // ---- panel ----
  const segments = []; // newest first, at most 20
  let listening = false;

  function bytes(n) {
    if (!Number.isFinite(n)) return '–';
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(2)} MiB`;
  }

  function cell(text, className, title) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    if (title) td.title = title;
    return td;
  }

  function onSegment(e) {
    segments.unshift(e);
    segments.length = Math.min(segments.length, 20);
    const rows = segments.map((s) => {
      const tr = document.createElement('tr');
      const path = String(s.url).split('?')[0].split('/').slice(-2).join('/');
      tr.append(
        cell(path, '', s.url),
        cell(s.source, `source-${s.source}`),
        cell(s.peerId ? String(s.peerId).slice(0, 8) : '', '', s.peerId || ''),
        cell(bytes(s.bytes), 'num'),
        cell(Number.isFinite(s.ms) ? String(Math.round(s.ms)) : '', 'num'),
      );
      return tr;
    });
    $('segments').replaceChildren(...rows);
  }

  function render(s) {
    const total = s.p2pBytes + s.httpBytes;
    const share = total > 0 ? (100 * s.p2pBytes) / total : 0;
    $('p2p').textContent = bytes(s.p2pBytes);
    $('http').textContent = bytes(s.httpBytes);
    $('share').textContent = `${share.toFixed(1)} %`;
    $('share-bar').style.width = `${share}%`;
    $('uploaded').textContent = bytes(s.uploadedBytes);
    $('peers').textContent = String(s.peers);
    $('store').textContent = bytes(s.storeBytes);
  }

  function renderStatus() {
    if (!hls && !video.src) return;
    const level = hls && hls.levels[hls.currentLevel];
    const rendition = level ? `${level.height}p · ` : '';
    const state = video.paused ? 'paused' : 'playing';
    if (!$('status').textContent.startsWith('player error')) {
      $('status').textContent = `${state} · ${rendition}${video.currentTime.toFixed(1)} s`;
    }
  }

  function tick() {
    renderStatus();
    const sf = window.swarmfetch;
    $('inactive').hidden = Boolean(sf);
    $('stats').hidden = !sf;
    if (!sf) return;
    if (!listening && typeof sf.on === 'function') {
      sf.on('segment', onSegment);
      listening = true;
    }
    try {
      Promise.resolve(sf.stats()).then(render, () => {});
    } catch {
      // stats unavailable for now; next tick
    }
  }

  tick();
  setInterval(tick, 500);
})();
