// The live dashboard of the demo pages: what swarmfetch (if present) delivered, refreshed every second.
// Works with any player: it only reads window.swarmfetch (stats() and its events). No chart library.
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const SAMPLE_MS = 1000;
  const WINDOW_SAMPLES = 120; // two minutes of chart
  const STRIP_MAX = 120;
  const COLORS = { p2p: '#16a34a', http: '#a3acb9', store: '#2e6be6', seed: '#e8a23a', grid: '#e4e7ec', text: '#667085' };

  const TEMPLATE = `
    <p id="inactive" class="inactive" hidden>swarmfetch is not active on this page: plain HTTP</p>
    <section class="card summary" aria-label="delivery summary">
      <div class="headline">
        <div>
          <div class="label">delivered by peers</div>
          <div id="share" class="share">–</div>
        </div>
        <span id="state" class="pill">starting…</span>
      </div>
      <div class="bar" title="share of segment bytes from peers"><span id="share-bar"></span></div>
      <dl class="tiles">
        <div><dt><i class="dot src-p2p"></i>from peers</dt><dd id="p2p">–</dd></div>
        <div><dt><i class="dot src-http"></i>over HTTP</dt><dd id="http">–</dd></div>
        <div><dt>uploaded</dt><dd id="uploaded">–</dd></div>
        <div><dt>peers</dt><dd id="peers">–</dd></div>
      </dl>
    </section>
    <section class="card chart-card" aria-label="bytes over time">
      <h2>Segment bytes over time <span class="legend"><i class="dot src-p2p"></i>peers <i class="dot src-http"></i>HTTP</span></h2>
      <canvas id="chart"></canvas>
    </section>
    <section class="card strip-card" aria-label="segment sources">
      <h2>Where each segment came from
        <span class="legend">
          <i class="dot src-p2p"></i>peer <b id="count-p2p">0</b>
          <i class="dot src-http"></i>HTTP <b id="count-http">0</b>
          <i class="dot src-seed"></i>seeded <b id="count-seed">0</b>
          <i class="dot src-store"></i>store <b id="count-store">0</b>
        </span>
      </h2>
      <div id="strip" class="strip"></div>
    </section>
    <section class="card peers-card" aria-label="peers">
      <h2>Peers</h2>
      <table>
        <thead><tr><th>peer</th><th class="num">received</th><th class="num">sent</th></tr></thead>
        <tbody id="peer-rows"></tbody>
      </table>
      <p id="no-peers" class="muted">no peer connected yet — open another viewer</p>
    </section>
    <section class="card store-card" aria-label="segment store">
      <h2>Segment store</h2>
      <div class="bar store" title="bytes held to share, of storeMaxBytes"><span id="store-bar"></span></div>
      <p id="store" class="muted">–</p>
    </section>`;

  /** { t, p2p, http } cumulative bytes, oldest first. */
  const samples = [];
  /** { url, label, source, peerId, bytes, ms } per delivery, oldest first. */
  const strip = [];
  const seeded = new Set();
  let listening = false;
  let stripDirty = false;
  const started = performance.now();

  function bytes(n) {
    if (!Number.isFinite(n)) return '–';
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(n < 100 * 1024 * 1024 ? 1 : 0)} MiB`;
  }

  function segmentLabel(url) {
    const parts = String(url).split('?')[0].split('/');
    return parts.slice(-2).join('/');
  }

  // ---- segment strip: one cell per delivery to the player, coloured by where its bytes came from ----
  function onSegment(e) {
    const url = String(e.url);
    const source = e.source === 'p2p' ? 'p2p' : e.source === 'store' ? 'store' : seeded.has(url) ? 'seed' : 'http';
    strip.push({ url, label: segmentLabel(url), source, peerId: e.peerId, bytes: e.bytes, ms: e.ms });
    if (strip.length > STRIP_MAX) strip.shift();
    stripDirty = true; // drawn on the next tick: one layout a second, not one per segment
  }

  function renderStrip() {
    const cells = [];
    const counts = { p2p: 0, http: 0, store: 0, seed: 0 };
    for (const s of strip) {
      counts[s.source]++;
      const cell = document.createElement('span');
      cell.className = `cell src-${s.source}`;
      const from = s.source === 'p2p' ? `peer ${String(s.peerId || '').slice(0, 8)}` : s.source;
      cell.title = `${s.label}: ${from}, ${bytes(s.bytes)} in ${Math.round(s.ms)} ms`;
      cells.push(cell);
    }
    $('strip').replaceChildren(...cells);
    for (const k of Object.keys(counts)) $(`count-${k}`).textContent = String(counts[k]);
  }

  // ---- chart: cumulative bytes over time, HTTP below, P2P stacked on top ----
  function drawChart() {
    const canvas = $('chart');
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const pad = { l: 56, r: 8, t: 8, b: 20 };
    const pw = w - pad.l - pad.r;
    const ph = h - pad.t - pad.b;
    const last = samples[samples.length - 1];
    const top = Math.max(1024 * 1024, last ? last.p2p + last.http : 0);
    const step = niceStep(top / 4);
    const yMax = Math.ceil(top / step) * step;
    const t0 = samples.length ? samples[0].t : 0;
    const t1 = Math.max(t0 + 30_000, last ? last.t : 0);
    const x = (t) => pad.l + ((t - t0) / (t1 - t0)) * pw;
    const y = (v) => pad.t + ph - (v / yMax) * ph;

    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = COLORS.text;
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let v = 0; v <= yMax + 1; v += step) {
      ctx.beginPath();
      ctx.moveTo(pad.l, Math.round(y(v)) + 0.5);
      ctx.lineTo(w - pad.r, Math.round(y(v)) + 0.5);
      ctx.stroke();
      ctx.fillText(axisLabel(v), pad.l - 6, y(v));
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const secs = (t1 - started) / 1000;
    ctx.fillText(`${Math.round((t0 - started) / 1000)} s`, pad.l + 12, h - pad.b + 5);
    ctx.fillText(`${Math.round(secs)} s`, w - pad.r - 12, h - pad.b + 5);
    if (samples.length < 2) return;

    const area = (lower, upper, color) => {
      ctx.beginPath();
      samples.forEach((s, i) => (i ? ctx.lineTo(x(s.t), y(upper(s))) : ctx.moveTo(x(s.t), y(upper(s)))));
      for (let i = samples.length - 1; i >= 0; i--) ctx.lineTo(x(samples[i].t), y(lower(samples[i])));
      ctx.closePath();
      ctx.fillStyle = color;
      ctx.fill();
    };
    area(() => 0, (s) => s.http, COLORS.http);
    area((s) => s.http, (s) => s.http + s.p2p, COLORS.p2p);
  }

  /** A grid step of at least `raw` bytes that reads well: 64 KiB … 1 MiB, then 1-2-5 MiB steps. */
  function niceStep(raw) {
    const KiB = 1024;
    const MiB = 1024 * KiB;
    const steps = [64 * KiB, 128 * KiB, 256 * KiB, 512 * KiB];
    for (let m = 1; m < 1e6; m *= 10) steps.push(m * MiB, 2 * m * MiB, 5 * m * MiB);
    return steps.find((step) => step >= raw) ?? steps[steps.length - 1];
  }

  /** An axis label: whole MiB, or KiB below one MiB. */
  function axisLabel(n) {
    if (n === 0) return '0';
    if (n < 1024 * 1024) return `${Math.round(n / 1024)} KiB`;
    return `${+(n / 1024 / 1024).toFixed(1)} MiB`;
  }

  // ---- figures ----
  function renderStats(s) {
    const total = s.p2pBytes + s.httpBytes;
    const share = total > 0 ? (100 * s.p2pBytes) / total : 0;
    $('share').textContent = total > 0 ? `${share.toFixed(0)} %` : '–';
    $('share-bar').style.width = `${share}%`;
    $('p2p').textContent = bytes(s.p2pBytes);
    $('http').textContent = bytes(s.httpBytes);
    $('uploaded').textContent = bytes(s.uploadedBytes);
    $('peers').textContent = String(s.peers);
    $('state').textContent = s.active ? (s.peerId ? 'active' : 'connecting…') : 'starting…';
    $('state').className = `pill ${s.active && s.peerId ? 'on' : ''}`;

    const rows = (s.peerList || []).map((p) => {
      const tr = document.createElement('tr');
      tr.className = 'peer-row';
      const id = document.createElement('td');
      id.textContent = String(p.peerId).slice(0, 8);
      id.title = p.peerId;
      const down = document.createElement('td');
      down.className = 'num';
      down.textContent = bytes(p.downloadedBytes);
      const up = document.createElement('td');
      up.className = 'num';
      up.textContent = bytes(p.uploadedBytes);
      tr.append(id, down, up);
      return tr;
    });
    $('peer-rows').replaceChildren(...rows);
    $('no-peers').hidden = rows.length > 0;

    const max = s.storeMaxBytes || 0;
    $('store-bar').style.width = max > 0 ? `${Math.min(100, (100 * s.storeBytes) / max)}%` : '0';
    $('store').textContent = `${bytes(s.storeBytes)} of ${bytes(max)} · ${s.storeSegments} segments`;

    samples.push({ t: performance.now(), p2p: s.p2pBytes, http: s.httpBytes });
    if (samples.length > WINDOW_SAMPLES) samples.shift();
    drawChart();
  }

  function renderPlayerStatus() {
    const demo = window.demo;
    const video = demo && demo.video;
    if (!video || demo.missing) return;
    if (demo.failed) {
      $('status').textContent = `player error: ${demo.failed}`;
      return;
    }
    const rendition = video.videoHeight ? `${video.videoHeight}p · ` : '';
    const state = video.paused ? 'paused' : 'playing';
    $('status').textContent = `${state} · ${rendition}${video.currentTime.toFixed(1)} s`;
  }

  function tick() {
    const sf = window.swarmfetch;
    $('inactive').hidden = Boolean(sf);
    $('dashboard').classList.toggle('off', !sf);
    renderPlayerStatus();
    if (!sf) return;
    if (!listening && typeof sf.on === 'function') {
      sf.on('segment', onSegment);
      sf.on('seed', (e) => {
        seeded.add(String(e.url));
        if (seeded.size > 4 * STRIP_MAX) seeded.delete(seeded.values().next().value);
      });
      listening = true;
    }
    if (stripDirty) {
      stripDirty = false;
      renderStrip();
    }
    try {
      Promise.resolve(sf.stats()).then(renderStats, () => {});
    } catch {
      // stats unavailable for now; next tick
    }
  }

  /** For the player scripts: whether the page's media is absent from this server (then says so on the page). */
  window.demoMediaMissing = async (src) => {
    try {
      const response = await fetch(src, { method: 'HEAD', cache: 'no-store' });
      if (response.ok) return false;
    } catch {
      // unreachable: say it is missing
    }
    if (window.demo) window.demo.missing = true;
    $('status').textContent = `media missing: ${src} is not on this server`;
    $('missing').hidden = false;
    $('missing-src').textContent = src;
    return true;
  };

  // `?dashboard=off`: the page without the dashboard (the benchmark measures players and swarmfetch, not this
  // panel's rendering, whose cost grows with what it has to show)
  if (new URLSearchParams(location.search).get('dashboard') === 'off') {
    $('dashboard').hidden = true;
    return;
  }
  $('dashboard').innerHTML = TEMPLATE;
  $('another').addEventListener('click', () => window.open(location.href, '_blank', 'noopener'));
  window.addEventListener('resize', drawChart);
  window.dashboard = { samples, strip };
  tick();
  setInterval(tick, SAMPLE_MS);
})();
