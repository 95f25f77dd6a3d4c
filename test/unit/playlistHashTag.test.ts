/** `#EXT-X-SWARMFETCH-SHA256`: read by the page's HLS parser into segment keys, written by annotatePlaylist. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHlsPlaylist } from '../../core/manifest/parseHlsPlaylist';
import { PLAYLIST_HASH_TAG, parsePlaylistHash } from '../../core/manifest/playlistHashTag';
import { manifestNotices } from '../../core/manifestNotices';
import { annotatePlaylist } from '../../server/annotatePlaylist';
import { readFixture } from '../fixtures/manifests/readFixture';
import { thrownCode } from './helpers/thrownCode';

const sha = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');
const BASE = 'https://cdn.example/live/180p/';
const URL_ = `${BASE}index.m3u8`;

describe('parsePlaylistHash', () => {
  it('takes 64 hex digits (trimmed, lowercased) and nothing else', () => {
    expect(parsePlaylistHash(sha('a'))).toBe(sha('a'));
    expect(parsePlaylistHash(` ${sha('a').toUpperCase()} `)).toBe(sha('a'));
    for (const bad of ['', 'zz', sha('a').slice(1), `${sha('a')}0`, `${sha('a')},x`, `0x${sha('a').slice(2)}`, ' '.repeat(100) + sha('a')]) {
      expect(parsePlaylistHash(bad)).toBeNull();
    }
  });
});

describe('parseHlsPlaylist reads #EXT-X-SWARMFETCH-SHA256', () => {
  const parsed = parseHlsPlaylist(readFixture('hls-live-sha256.m3u8'), URL_);
  const byUrl = (s: { url: string; range: { start: number; end: number } | null }) => `${s.url}${s.range ? `#${s.range.start}-${s.range.end}` : ''}`;
  const hashes = Object.fromEntries(parsed.renditions[0]!.segments.map((s) => [byUrl(s), s.sha256]));

  it('gives the next media segment its hash, before or after #EXTINF, whole files and byte ranges alike', () => {
    expect(hashes).toEqual({
      [`${BASE}seg_40.ts`]: sha('seg_40'),
      [`${BASE}seg_41.ts?token=abc`]: sha('seg_41'), // uppercase accepted, kept lowercase
      [`${BASE}seg_42.ts`]: undefined, // malformed: ignored
      [`${BASE}seg_43.ts`]: undefined, // one tag, one segment: the next one has none
      // seg_44 is a gap (not listed), and its tag does not leak to the next segment
      [`${BASE}all.ts#0-999`]: sha('range'),
      [`${BASE}all.ts#1000-1499`]: sha('range2'),
      [`${BASE}seg_47.ts`]: undefined, // a later malformed tag (no value) cancels a valid one
    });
  });

  it('a segment without a tag has no sha256 property at all (the segment shape is unchanged)', () => {
    const s = parsed.renditions[0]!.segments.find((x) => x.url.endsWith('seg_43.ts'))!;
    expect('sha256' in s).toBe(false);
  });

  it('ignores it in a master playlist and for EXT-X-MAP', () => {
    const master = parseHlsPlaylist(`#EXTM3U\n${PLAYLIST_HASH_TAG}:${sha('m')}\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n`, URL_);
    expect(master.variants).toEqual([`${BASE}v.m3u8`]);
    const fmp4 = parseHlsPlaylist(`#EXTM3U\n${PLAYLIST_HASH_TAG}:${sha('i')}\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:2,\ns.m4s\n`, URL_);
    expect(fmp4.renditions[0]!.init!.sha256).toBeUndefined();
    // the tag before the map still applies to the next media segment
    expect(fmp4.renditions[0]!.segments[0]!.sha256).toBe(sha('i'));
  });

  it('survives a huge value without reading it (ignored)', () => {
    const text = `#EXTM3U\n${PLAYLIST_HASH_TAG}:${'a'.repeat(3_000_000)}\n#EXTINF:2,\ns.ts\n`;
    expect(parseHlsPlaylist(text, URL_).renditions[0]!.segments[0]!.sha256).toBeUndefined();
  });

  it('hands the hashes to the agent under the segment keys the worker asks with (query stripped, ranges closed)', () => {
    const [notice] = manifestNotices(parsed, 'https://site.example');
    expect(notice!.entries.filter((e) => e.sha256).map((e) => [e.key, e.sha256])).toEqual([
      [`${BASE}seg_40.ts`, sha('seg_40')],
      [`${BASE}seg_41.ts`, sha('seg_41')],
      [`${BASE}all.ts#0-999`, sha('range')],
      [`${BASE}all.ts#1000-1499`, sha('range2')],
    ]);
  });
});

describe('annotatePlaylist', () => {
  const live = [
    '#EXTM3U', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:7',
    '#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:00.000Z', '#EXTINF:2.000000,', 'seg_7.ts',
    '#EXT-X-DISCONTINUITY', '#EXTINF:2.000000,', 'seg_8.ts?x=1',
    '#EXTINF:2.000000,', 'unknown.ts', '',
  ].join('\n');
  const lookup = (uri: string) => ({ 'seg_7.ts': sha('7'), 'seg_8.ts?x=1': sha('8').toUpperCase() })[uri];

  it('puts the tag right before each hashed segment\'s #EXTINF, and the parser reads it back', () => {
    const text = annotatePlaylist(live, lookup);
    expect(text).toBe([
      '#EXTM3U', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:7',
      '#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:00.000Z', `${PLAYLIST_HASH_TAG}:${sha('7')}`, '#EXTINF:2.000000,', 'seg_7.ts',
      '#EXT-X-DISCONTINUITY', `${PLAYLIST_HASH_TAG}:${sha('8')}`, '#EXTINF:2.000000,', 'seg_8.ts?x=1',
      '#EXTINF:2.000000,', 'unknown.ts', '',
    ].join('\n'));
    const segments = parseHlsPlaylist(text, URL_).renditions[0]!.segments;
    expect(segments.map((s) => s.sha256)).toEqual([sha('7'), sha('8'), undefined]);
    expect(segments.map((s) => s.seq)).toEqual([7, 8, 9]);
  });

  it('replaces the tags already there (annotating twice is annotating once), keeps CRLF', () => {
    const once = annotatePlaylist(live.replace(/\n/g, '\r\n'), lookup);
    expect(once).toContain('\r\n');
    expect(once.replace(/\r\n/g, '\n')).toBe(annotatePlaylist(live, lookup));
    expect(annotatePlaylist(once, lookup)).toBe(once);
    // a lookup that knows nothing now removes stale tags
    expect(annotatePlaylist(once, () => undefined)).toBe(live.replace(/\n/g, '\r\n'));
  });

  it('asks for byte ranges as the parser reads them (offset-less ranges continue per URI)', () => {
    const asked: string[] = [];
    const text = ['#EXTM3U', '#EXTINF:2,', '#EXT-X-BYTERANGE:100@0', 'a.ts', '#EXTINF:2,', '#EXT-X-BYTERANGE:50', 'a.ts',
      '#EXTINF:2,', '#EXT-X-BYTERANGE:7', 'b.ts', '#EXTINF:2,', '#EXT-X-BYTERANGE:x@1', 'a.ts', '#EXT-X-GAP', '#EXTINF:2,', 'gap.ts', ''].join('\n');
    const out = annotatePlaylist(text, (uri, r) => (asked.push(`${uri}#${r ? `${r.start}-${r.end}` : ''}`), sha(asked.at(-1)!)));
    // b.ts has no offset and no previous range (the parser would refuse it), the unreadable range and the gap are skipped
    expect(asked).toEqual(['a.ts#0-99', 'a.ts#100-149']);
    const segments = parseHlsPlaylist(out.replace('#EXT-X-BYTERANGE:7\n', '#EXT-X-BYTERANGE:7@0\n').replace('x@1', '5@1'), URL_).renditions[0]!.segments;
    expect(segments.slice(0, 2).map((s) => [s.range, s.sha256])).toEqual([
      [{ start: 0, end: 99 }, sha('a.ts#0-99')],
      [{ start: 100, end: 149 }, sha('a.ts#100-149')],
    ]);
  });

  it('leaves a master playlist as it is and refuses a lookup that gives no SHA-256', () => {
    const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n180p/index.m3u8\n';
    expect(annotatePlaylist(master, () => sha('x'))).toBe(master);
    expect(thrownCode(() => annotatePlaylist(live, () => 'abc'))).toBe('config-invalid');
  });

  it('annotates the demo\'s byte-range playlist with the hash of each range of its file', () => {
    const dir = join(__dirname, '../../demo/media/byterange/180p');
    const file = readFileSync(join(dir, 'index.ts'));
    const text = annotatePlaylist(readFileSync(join(dir, 'index.m3u8'), 'utf8'), (uri, r) =>
      uri === 'index.ts' && r ? sha(file.subarray(r.start, r.end + 1)) : undefined,
    );
    const segments = parseHlsPlaylist(text, 'http://localhost/media/byterange/180p/index.m3u8').renditions[0]!.segments;
    expect(segments.length).toBeGreaterThan(3);
    for (const s of segments) expect(s.sha256).toBe(sha(file.subarray(s.range!.start, s.range!.end + 1)));
  });
});
