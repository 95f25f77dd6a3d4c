import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHlsPlaylist } from '../../core/manifest/parseHlsPlaylist';
import { annotatePlaylist } from '../../server/annotatePlaylist';
// @ts-expect-error -- plain ESM JavaScript of the demo, no declarations
import { createLiveSimulator, mountLiveSimulator, readVod } from '../../demo/liveSimulator.mjs';

const VOD = join(__dirname, '../../demo/media/vod');
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

interface Segment {
  uri: string;
  duration: number;
  programDate: string | null;
  discontinuity: boolean;
}
interface Playlist {
  tags: string[];
  mediaSequence: number;
  discontinuitySequence: number;
  targetDuration: number;
  segments: Segment[];
}

/** A small HLS media playlist reader, enough to check what the simulator publishes. */
function parse(text: string): Playlist {
  const lines = text.trim().split('\n');
  expect(lines[0]).toBe('#EXTM3U');
  const out: Playlist = { tags: [], mediaSequence: -1, discontinuitySequence: -1, targetDuration: -1, segments: [] };
  let pending: Partial<Segment> = {};
  for (const line of lines) {
    if (line.startsWith('#')) out.tags.push(line.split(':')[0]!);
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) out.mediaSequence = Number(line.split(':')[1]);
    else if (line.startsWith('#EXT-X-DISCONTINUITY-SEQUENCE:')) out.discontinuitySequence = Number(line.split(':')[1]);
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) out.targetDuration = Number(line.split(':')[1]);
    else if (line === '#EXT-X-DISCONTINUITY') pending.discontinuity = true;
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) pending.programDate = line.slice('#EXT-X-PROGRAM-DATE-TIME:'.length);
    else if (line.startsWith('#EXTINF:')) pending.duration = Number.parseFloat(line.slice(8));
    else if (!line.startsWith('#')) {
      out.segments.push({ uri: line, duration: pending.duration ?? NaN, programDate: pending.programDate ?? null, discontinuity: !!pending.discontinuity });
      pending = {};
    }
  }
  return out;
}

/** A simulator over the real test stream with a settable clock. */
function simulator(options: { windowSegments?: number; targetDurationSec?: number; annotatePlaylist?: typeof annotatePlaylist } = {}) {
  const clock = { now: T0 };
  const vod = readVod(VOD);
  const live = createLiveSimulator({ ...vod, ...options, now: () => clock.now });
  return { clock, live, vod };
}

const seqOf = (uri: string) => Number(/^seg_(\d+)\.ts$/.exec(uri)?.[1]);

describe('readVod', () => {
  it('finds the renditions of the VOD master and their segments', () => {
    const { renditions } = readVod(VOD);
    expect([...renditions.keys()]).toEqual(['180p', '360p']);
    const r = renditions.get('180p')!;
    expect(r.segments).toHaveLength(30);
    expect(r.segments[0]).toEqual({ file: join(VOD, '180p', 'seg_000.ts'), duration: 2, ext: '.ts' });
  });
});

describe('createLiveSimulator', () => {
  it('starts with a full window of the first segments, live (no ENDLIST, no playlist type)', () => {
    const { live } = simulator();
    const text = live.mediaPlaylist('180p')!;
    const p = parse(text);
    expect(p.mediaSequence).toBe(0);
    expect(p.discontinuitySequence).toBe(0);
    expect(p.targetDuration).toBe(2);
    expect(p.segments.map((s) => s.uri)).toEqual(['seg_0.ts', 'seg_1.ts', 'seg_2.ts', 'seg_3.ts', 'seg_4.ts', 'seg_5.ts']);
    expect(p.segments.every((s) => s.duration === 2 && !s.discontinuity)).toBe(true);
    expect(text).not.toContain('#EXT-X-ENDLIST');
    expect(text).not.toContain('#EXT-X-PLAYLIST-TYPE');
    expect(live.mediaPlaylist('nope')).toBeNull();
  });

  it('publishes one segment per target duration and slides the window', () => {
    const { clock, live } = simulator();
    clock.now = T0 + 1999;
    expect(parse(live.mediaPlaylist('180p')!).mediaSequence).toBe(0);
    clock.now = T0 + 2000;
    let p = parse(live.mediaPlaylist('180p')!);
    expect(p.mediaSequence).toBe(1);
    expect(p.segments.map((s) => seqOf(s.uri))).toEqual([1, 2, 3, 4, 5, 6]);
    clock.now = T0 + 41_000; // 20 periods
    p = parse(live.mediaPlaylist('360p')!);
    expect(p.mediaSequence).toBe(20);
    expect(p.segments.map((s) => seqOf(s.uri))).toEqual([20, 21, 22, 23, 24, 25]);
    expect(live.lastSequence()).toBe(25);
    expect(live.firstSequence()).toBe(20);
  });

  it('keeps a window of windowSegments and honours the target duration', () => {
    const { clock, live } = simulator({ windowSegments: 3, targetDurationSec: 4 });
    clock.now = T0 + 4000 * 10 + 1;
    const p = parse(live.mediaPlaylist('180p')!);
    expect(p.segments.map((s) => seqOf(s.uri))).toEqual([10, 11, 12]);
    expect(p.targetDuration).toBe(4);
  });

  it('gives each segment a program date-time one period apart, ending when it is published', () => {
    const { clock, live } = simulator();
    clock.now = T0 + 10_000;
    const p = parse(live.mediaPlaylist('180p')!);
    const dates = p.segments.map((s) => Date.parse(s.programDate!));
    for (let i = 1; i < dates.length; i++) expect(dates[i]! - dates[i - 1]!).toBe(2000);
    // the newest segment (published at T0 + 10 s) covers the 2 s before it
    expect(dates.at(-1)).toBe(T0 + 8000);
    expect(live.programDateMs(live.lastSequence())).toBe(T0 + 8000);
  });

  it('loops over the VOD segments with a discontinuity where it wraps', () => {
    const { clock, live } = simulator();
    // newest = 5 + k; put the wrap (sequence 30) inside the window
    clock.now = T0 + 27 * 2000; // newest 32, window 27..32
    let p = parse(live.mediaPlaylist('180p')!);
    expect(p.segments.map((s) => seqOf(s.uri))).toEqual([27, 28, 29, 30, 31, 32]);
    expect(p.segments.map((s) => s.discontinuity)).toEqual([false, false, false, true, false, false]);
    expect(p.discontinuitySequence).toBe(0);
    expect(live.segmentFile('180p', 'seg_30.ts')).toBe(join(VOD, '180p', 'seg_000.ts'));
    expect(live.segmentFile('180p', 'seg_32.ts')).toBe(join(VOD, '180p', 'seg_002.ts'));

    // the wrap segment is first in the window: its tag is still there, the sequence not yet counted
    clock.now = T0 + 30 * 2000;
    p = parse(live.mediaPlaylist('180p')!);
    expect(p.mediaSequence).toBe(30);
    expect(p.segments[0]!.discontinuity).toBe(true);
    expect(p.discontinuitySequence).toBe(0);

    // once the tag slid out, EXT-X-DISCONTINUITY-SEQUENCE counts it
    clock.now = T0 + 31 * 2000;
    p = parse(live.mediaPlaylist('180p')!);
    expect(p.mediaSequence).toBe(31);
    expect(p.segments.some((s) => s.discontinuity)).toBe(false);
    expect(p.discontinuitySequence).toBe(1);

    // second wrap at 60
    clock.now = T0 + 61 * 2000;
    p = parse(live.mediaPlaylist('180p')!);
    expect(p.mediaSequence).toBe(61);
    expect(p.discontinuitySequence).toBe(2);
  });

  it('serves only published, well-formed segment names', () => {
    const { clock, live } = simulator();
    expect(live.segmentFile('180p', 'seg_5.ts')).toBe(join(VOD, '180p', 'seg_005.ts'));
    expect(live.segmentFile('180p', 'seg_6.ts')).toBeNull(); // not yet published
    clock.now = T0 + 2000;
    expect(live.segmentFile('180p', 'seg_6.ts')).toBe(join(VOD, '180p', 'seg_006.ts'));
    expect(live.segmentFile('180p', 'seg_0.ts')).not.toBeNull(); // out of the window, still on the "CDN"
    for (const bad of ['seg_1.m4s', 'seg_.ts', 'seg_-1.ts', '../seg_1.ts', 'seg_1.ts.ts', 'index.m3u8']) {
      expect(live.segmentFile('180p', bad)).toBeNull();
    }
    expect(live.segmentFile('720p', 'seg_1.ts')).toBeNull();
  });

  it('with annotatePlaylist, puts each segment\'s SHA-256 (of the VOD file it loops over) in the playlist', () => {
    const { clock, live } = simulator({ annotatePlaylist });
    clock.now = T0 + 27 * 2000; // window 27..32, across the wrap
    const text = live.mediaPlaylist('360p')!;
    expect(text.match(/#EXT-X-SWARMFETCH-SHA256:/g)).toHaveLength(6);
    const base = 'http://127.0.0.1/media/live/360p/';
    const segments = parseHlsPlaylist(text, `${base}index.m3u8`).renditions[0]!.segments;
    expect(segments.map((s) => s.seq)).toEqual([27, 28, 29, 30, 31, 32]);
    for (const s of segments) {
      const file = live.segmentFile('360p', s.url.slice(base.length))!;
      expect(s.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    }
    // without it, the playlist is as before
    expect(simulator().live.mediaPlaylist('360p')).not.toContain('SWARMFETCH');
  });

  it('never goes back in time when the clock does', () => {
    const { clock, live } = simulator();
    clock.now = T0 - 60_000;
    expect(parse(live.mediaPlaylist('180p')!).mediaSequence).toBe(0);
  });
});

describe('mountLiveSimulator', () => {
  let server: Server | null = null;
  afterEach(async () => {
    const s = server;
    server = null;
    if (s) await new Promise((r) => s.close(r));
  });

  function get(url: string): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      httpRequest(url, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });
  }

  it('serves the master, live media playlists and the looped segment files', async () => {
    const clock = { now: T0 };
    const app = express();
    mountLiveSimulator(app, { mediaDir: VOD, urlPath: '/media/live', now: () => clock.now, annotatePlaylist });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server!.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/media/live`;

    const master = await get(`${base}/master.m3u8`);
    expect(master.status).toBe(200);
    expect(master.body.toString()).toBe(readFileSync(join(VOD, 'master.m3u8'), 'utf8'));
    expect(master.headers['cache-control']).toBe('no-cache');

    clock.now = T0 + 30 * 2000 + 500; // newest 35
    const media = await get(`${base}/180p/index.m3u8`);
    expect(media.status).toBe(200);
    expect(media.headers['content-type']).toMatch(/^application\/vnd\.apple\.mpegurl/);
    expect(media.headers['cache-control']).toBe('no-cache');
    expect(parse(media.body.toString()).mediaSequence).toBe(30);
    const sha33 = createHash('sha256').update(readFileSync(join(VOD, '180p', 'seg_003.ts'))).digest('hex');
    expect(media.body.toString()).toContain(`#EXT-X-SWARMFETCH-SHA256:${sha33}\n#EXTINF:2.000000,\nseg_33.ts\n`);

    const seg = await get(`${base}/180p/seg_33.ts`);
    expect(seg.status).toBe(200);
    expect(seg.headers['content-type']).toBe('video/mp2t');
    expect(seg.body.equals(readFileSync(join(VOD, '180p', 'seg_003.ts')))).toBe(true);

    expect((await get(`${base}/180p/seg_36.ts`)).status).toBe(404);
    expect((await get(`${base}/180p/seg_36.ts`)).body.length).toBe(0);
    expect((await get(`${base}/720p/index.m3u8`)).status).toBe(404);
  });
});
