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
  video.src = src;
  video.play().catch(() => {});
})();
