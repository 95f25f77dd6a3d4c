// The HLS page's player: hls.js, set up as its docs say. swarmfetch is not mentioned here.
(async () => {
  'use strict';
  const video = document.getElementById('video');
  const params = new URLSearchParams(location.search);
  const src = params.get('src') || '/media/vod/master.m3u8';
  // `?maxBufferSec=30`: how far ahead hls.js buffers (the bench's site-like setting); else hls.js's defaults (30 s, or
  // 60 MB's worth of the bitrate when that is longer: a whole 60 s stream at once)
  const maxBufferSec = Number(params.get('maxBufferSec')) || 0;
  /** Player errors, for tests: { type, details, fatal }. */
  const errors = [];
  const demo = { hls: null, video, errors, missing: false, failed: null };
  window.demo = demo;
  // no check before starting: the player starts at once, and a missing stream shows up as its manifest error
  if (window.Hls && window.Hls.isSupported()) {
    const Hls = window.Hls;
    const hls = new Hls(maxBufferSec > 0 ? { maxBufferLength: maxBufferSec, maxMaxBufferLength: maxBufferSec } : {});
    demo.hls = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
    hls.on(Hls.Events.ERROR, (_event, data) => {
      errors.push({ type: data.type, details: data.details, fatal: data.fatal });
      if (!data.fatal) return;
      demo.failed = data.details;
      if (data.details === Hls.ErrorDetails.MANIFEST_LOAD_ERROR) void window.demoMediaMissing(src);
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    });
    hls.loadSource(src);
    hls.attachMedia(video);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = src; // native HLS (Safari)
    video.addEventListener('loadedmetadata', () => video.play().catch(() => {}));
  } else {
    demo.failed = 'this browser cannot play HLS';
  }
})();
