// The DASH page's player: Shaka Player, set up as its docs say. swarmfetch is not mentioned here.
(async () => {
  'use strict';
  const video = document.getElementById('video');
  const src = new URLSearchParams(location.search).get('src') || '/media/dash/manifest.mpd';
  const errors = [];
  const demo = { player: null, video, errors, missing: false, failed: null };
  window.demo = demo;
  if (await window.demoMediaMissing(src)) return;
  const shaka = window.shaka;
  shaka.polyfill.installAll();
  if (!shaka.Player.isBrowserSupported()) {
    demo.failed = 'this browser cannot play DASH';
    return;
  }
  const player = new shaka.Player();
  demo.player = player;
  player.addEventListener('error', (event) => {
    errors.push({ code: event.detail.code, fatal: event.detail.severity === 2 });
    if (event.detail.severity === 2) demo.failed = `shaka ${event.detail.code}`;
  });
  try {
    await player.attach(video);
    await player.load(src);
    video.play().catch(() => {});
  } catch (err) {
    errors.push({ code: err.code, fatal: true });
    demo.failed = `shaka ${err.code}`;
  }
})();
