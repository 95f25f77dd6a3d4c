// A live HLS stream simulated from the VOD test stream, for the demo and the benchmark.
//
// For each rendition of the VOD master playlist it publishes a sliding-window media playlist: a new segment every
// target duration since the simulator started, looping over the VOD segments (EXT-X-DISCONTINUITY where the loop
// wraps, since timestamps jump back there), EXT-X-MEDIA-SEQUENCE increasing, no EXT-X-ENDLIST. Segment URIs carry
// the sequence number (`seg_<sequence>.ts`), so every live segment has its own URL, as in real live streams; each is
// served from the VOD file it loops over. Segments not published yet answer 404.
//
// Timeline (T = target duration, W = window, start = when the simulator started):
//   - at start the window is already full: sequences 0 … W-1, as if the stream had been running for W·T;
//   - sequence s is published at start + (s − W + 1)·T (s ≥ W−1), so at time t the newest is W − 1 + ⌊(t − start)/T⌋;
//   - EXT-X-PROGRAM-DATE-TIME of s is start + (s − W)·T: its content "ends" when it is published, so the wall-clock
//     latency of a player is Date.now() − the program date-time of its playhead.
//
// Given swarmfetch's `annotatePlaylist` (from swarmfetch-server), each segment's SHA-256 goes into the media playlist
// (`#EXT-X-SWARMFETCH-SHA256`, before its #EXTINF), as a live packager would write it: the VOD files are hashed once
// at start, and pages check live segments from peers without asking the P2P server's hash oracle.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, extname, join, posix } from 'node:path';

/**
 * Reads the VOD master playlist in `mediaDir` and its media playlists.
 * @returns {{ master: string, renditions: Map<string, { dir: string, segments: Array<{ file: string, duration: number, ext: string }> }> }}
 */
export function readVod(mediaDir, masterName = 'master.m3u8') {
  const master = readFileSync(join(mediaDir, masterName), 'utf8');
  const renditions = new Map();
  for (const line of master.split(/\r?\n/)) {
    const uri = line.trim();
    if (uri === '' || uri.startsWith('#')) continue;
    if (/^[a-z]+:/i.test(uri) || uri.startsWith('/') || uri.includes('..')) {
      throw new Error(`liveSimulator: rendition URI must be relative and inside ${mediaDir}: ${uri}`);
    }
    const name = posix.dirname(uri);
    if (name === '.' || name.includes('/')) {
      throw new Error(`liveSimulator: rendition URI must be <rendition>/<playlist>.m3u8: ${uri}`);
    }
    const playlistPath = join(mediaDir, uri);
    const dir = dirname(playlistPath);
    const segments = [];
    let duration = null;
    for (const raw of readFileSync(playlistPath, 'utf8').split(/\r?\n/)) {
      const l = raw.trim();
      if (l.startsWith('#EXTINF:')) duration = Number.parseFloat(l.slice('#EXTINF:'.length));
      else if (l !== '' && !l.startsWith('#')) {
        if (duration === null || !Number.isFinite(duration)) throw new Error(`liveSimulator: no #EXTINF before ${l} in ${playlistPath}`);
        if (l.includes('/') || l.includes('?')) throw new Error(`liveSimulator: segment URI must be a plain file name: ${l}`);
        segments.push({ file: join(dir, l), duration, ext: extname(l) });
        duration = null;
      }
    }
    if (segments.length === 0) throw new Error(`liveSimulator: no segments in ${playlistPath}`);
    renditions.set(name, { dir, segments });
  }
  if (renditions.size === 0) throw new Error(`liveSimulator: no renditions in ${join(mediaDir, masterName)}`);
  return { master, renditions };
}

/**
 * The simulator without HTTP: playlists and segment files at the time `now()` says.
 * @param {{ master: string, renditions: ReturnType<typeof readVod>['renditions'], targetDurationSec?: number,
 *   windowSegments?: number, now?: () => number, startMs?: number,
 *   annotatePlaylist?: (text: string, hashOf: (uri: string) => string | undefined) => string }} options
 *   annotatePlaylist: swarmfetch-server's; when given, media playlists carry each segment's SHA-256
 */
export function createLiveSimulator({ master, renditions, targetDurationSec = 2, windowSegments = 6, now = Date.now, startMs, annotatePlaylist }) {
  if (!(targetDurationSec > 0)) throw new Error('liveSimulator: targetDurationSec must be > 0');
  if (!Number.isInteger(windowSegments) || windowSegments < 1) throw new Error('liveSimulator: windowSegments must be an integer ≥ 1');
  const periodMs = targetDurationSec * 1000;
  const start = startMs ?? now();
  // SHA-256 of each VOD segment file, per rendition, in order (hashed once: live segments loop over them)
  const hashes = new Map();
  if (annotatePlaylist) {
    for (const [name, r] of renditions) {
      hashes.set(name, r.segments.map((s) => createHash('sha256').update(readFileSync(s.file)).digest('hex')));
    }
  }

  /** Newest published sequence number now. */
  function lastSequence() {
    const elapsed = Math.max(0, now() - start);
    return windowSegments - 1 + Math.floor(elapsed / periodMs);
  }

  /** First sequence of the window now. */
  function firstSequence() {
    return Math.max(0, lastSequence() - windowSegments + 1);
  }

  function rendition(name) {
    const r = renditions.get(name);
    if (!r) return null;
    return r;
  }

  /** The segment name of a sequence number in a rendition. */
  function segmentName(name, seq) {
    const r = rendition(name);
    return r ? `seg_${seq}${r.segments[seq % r.segments.length].ext}` : null;
  }

  /** The media playlist of a rendition now, or null for an unknown rendition. */
  function mediaPlaylist(name) {
    const r = rendition(name);
    if (!r) return null;
    const n = r.segments.length;
    const last = lastSequence();
    const first = Math.max(0, last - windowSegments + 1);
    // each wrap (sequence s > 0 with s % n == 0) carries a discontinuity tag; tags that slid out are counted here
    const discontinuitySequence = first === 0 ? 0 : Math.floor((first - 1) / n);
    const targetDuration = Math.max(Math.ceil(targetDurationSec), ...r.segments.map((s) => Math.ceil(s.duration)));
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:6',
      `#EXT-X-TARGETDURATION:${targetDuration}`,
      `#EXT-X-MEDIA-SEQUENCE:${first}`,
      `#EXT-X-DISCONTINUITY-SEQUENCE:${discontinuitySequence}`,
      '#EXT-X-INDEPENDENT-SEGMENTS',
    ];
    for (let seq = first; seq <= last; seq++) {
      const seg = r.segments[seq % n];
      if (seq > 0 && seq % n === 0) lines.push('#EXT-X-DISCONTINUITY');
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(start + (seq - windowSegments) * periodMs).toISOString()}`);
      lines.push(`#EXTINF:${seg.duration.toFixed(6)},`);
      lines.push(`seg_${seq}${seg.ext}`);
    }
    const text = `${lines.join('\n')}\n`;
    if (!annotatePlaylist) return text;
    const own = hashes.get(name);
    return annotatePlaylist(text, (uri) => {
      const m = /^seg_(\d{1,12})\./.exec(uri);
      return m ? own[Number(m[1]) % n] : undefined;
    });
  }

  /** The VOD file that serves `seg_<seq><ext>` of a rendition, or null (unknown, malformed or not published yet). */
  function segmentFile(name, segment) {
    const r = rendition(name);
    const m = /^seg_(\d{1,12})(\.[A-Za-z0-9]+)$/.exec(segment);
    if (!r || !m) return null;
    const seq = Number(m[1]);
    if (!Number.isSafeInteger(seq) || seq > lastSequence()) return null;
    const seg = r.segments[seq % r.segments.length];
    return seg.ext === m[2] ? seg.file : null;
  }

  return {
    master: () => master,
    renditionNames: () => [...renditions.keys()],
    mediaPlaylist,
    segmentFile,
    segmentName,
    lastSequence,
    firstSequence,
    /** Program date-time (ms since epoch) of a sequence number's start. */
    programDateMs: (seq) => start + (seq - windowSegments) * periodMs,
    startMs: start,
  };
}

/**
 * Serves the live simulation on an express app:
 *   `<urlPath>/master.m3u8`, `<urlPath>/<rendition>/index.m3u8` (Cache-Control: no-cache) and
 *   `<urlPath>/<rendition>/seg_<sequence>.ts` (the looped VOD file; 404 until published).
 * @param {import('express').Express} app
 * @param {{ mediaDir: string, urlPath?: string, targetDurationSec?: number, windowSegments?: number,
 *   now?: () => number, annotatePlaylist?: Parameters<typeof createLiveSimulator>[0]['annotatePlaylist'] }} options
 *   mediaDir: the VOD directory holding master.m3u8 (e.g. demo/media/vod); annotatePlaylist: see createLiveSimulator
 */
export function mountLiveSimulator(app, { mediaDir, urlPath = '/media/live', targetDurationSec = 2, windowSegments = 6, now = Date.now, annotatePlaylist }) {
  const { master, renditions } = readVod(mediaDir);
  const live = createLiveSimulator({ master, renditions, targetDurationSec, windowSegments, now, annotatePlaylist });
  const base = urlPath.replace(/\/$/, '');
  const playlist = (res, text) =>
    res.set({ 'Content-Type': 'application/vnd.apple.mpegurl', 'Cache-Control': 'no-cache' }).send(text);

  app.get(`${base}/master.m3u8`, (_req, res) => playlist(res, live.master()));
  app.get(`${base}/:rendition/index.m3u8`, (req, res, next) => {
    const text = live.mediaPlaylist(req.params.rendition);
    if (text === null) next();
    else playlist(res, text);
  });
  // A live stream cannot have a static list of hashes: an integrity manifest that lists no file tells pages so
  // (no 404 for them to log). Pages check live segments with the hashes in the media playlists (annotatePlaylist
  // given), else with the P2P server's hash oracle (one more origin copy of each segment).
  const noHashes = JSON.stringify({ swarmfetchIntegrity: 1, algorithm: 'sha256', pieceBytes: 1048576, files: {} });
  app.get([`${base}/swarmfetch-integrity.json`, `${base}/:rendition/swarmfetch-integrity.json`], (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('application/json').send(noHashes);
  });
  app.get(`${base}/:rendition/:segment`, (req, res, next) => {
    const file = live.segmentFile(req.params.rendition, req.params.segment);
    if (file === null) {
      // no body: the demo's origin byte counter counts every body under /media/
      res.status(404).set('Cache-Control', 'no-cache').end();
      return;
    }
    // sendFile answers Range requests and sets the type from the extension (.ts → video/mp2t)
    res.sendFile(file, (err) => {
      if (err && !res.headersSent) next(err);
    });
  });
  return live;
}
