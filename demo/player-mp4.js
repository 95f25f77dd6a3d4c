// The MP4 page's player: a plain <video src>. The browser makes the Range requests; swarmfetch answers them.
(async () => {
  'use strict';
  const video = document.getElementById('video');
  const src = new URLSearchParams(location.search).get('src') || '/media/mp4/video.mp4';
  const errors = [];
  const demo = { video, errors, missing: false, failed: null };
  window.demo = demo;
  if (await window.demoMediaMissing(src)) return;
  video.addEventListener('error', () => {
    const e = video.error;
    errors.push({ code: e && e.code, message: e && e.message, fatal: true });
    demo.failed = `media error ${e && e.code}`;
  });
  // A <video src> streams the whole file through one long request: on a first visit it would start before the
  // worker controls the page and never pass through it. The demo waits for the worker (at most 2 s) so even the first
  // visit shows pieces being shared; a site that does not wait gets P2P from the second visit on.
  await new Promise((resolve) => {
    const sw = navigator.serviceWorker;
    if (!sw || sw.controller || !window.swarmfetch) return resolve();
    sw.addEventListener('controllerchange', resolve, { once: true });
    setTimeout(resolve, 2000);
  });
  // ...and, as its browser reads the whole file ahead at once, for a first peer (at most 1.5 s, or ?peerWaitMs=; the
  // first viewer, with nobody to connect to, waits it out). prepare() joins the file's swarm now: without it the swarm is joined at the first request,
  // and the connections come up while the browser is already reading the file over HTTP.
  const peerWaitMs = Math.min(10_000, Number(new URLSearchParams(location.search).get('peerWaitMs')) || 1500);
  await new Promise((resolve) => {
    const sf = window.swarmfetch;
    if (!sf || !navigator.serviceWorker?.controller || !sf.prepare(new URL(src, location.href).href)) return resolve();
    if (sf.stats().peers > 0) return resolve();
    const off = sf.on('peer', (e) => e.state === 'connected' && (off(), resolve()));
    setTimeout(() => (off(), resolve()), peerWaitMs);
  });
  video.src = src;
  video.play().catch(() => {});
})();
