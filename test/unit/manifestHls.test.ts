import { describe, expect, it } from 'vitest';
import { parseHlsPlaylist } from '../../core/manifest/parseHlsPlaylist';
import { parseAttributeList } from '../../core/manifest/parseAttributeList';
import { MANIFEST_LIMITS, type ParsedManifest } from '../../core/manifest/types';
import { thrownCode } from './helpers/thrownCode';
import { readDemoPlaylist, readFixture } from '../fixtures/manifests/readFixture';

const BASE = 'https://media.example.com/a/b/';

function only(parsed: ParsedManifest) {
  expect(parsed.renditions).toHaveLength(1);
  return parsed.renditions[0]!;
}

const code = thrownCode;

describe('parseHlsPlaylist — the demo playlists', () => {
  it('reads the demo master: two variants resolved against the master URL', () => {
    const parsed = parseHlsPlaylist(readDemoPlaylist('master.m3u8'), 'http://localhost:8080/media/vod/master.m3u8');
    expect(parsed).toEqual({
      kind: 'hls-master',
      live: false,
      targetDurationSec: null,
      variants: ['http://localhost:8080/media/vod/180p/index.m3u8', 'http://localhost:8080/media/vod/360p/index.m3u8'],
      variantBitsPerSec: [251719, 507675], // AVERAGE-BANDWIDTH
      renditions: [],
    });
  });

  it('reads the demo 180p VOD playlist: 30 two-second .ts segments', () => {
    const url = 'http://localhost:8080/media/vod/180p/index.m3u8';
    const parsed = parseHlsPlaylist(readDemoPlaylist('180p/index.m3u8'), url);
    expect(parsed.kind).toBe('hls-media');
    expect(parsed.live).toBe(false);
    expect(parsed.targetDurationSec).toBe(2);
    const r = only(parsed);
    expect(r.id).toBe(url);
    expect(r.init).toBeNull();
    expect(r.segments).toHaveLength(30);
    r.segments.forEach((s, i) => {
      expect(s).toEqual({
        url: `http://localhost:8080/media/vod/180p/seg_${String(i).padStart(3, '0')}.ts`,
        range: null,
        durationSec: 2,
        seq: i,
        startSec: 2 * i,
      });
    });
  });
});

describe('parseHlsPlaylist — packager shapes', () => {
  it('ffmpeg live sliding window: sequence from EXT-X-MEDIA-SEQUENCE, live without ENDLIST', () => {
    const parsed = parseHlsPlaylist(readFixture('hls-ffmpeg-live.m3u8'), `${BASE}live/out.m3u8`);
    expect(parsed.live).toBe(true);
    const segs = only(parsed).segments;
    expect(segs.map((s) => s.seq)).toEqual([1843, 1844, 1845, 1846, 1847]);
    expect(segs.map((s) => s.url)).toEqual([1843, 1844, 1845, 1846, 1847].map((n) => `${BASE}live/out${n}.ts`));
    expect(segs.map((s) => s.startSec)).toEqual([0, 2, 4, 6, 8]);
    expect(segs[4]!.durationSec).toBeCloseTo(1.958333, 6);
  });

  it('Apple master: EXT-X-MEDIA URIs and STREAM-INF URIs, de-duplicated, quoted commas kept whole', () => {
    const parsed = parseHlsPlaylist(readFixture('hls-apple-master.m3u8'), `${BASE}master.m3u8`);
    expect(parsed.kind).toBe('hls-master');
    expect(parsed.live).toBe(false);
    expect(parsed.variants).toEqual([
      `${BASE}a1/prog_index.m3u8`,
      `${BASE}a2/prog_index.m3u8`,
      `${BASE}s1/en/prog_index.m3u8`,
      `${BASE}v5/prog_index.m3u8`,
      `${BASE}v9/prog_index.m3u8?token=abc%2Cdef&exp=1700000000`,
      'https://cdn2.example.com/bipbop/v9/prog_index.m3u8',
    ]);
    // the rates of STREAM-INF variants (AVERAGE-BANDWIDTH; a variant listed again keeps its first), none for EXT-X-MEDIA
    expect(parsed.variantBitsPerSec).toEqual([null, null, null, 2168183, 7968416, 8190919]);
    expect(parsed.renditions).toEqual([]);
  });

  it('variant rates: BANDWIDTH without AVERAGE-BANDWIDTH; a malformed or missing one is null', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-STREAM-INF:BANDWIDTH=300000', 'low.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=12x,RESOLUTION=640x360', 'bad.m3u8',
      '#EXT-X-STREAM-INF:RESOLUTION=960x540', 'none.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=0', 'zero.m3u8',
      '#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH=-5,BANDWIDTH=900000', 'avg-bad.m3u8',
      '',
    ].join('\n');
    const parsed = parseHlsPlaylist(text, `${BASE}m.m3u8`);
    expect(parsed.variantBitsPerSec).toEqual([300000, null, null, null, 900000]);
    expect(parseHlsPlaylist(readDemoPlaylist('180p/index.m3u8'), `${BASE}x.m3u8`).variantBitsPerSec).toBeUndefined();
  });

  it('fMP4 with EXT-X-MAP: init segment, .m4s media', () => {
    const r = only(parseHlsPlaylist(readFixture('hls-fmp4.m3u8'), `${BASE}fmp4/out.m3u8`));
    expect(r.init).toEqual({ url: `${BASE}fmp4/init.mp4`, range: null, durationSec: 0, seq: -1, startSec: 0 });
    expect(r.segments.map((s) => s.url)).toEqual([0, 1, 2, 3, 4].map((n) => `${BASE}fmp4/out${n}.m4s`));
  });

  it('fMP4 single file: EXT-X-MAP BYTERANGE and per-segment byte ranges (inclusive ends)', () => {
    const r = only(parseHlsPlaylist(readFixture('hls-fmp4-single-file.m3u8'), `${BASE}x.m3u8`));
    expect(r.init).toEqual({
      url: `${BASE}out.m4s`,
      range: { start: 0, end: 827 },
      durationSec: 0,
      seq: -1,
      startSec: 0,
    });
    expect(r.segments.map((s) => s.range)).toEqual([
      { start: 828, end: 58468 },
      { start: 58469, end: 121342 },
      { start: 121343, end: 178832 },
      { start: 178833, end: 245641 },
      { start: 245642, end: 302958 },
    ]);
    expect(new Set(r.segments.map((s) => s.url))).toEqual(new Set([`${BASE}out.m4s`]));
  });

  it('byte-range single .ts: an offset-less BYTERANGE continues after the previous range of that URI', () => {
    const r = only(parseHlsPlaylist(readFixture('hls-byterange-single-file.m3u8'), `${BASE}x.m3u8`));
    expect(r.segments.map((s) => s.range)).toEqual([
      { start: 0, end: 64483 },
      { start: 64484, end: 134419 },
      { start: 134420, end: 199467 },
      { start: 199468, end: 273915 },
      { start: 273916, end: 338775 },
    ]);
  });

  it('CRLF, blank lines, comments, KEY, DISCONTINUITY, EVENT type, query strings, relative and absolute URIs', () => {
    const url = 'https://live.example.com/ch1/live1/index.m3u8?session=9';
    const parsed = parseHlsPlaylist(readFixture('hls-live-discontinuity-crlf.m3u8'), url);
    expect(parsed.live).toBe(true);
    expect(parsed.targetDurationSec).toBe(6);
    const segs = only(parsed).segments;
    expect(segs.map((s) => s.url)).toEqual([
      'https://live.example.com/ch1/live1/media_120.ts?sig=a1b2&ttl=30',
      'https://live.example.com/ch1/live1/media_121.ts?sig=c3d4&ttl=30',
      'https://ads.example.net/spot/ad_0.ts',
      'https://ads.example.net/spot/ad_1.ts',
      'https://live.example.com/ch1/live2/media_122.ts',
      'https://live.example.com/abs/media_123.ts',
    ]);
    expect(segs.map((s) => s.seq)).toEqual([120, 121, 122, 123, 124, 125]);
    expect(segs.map((s) => s.durationSec)).toEqual([6.006, 6.006, 5.005, 5.005, 6.006, 6.006]);
    expect(segs[5]!.startSec).toBeCloseTo(28.028, 9);
  });
});

describe('parseHlsPlaylist — rules', () => {
  const media = (body: string) => `#EXTM3U\n#EXT-X-TARGETDURATION:4\n${body}`;

  it('liveness: ENDLIST or PLAYLIST-TYPE:VOD make it VOD; EVENT without ENDLIST is live', () => {
    expect(parseHlsPlaylist(media('#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n'), BASE).live).toBe(false);
    expect(parseHlsPlaylist(media('#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:4,\na.ts\n'), BASE).live).toBe(false);
    expect(parseHlsPlaylist(media('#EXT-X-PLAYLIST-TYPE:EVENT\n#EXTINF:4,\na.ts\n'), BASE).live).toBe(true);
    expect(parseHlsPlaylist(media('#EXTINF:4,\na.ts\n'), BASE).live).toBe(true);
  });

  it('an empty media playlist has one rendition without segments', () => {
    const parsed = parseHlsPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\n', BASE);
    expect(parsed.kind).toBe('hls-media');
    expect(only(parsed).segments).toEqual([]);
  });

  it('accepts a BOM, leading blank lines, old integer EXTINF and titles with commas', () => {
    const parsed = parseHlsPlaylist('\uFEFF#EXTM3U\n#EXTINF:10\na.ts\n#EXTINF:5.5,Title, with comma\nb.ts\n', BASE);
    expect(only(parsed).segments.map((s) => [s.durationSec, s.startSec])).toEqual([
      [10, 0],
      [5.5, 10],
    ]);
    expect(only(parseHlsPlaylist('\n\n#EXTM3U\n#EXTINF:1,\na.ts\n', BASE)).segments).toHaveLength(1);
  });

  it('resolves protocol-relative, root-relative, dot-segment and absolute URIs; keeps queries and fragments', () => {
    const segs = only(
      parseHlsPlaylist(
        media(
          '#EXTINF:1,\n//cdn.example.org/x.ts\n#EXTINF:1,\n/root.ts?a=1\n#EXTINF:1,\n../up.ts#t\n#EXTINF:1,\nhttp://h/p.ts\n',
        ),
        'https://media.example.com/a/b/index.m3u8?tok=1',
      ),
    ).segments;
    expect(segs.map((s) => s.url)).toEqual([
      'https://cdn.example.org/x.ts',
      'https://media.example.com/root.ts?a=1',
      'https://media.example.com/a/up.ts#t',
      'http://h/p.ts',
    ]);
  });

  it('EXT-X-MEDIA-SEQUENCE after the first segment does not renumber', () => {
    const segs = only(
      parseHlsPlaylist(media('#EXTINF:1,\na.ts\n#EXT-X-MEDIA-SEQUENCE:50\n#EXTINF:1,\nb.ts\n'), BASE),
    ).segments;
    expect(segs.map((s) => s.seq)).toEqual([0, 1]);
  });

  it('EXT-X-GAP segments are counted but not listed; EXT-X-SKIP advances the sequence of a delta playlist', () => {
    const gap = only(
      parseHlsPlaylist(media('#EXTINF:2,\na.ts\n#EXT-X-GAP\n#EXTINF:2,\nb.ts\n#EXTINF:2,\nc.ts\n'), BASE),
    ).segments;
    expect(gap.map((s) => [s.url, s.seq, s.startSec])).toEqual([
      [`${BASE}a.ts`, 0, 0],
      [`${BASE}c.ts`, 2, 4],
    ]);
    const delta = only(
      parseHlsPlaylist(media('#EXT-X-MEDIA-SEQUENCE:100\n#EXT-X-SKIP:SKIPPED-SEGMENTS=30\n#EXTINF:2,\nx.ts\n'), BASE),
    ).segments;
    expect(delta.map((s) => s.seq)).toEqual([130]);
  });

  it('keeps the first EXT-X-MAP as init', () => {
    const r = only(
      parseHlsPlaylist(
        media(
          '#EXT-X-MAP:URI="i1.mp4"\n#EXTINF:1,\na.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="i2.mp4"\n#EXTINF:1,\nb.m4s\n',
        ),
        BASE,
      ),
    );
    expect(r.init?.url).toBe(`${BASE}i1.mp4`);
    expect(r.segments).toHaveLength(2);
  });

  it('byte ranges: continuation per URI, EXT-X-MAP BYTERANGE without offset starts at 0', () => {
    const r = only(
      parseHlsPlaylist(
        media(
          '#EXT-X-MAP:URI="f.mp4",BYTERANGE="100"\n' +
            '#EXTINF:1,\n#EXT-X-BYTERANGE:50@100\nf.mp4\n' +
            '#EXTINF:1,\n#EXT-X-BYTERANGE:10@0\ng.mp4\n' +
            '#EXTINF:1,\n#EXT-X-BYTERANGE:25\nf.mp4\n' +
            '#EXTINF:1,\n#EXT-X-BYTERANGE:5\ng.mp4\n',
        ),
        BASE,
      ),
    );
    expect(r.init?.range).toEqual({ start: 0, end: 99 });
    expect(r.segments.map((s) => s.range)).toEqual([
      { start: 100, end: 149 },
      { start: 0, end: 9 },
      { start: 150, end: 174 },
      { start: 10, end: 14 },
    ]);
  });

  it('master: URIs of EXT-X-MEDIA without STREAM-INF, I-frame playlists not listed, capped at maxVariants', () => {
    let text = '#EXTM3U\n';
    for (let i = 0; i < 100; i++) text += `#EXT-X-STREAM-INF:BANDWIDTH=${1000 + i}\nv${i}.m3u8\n`;
    text += '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="iframe.m3u8"\n';
    const parsed = parseHlsPlaylist(text, BASE);
    expect(parsed.variants).toHaveLength(MANIFEST_LIMITS.maxVariants);
    expect(parsed.variants[0]).toBe(`${BASE}v0.m3u8`);
    expect(parsed.variants).not.toContain(`${BASE}iframe.m3u8`);
  });

  it('caps segments at maxSegmentsPerRendition but still reads ENDLIST at the end', () => {
    const n = MANIFEST_LIMITS.maxSegmentsPerRendition + 500;
    const text = `#EXTM3U\n${'#EXTINF:1,\ns.ts\n'.repeat(n)}#EXT-X-ENDLIST\n`;
    const parsed = parseHlsPlaylist(text, BASE);
    expect(parsed.live).toBe(false);
    const segs = only(parsed).segments;
    expect(segs).toHaveLength(MANIFEST_LIMITS.maxSegmentsPerRendition);
    expect(segs.at(-1)!.seq).toBe(MANIFEST_LIMITS.maxSegmentsPerRendition - 1);
  });

  it('refuses what it cannot read with protocol-violation', () => {
    for (const text of [
      '',
      'hello',
      '<MPD/>',
      '#EXTM3U-not\n',
      '#EXTM3U\n#EXTINF:abc,\na.ts\n',
      '#EXTM3U\n#EXTINF:-1,\na.ts\n',
      '#EXTM3U\na.ts\n',
      '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:x\n',
      '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:99999999999999999999\n',
      '#EXTM3U\n#EXT-X-TARGETDURATION:\n',
      '#EXTM3U\n#EXTINF:1,\n#EXT-X-BYTERANGE:100\na.ts\n', // no offset and no previous range
      '#EXTM3U\n#EXTINF:1,\n#EXT-X-BYTERANGE:0@0\na.ts\n',
      '#EXTM3U\n#EXTINF:1,\n#EXT-X-BYTERANGE:9007199254740991@9007199254740991\na.ts\n',
      '#EXTM3U\n#EXT-X-MAP:BYTERANGE="1@0"\n',
      '#EXTM3U\n#EXTINF:1,\nhttp://[bad\n',
      '#EXTM3U\n#EXT-X-SKIP:SKIPPED-SEGMENTS=x\n',
    ]) {
      expect(
        code(() => parseHlsPlaylist(text, BASE)),
        JSON.stringify(text),
      ).toBe('protocol-violation');
    }
    expect(code(() => parseHlsPlaylist('#EXTM3U\n#EXTINF:1,\na.ts\n', 'not a url'))).toBe('protocol-violation');
  });

  it('refuses text over maxTextBytes with size-exceeded', () => {
    const text = `#EXTM3U\n${'#'.repeat(MANIFEST_LIMITS.maxTextBytes)}`;
    expect(code(() => parseHlsPlaylist(text, BASE))).toBe('size-exceeded');
    // 2-byte UTF-8 characters count double
    const wide = `#EXTM3U\n#${'é'.repeat(MANIFEST_LIMITS.maxTextBytes / 2)}`;
    expect(code(() => parseHlsPlaylist(wide, BASE))).toBe('size-exceeded');
    expect(code(() => parseHlsPlaylist(`#EXTM3U\n#${'é'.repeat(1000)}`, BASE))).toBeUndefined();
  });
});

describe('parseAttributeList', () => {
  it('splits on commas outside quotes and unquotes values', () => {
    expect([
      ...parseAttributeList('BANDWIDTH=1280000,CODECS="avc1.4d401e,mp4a.40.2",URI="a,b.m3u8",DEFAULT=YES'),
    ]).toEqual([
      ['BANDWIDTH', '1280000'],
      ['CODECS', 'avc1.4d401e,mp4a.40.2'],
      ['URI', 'a,b.m3u8'],
      ['DEFAULT', 'YES'],
    ]);
  });

  it('is best effort on malformed lists', () => {
    expect(parseAttributeList('')).toEqual(new Map());
    expect(parseAttributeList('URI="unterminated')).toEqual(new Map([['URI', 'unterminated']]));
    expect(parseAttributeList('A=1,B')).toEqual(new Map([['A', '1']]));
    expect(parseAttributeList('A="x"junk,B=2').get('B')).toBe('2');
  });
});
