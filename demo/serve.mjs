// The demo on one origin: P2P server (signalling + tracker), the demo page, its test stream, the built bundles.
// Run after `npm run build`:  node demo/serve.mjs [--port 8080] [--host 127.0.0.1]   (or PORT / HOST env)
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { countOriginBytes } from './originStats.mjs';
import { mountLiveSimulator } from './liveSimulator.mjs';
import express from 'express';

// express.static knows .mpd (application/dash+xml), .mp4, .m3u8, .ts; fMP4 segments get their registered type
express.static.mime.define({ 'video/iso.segment': ['m4s'] });

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/** Value of `--name value` or `--name=value`. */
function flag(name) {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name) return argv[i + 1];
    if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
  }
  return undefined;
}

const port = Number(flag('--port') ?? process.env.PORT ?? 8080);
const host = flag('--host') ?? process.env.HOST ?? '127.0.0.1';

let createSwarmServer, annotatePlaylist;
try {
  // the swarmfetch-server workspace (server/), linked into node_modules by `npm ci`, built by `npm run build`
  ({ createSwarmServer, annotatePlaylist } = await import('swarmfetch-server'));
} catch (err) {
  console.error('swarmfetch demo: cannot load swarmfetch-server (server/dist/); run `npm ci` and `npm run build` first.\n', err.message);
  process.exit(1);
}

const server = await createSwarmServer({
  port,
  host,
  // the hash oracle may fetch this demo's own media (what neither a manifest nor a playlist hashes: the VOD segments
  // are in demo/media/*'s manifests, the live ones in their playlists)
  hashOrigins: port > 0 ? [...new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://${host}:${port}`])] : [],
  // express.static: content types by extension (see above), single Range requests answered with 206 / 416
  static: [
    { urlPath: '/media', dir: join(here, 'media') },
    { urlPath: '/demo', dir: here },
  ],
  // every viewer of the demo (the tests' and the benchmark's, up to 12) is on this one machine, each with its
  // signalling socket and its browser's media connections: the per-IP limit is for the public internet
  maxConnectionsPerIp: 1000,
  // TURN for the network lab's symmetric NATs (bench --turn): coturn's URL(s) and shared secret, when given
  ...(process.env.SWARMFETCH_TURN_URL && process.env.SWARMFETCH_TURN_SECRET
    ? { turnUrls: process.env.SWARMFETCH_TURN_URL.split(','), turnSecret: process.env.SWARMFETCH_TURN_SECRET }
    : {}),
});
const { app } = server;
// media bytes the origin served, per User-Agent (what P2P saved shows up here)
const originStats = countOriginBytes(server.httpServer, '/media/');
app.get('/demo-stats/origin', (_req, res) => res.set('Cache-Control', 'no-store').json(originStats()));
// a live stream looped from the VOD test stream: /media/live/master.m3u8 (counted by originStats like /media/vod),
// each segment's SHA-256 in its media playlist (#EXT-X-SWARMFETCH-SHA256)
mountLiveSimulator(app, { mediaDir: join(here, 'media', 'vod'), urlPath: '/media/live', annotatePlaylist });

// the demo pages: one per format, each with the live dashboard
app.get('/', (_req, res) => res.sendFile(join(here, 'index.html')));
app.get('/dash', (_req, res) => res.sendFile(join(here, 'dash.html')));
app.get('/mp4', (_req, res) => res.sendFile(join(here, 'mp4.html')));

/**
 * Scripts go out gzip-compressed to a browser that takes it, as a site's own server or CDN sends them: on a 1 Mbit/s
 * line hls.min.js as it is takes 5 s, compressed 1.5 s, and swarmfetch.js 1.1 s against 0.35 s. Compressed once per
 * version of the file; express answers a revalidation 304 by the body's ETag.
 */
const gzipped = new Map();
function sendScript(req, res, file, headers = { 'Cache-Control': 'public, max-age=0' }) {
  if (!req.acceptsEncodings('gzip')) return res.sendFile(file, { cacheControl: false, headers: { Vary: 'Accept-Encoding', ...headers } });
  const { mtimeMs, size } = statSync(file);
  let z = gzipped.get(file);
  if (!z || z.mtimeMs !== mtimeMs || z.size !== size) gzipped.set(file, (z = { mtimeMs, size, body: gzipSync(readFileSync(file), { level: 9 }) }));
  res.set({ 'Content-Type': 'text/javascript; charset=utf-8', 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding', ...headers });
  res.send(z.body);
}

// The drop-in bundles: revalidated on every load, so a rebuild is picked up (the worker script especially).
for (const name of ['swarmfetch.js', 'swarmfetch-sw.js']) {
  app.get(`/${name}`, (req, res) => sendScript(req, res, join(root, 'dist', name), { 'Cache-Control': 'no-cache' }));
}
for (const name of ['swarmfetch.js.map', 'swarmfetch-sw.js.map']) {
  app.get(`/${name}`, (_req, res) =>
    res.sendFile(join(root, 'dist', name), { cacheControl: false, headers: { 'Cache-Control': 'no-cache' } }),
  );
}
app.get('/vendor/hls.min.js', (req, res) => sendScript(req, res, join(root, 'node_modules/hls.js/dist/hls.min.js')));
app.get('/vendor/shaka-player.compiled.js', (req, res) =>
  sendScript(req, res, join(root, 'node_modules/shaka-player/dist/shaka-player.compiled.js')),
);

console.log(`swarmfetch demo: ${server.url}/`);

let stopping = false;
function stop() {
  if (stopping) process.exit(1); // a second signal: do not wait
  stopping = true;
  // close() leaves nothing running (sockets, timers): the process then exits by itself, code 0
  server.close().then(() => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
