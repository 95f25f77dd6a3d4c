import { describe, expect, it } from 'vitest';
import { parseDashMpd } from '../../core/manifest/parseDashMpd';
import { MANIFEST_LIMITS, type Rendition } from '../../core/manifest/types';
import { thrownCode } from './helpers/thrownCode';
import { readFixture } from '../fixtures/manifests/readFixture';

const URL_ = 'https://media.example.com/a/b/manifest.mpd';
const DIR = 'https://media.example.com/a/b/';

const code = thrownCode;

function byId(renditions: Rendition[], id: string): Rendition {
  const r = renditions.find((x) => x.id === id);
  if (!r) throw new Error(`no rendition ${id}`);
  return r;
}

/** A static one-Representation MPD around `inner` (the Representation's content). */
function mpd(inner: string, attrs = 'type="static" mediaPresentationDuration="PT10S"', periodAttrs = ''): string {
  return `<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" ${attrs}><Period ${periodAttrs}><AdaptationSet><Representation id="r" bandwidth="1000">${inner}</Representation></AdaptationSet></Period></MPD>`;
}

describe('parseDashMpd — packager shapes', () => {
  it('ffmpeg SegmentTemplate, number-based: ceil(period / segment) segments, $Number%05d$, $RepresentationID$', () => {
    const parsed = parseDashMpd(readFixture('dash-template-number.mpd'), URL_);
    expect(parsed.kind).toBe('dash');
    expect(parsed.live).toBe(false);
    expect(parsed.targetDurationSec).toBe(2);
    expect(parsed.variants).toEqual([]);
    expect(parsed.renditions.map((r) => [r.id, r.bandwidth])).toEqual([
      ['0', 242453],
      ['1', 69000],
    ]);
    for (const r of parsed.renditions) {
      expect(r.init).toEqual({
        url: `${DIR}init-stream${r.id}.m4s`,
        range: null,
        durationSec: 0,
        seq: -1,
        startSec: 0,
      });
      expect(r.segments).toEqual(
        [1, 2, 3, 4, 5].map((n, i) => ({
          url: `${DIR}chunk-stream${r.id}-0000${n}.m4s`,
          range: null,
          durationSec: 2,
          seq: n,
          startSec: 2 * i,
        })),
      );
    }
  });

  it('ffmpeg SegmentTemplate + SegmentTimeline: S@r repeats, t carried over, irregular audio durations', () => {
    const parsed = parseDashMpd(readFixture('dash-template-timeline.mpd'), URL_);
    const video = byId(parsed.renditions, '0');
    expect(video.segments.map((s) => [s.seq, s.startSec, s.durationSec])).toEqual([
      [1, 0, 2],
      [2, 2, 2],
      [3, 4, 2],
      [4, 6, 2],
      [5, 8, 2],
    ]);
    const audio = byId(parsed.renditions, '1');
    expect(audio.segments.map((s) => s.url)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `${DIR}chunk-stream1-0000${n}.m4s`));
    const ticks = [84992, 88064, 88064, 88064, 89088, 2728];
    let t = 0;
    audio.segments.forEach((s, i) => {
      expect(s.durationSec).toBeCloseTo(ticks[i]! / 44100, 12);
      expect(s.startSec).toBeCloseTo(t / 44100, 12);
      t += ticks[i]!;
    });
  });

  it('ffmpeg dynamic MPD with SegmentTimeline: live, startNumber, startSec relative to the first listed', () => {
    const parsed = parseDashMpd(readFixture('dash-live-timeline.mpd'), URL_, Date.parse('2026-11-25T11:55:55Z'));
    expect(parsed.live).toBe(true);
    const r = only(parsed.renditions);
    expect(r.segments.map((s) => [s.url, s.seq, s.startSec, s.durationSec])).toEqual([
      [`${DIR}chunk-stream0-00003.m4s`, 3, 0, 2],
      [`${DIR}chunk-stream0-00004.m4s`, 4, 2, 2],
      [`${DIR}chunk-stream0-00005.m4s`, 5, 4, 2],
    ]);
  });

  it('dynamic SegmentTimeline with r="-1": repeats until now, never past it', () => {
    const text = readFixture('dash-live-timeline.mpd').replace('r="2"', 'r="-1"');
    // availabilityStartTime 11:55:44.617; segments of 2 s from t = 4 s: at +13 s, segments ending at 6, 8, 10, 12 s exist
    const parsed = parseDashMpd(text, URL_, Date.parse('2026-11-25T11:55:44.617Z') + 13_000);
    expect(only(parsed.renditions).segments.map((s) => s.seq)).toEqual([3, 4, 5, 6]);
  });

  it('DASH-IF live simulator style: number-based dynamic MPD windowed by now and timeShiftBufferDepth', () => {
    const now = Date.UTC(2024, 4, 1, 10, 0, 1, 0); // 1714557601 s after the 1970 availabilityStartTime
    const parsed = parseDashMpd(readFixture('dash-live-number.mpd'), URL_, now);
    expect(parsed.live).toBe(true);
    const video = byId(parsed.renditions, 'V300');
    expect(video.init?.url).toBe('https://livesim2.dashif.org/livesim2/testpic_2s/V300/init.mp4');
    const last = Math.floor(now / 1000 / 2) - 1; // the newest segment that has ended
    const segs = video.segments;
    expect(segs.at(-1)!.seq).toBe(last);
    expect(segs.at(-1)!.url).toBe(`https://livesim2.dashif.org/livesim2/testpic_2s/V300/${last}.m4s`);
    expect(segs[0]!.seq).toBeGreaterThanOrEqual(last - 30); // PT1M of 2 s segments
    expect(segs.length).toBeGreaterThanOrEqual(30);
    expect(segs.length).toBeLessThanOrEqual(31);
    expect(segs[0]!.startSec).toBe(0);
    segs.forEach((s, i) => expect(s.seq).toBe(segs[0]!.seq + i));
    expect(byId(parsed.renditions, 'A48').segments.at(-1)!.url).toBe(
      `https://livesim2.dashif.org/livesim2/testpic_2s/A48/${last}.m4s`,
    );
  });

  it('a dynamic MPD before availabilityStartTime, or without it, lists no segments', () => {
    const early = parseDashMpd(
      readFixture('dash-live-number.mpd').replace('1970-01-01T00:00:00Z', '2099-01-01T00:00:00Z'),
      URL_,
      0,
    );
    expect(early.renditions.every((r) => r.segments.length === 0)).toBe(true);
    const none = parseDashMpd(readFixture('dash-live-number.mpd').replace('availabilityStartTime=', 'x='), URL_, 1e12);
    expect(none.renditions.every((r) => r.segments.length === 0)).toBe(true);
  });

  it('ffmpeg SegmentList of separate files with Initialization@sourceURL', () => {
    const r = only(parseDashMpd(readFixture('dash-segment-list.mpd'), URL_).renditions);
    expect(r.init).toEqual({ url: `${DIR}init-stream0.m4s`, range: null, durationSec: 0, seq: -1, startSec: 0 });
    expect(r.segments.map((s) => [s.url, s.seq, s.startSec, s.durationSec, s.range])).toEqual(
      [1, 2, 3, 4, 5].map((n, i) => [`${DIR}chunk-stream0-0000${n}.m4s`, n, 2 * i, 2, null]),
    );
  });

  it('ffmpeg single-file SegmentList: BaseURL per Representation, mediaRange, Initialization@range', () => {
    const parsed = parseDashMpd(readFixture('dash-segment-list-ranges.mpd'), URL_);
    const video = byId(parsed.renditions, '0');
    expect(video.init).toEqual({
      url: `${DIR}out-stream0.mp4`,
      range: { start: 0, end: 815 },
      durationSec: 0,
      seq: -1,
      startSec: 0,
    });
    expect(video.segments.map((s) => s.range)).toEqual([
      { start: 816, end: 58456 },
      { start: 58457, end: 121330 },
      { start: 121331, end: 178820 },
      { start: 178821, end: 245629 },
      { start: 245630, end: 302946 },
    ]);
    expect(new Set(video.segments.map((s) => s.url))).toEqual(new Set([`${DIR}out-stream0.mp4`]));
    const audio = byId(parsed.renditions, '1');
    expect(audio.segments).toHaveLength(6);
    expect(audio.segments.at(-1)).toEqual({
      url: `${DIR}out-stream1.mp4`,
      range: { start: 89513, end: 90242 },
      durationSec: 2,
      seq: 6,
      startSec: 10,
    });
  });

  it('shaka-packager on-demand SegmentBase: whole file as one segment, init from Initialization@range', () => {
    const parsed = parseDashMpd(readFixture('dash-segment-base.mpd'), URL_);
    expect(parsed.renditions.map((r) => r.id)).toEqual(['0', '1', '2', '3']);
    const hd = byId(parsed.renditions, '0');
    expect(hd.init).toEqual({
      url: `${DIR}h264_1080p.mp4`,
      range: { start: 0, end: 822 },
      durationSec: 0,
      seq: -1,
      startSec: 0,
    });
    expect(hd.segments).toEqual([
      { url: `${DIR}h264_1080p.mp4`, range: null, durationSec: 634.566, seq: 1, startSec: 0 },
    ]);
    expect(byId(parsed.renditions, '2').segments[0]!.url).toBe(`${DIR}audio/aac_en.mp4`);
    // a Representation with only a BaseURL: the file, no init
    const subs = byId(parsed.renditions, '3');
    expect(subs.init).toBeNull();
    expect(subs.segments).toEqual([
      { url: `${DIR}subs/en.vtt`, range: null, durationSec: 634.566, seq: 1, startSec: 0 },
    ]);
  });

  it('multi-period: first Period, BaseURL chain, prefixes, CDATA, entities, inherited and overriding templates', () => {
    const parsed = parseDashMpd(readFixture('dash-multiperiod-baseurl.mpd'), URL_);
    expect(parsed.live).toBe(false);
    expect(parsed.renditions.map((r) => r.id)).toEqual(['v1', 'v2']);
    const v1 = byId(parsed.renditions, 'v1');
    const base = 'https://cdn.example.com/vod/title-42/video/v1/';
    expect(v1.init?.url).toBe(`${base}init.mp4?auth=x&v=1`);
    // Period@duration PT30S, 4 s segments: 8 segments, the last one 2 s
    expect(v1.segments).toHaveLength(8);
    expect(v1.segments[0]).toEqual({
      url: `${base}seg-00001.m4s?auth=x&v=1`,
      range: null,
      durationSec: 4,
      seq: 1,
      startSec: 0,
    });
    expect(v1.segments[7]).toEqual({
      url: `${base}seg-00008.m4s?auth=x&v=1`,
      range: null,
      durationSec: 2,
      seq: 8,
      startSec: 28,
    });
    const v2 = byId(parsed.renditions, 'v2');
    expect(v2.init?.url).toBe('https://cdn.example.com/other-root/hd/init-2400000.mp4');
    // S t=900000 (= presentationTimeOffset) d=6 s r=-1 until the period end (30 s): 5 segments, $Time$ and $$
    expect(v2.segments.map((s) => [s.url, s.seq, s.startSec, s.durationSec])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [
        `https://cdn.example.com/other-root/hd/t${900000 + i * 540000}-b02400000-$.m4s`,
        i + 1,
        6 * i,
        6,
      ]),
    );
  });

  it('dynamic multi-period: the last Period is used', () => {
    const text = readFixture('dash-multiperiod-baseurl.mpd')
      .replace('type="static"', 'type="dynamic" availabilityStartTime="2024-01-01T00:00:00Z"')
      .replace('duration="PT30.5S"', 'start="PT30S"');
    const parsed = parseDashMpd(text, URL_, Date.parse('2024-01-01T00:00:50Z'));
    expect(parsed.live).toBe(true);
    const c1 = only(parsed.renditions);
    expect(c1.id).toBe('c1');
    // 20 s into the period at 4 s per segment: segments 1–5 have ended
    expect(c1.segments.map((s) => s.url)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `https://cdn.example.com/vod/credits/${n}.m4s`),
    );
    expect(c1.segments.map((s) => s.startSec)).toEqual([0, 4, 8, 12, 16]);
  });
});

function only(renditions: Rendition[]): Rendition {
  expect(renditions).toHaveLength(1);
  return renditions[0]!;
}

describe('parseDashMpd — rules', () => {
  it('Representation-level SegmentTemplate overrides the AdaptationSet one attribute by attribute', () => {
    const text = `<MPD type="static" mediaPresentationDuration="PT6S"><Period><AdaptationSet>
      <SegmentTemplate timescale="1000" duration="2000" media="as-$Number$.m4s" initialization="as-init.mp4" startNumber="10"/>
      <Representation id="a"/>
      <Representation id="b"><SegmentTemplate media="rep-$RepresentationID$-$Number$.m4s"/></Representation>
    </AdaptationSet></Period></MPD>`;
    const parsed = parseDashMpd(text, URL_);
    expect(byId(parsed.renditions, 'a').segments.map((s) => s.url)).toEqual(
      [10, 11, 12].map((n) => `${DIR}as-${n}.m4s`),
    );
    const b = byId(parsed.renditions, 'b');
    expect(b.segments.map((s) => s.url)).toEqual([10, 11, 12].map((n) => `${DIR}rep-b-${n}.m4s`));
    expect(b.init?.url).toBe(`${DIR}as-init.mp4`);
  });

  it('static number-based count is ceil(period / segment), last segment cut at the period end', () => {
    const parsed = parseDashMpd(
      mpd(
        '<SegmentTemplate timescale="10" duration="40" media="$Number$.m4s"/>',
        'type="static" mediaPresentationDuration="PT1M0.5S"',
      ),
      URL_,
    );
    const segs = only(parsed.renditions).segments;
    expect(segs).toHaveLength(16); // 60.5 / 4 = 15.125
    expect(segs.at(-1)!.durationSec).toBeCloseTo(0.5, 9);
    expect(segs.at(-1)!.startSec).toBe(60);
  });

  it('endNumber bounds a number-based template', () => {
    const segs = only(
      parseDashMpd(mpd('<SegmentTemplate duration="1" startNumber="5" endNumber="7" media="$Number$.m4s"/>'), URL_)
        .renditions,
    ).segments;
    expect(segs.map((s) => s.seq)).toEqual([5, 6, 7]);
  });

  it('$Time$ with a SegmentTimeline keeps times beyond 2^53 exact', () => {
    const t = '17000000000000000000'; // 1.7e19, a wall-clock time at timescale 10^7
    const segs = only(
      parseDashMpd(
        mpd(
          `<SegmentTemplate timescale="10000000" media="$Time$.m4s"><SegmentTimeline><S t="${t}" d="20000000" r="1"/></SegmentTimeline></SegmentTemplate>`,
        ),
        URL_,
      ).renditions,
    ).segments;
    expect(segs.map((s) => s.url)).toEqual([`${DIR}17000000000000000000.m4s`, `${DIR}17000000000020000000.m4s`]);
  });

  it('resolves absolute, root-relative and relative BaseURLs in order; the first of several BaseURLs wins', () => {
    const text = `<MPD type="static" mediaPresentationDuration="PT2S">
      <BaseURL>https://a.example.com/x/</BaseURL><BaseURL>https://b.example.com/</BaseURL>
      <Period><BaseURL>p/</BaseURL><AdaptationSet><BaseURL>/root/</BaseURL>
        <Representation id="1"><BaseURL>r1/file.mp4</BaseURL></Representation>
        <Representation id="2"><BaseURL>https://c.example.com/abs.mp4</BaseURL></Representation>
        <Representation id="3"/>
      </AdaptationSet></Period></MPD>`;
    const parsed = parseDashMpd(text, URL_);
    expect(parsed.renditions.map((r) => r.segments[0]!.url)).toEqual([
      'https://a.example.com/root/r1/file.mp4',
      'https://c.example.com/abs.mp4',
      'https://a.example.com/root/',
    ]);
  });

  it('caps renditions at maxRenditions', () => {
    const reps = Array.from(
      { length: 100 },
      (_, i) => `<Representation id="r${i}"><BaseURL>${i}.mp4</BaseURL></Representation>`,
    ).join('');
    const parsed = parseDashMpd(`<MPD><Period><AdaptationSet>${reps}</AdaptationSet></Period></MPD>`, URL_);
    expect(parsed.renditions).toHaveLength(MANIFEST_LIMITS.maxRenditions);
    expect(parsed.renditions[0]!.id).toBe('r0');
  });

  it('huge S@r and huge period/segment ratios return capped lists (VOD: the first, live: the latest)', () => {
    const cap = MANIFEST_LIMITS.maxSegmentsPerRendition;
    const hugeR = only(
      parseDashMpd(
        mpd(
          '<SegmentTemplate media="$Number$.m4s"><SegmentTimeline><S t="0" d="1" r="1000000000"/></SegmentTimeline></SegmentTemplate>',
        ),
        URL_,
      ).renditions,
    ).segments;
    expect(hugeR).toHaveLength(cap);
    expect(hugeR[0]!.seq).toBe(1);

    const hugeRatio = only(
      parseDashMpd(
        mpd(
          '<SegmentTemplate timescale="1000000000" duration="1" media="$Number$.m4s"/>',
          'type="static" mediaPresentationDuration="P100Y"',
        ),
        URL_,
      ).renditions,
    ).segments;
    expect(hugeRatio).toHaveLength(cap);

    const liveR = only(
      parseDashMpd(
        mpd(
          '<SegmentTemplate media="$Number$.m4s"><SegmentTimeline><S t="0" d="1" r="-1"/></SegmentTimeline></SegmentTemplate>',
          'type="dynamic" availabilityStartTime="1970-01-01T00:00:00Z"',
        ),
        URL_,
        Date.UTC(2024, 0, 1),
      ).renditions,
    ).segments;
    expect(liveR).toHaveLength(cap);
    const ended = Date.UTC(2024, 0, 1) / 1000; // segments of 1 s from the epoch
    expect(liveR.at(-1)!.seq).toBe(ended); // number = startNumber (1) + index
    expect(liveR[0]!.startSec).toBe(0);

    const liveNumber = only(
      parseDashMpd(
        mpd(
          '<SegmentTemplate timescale="1000000" duration="1" media="$Number$.m4s"/>',
          'type="dynamic" availabilityStartTime="1970-01-01T00:00:00Z"',
        ),
        URL_,
        Date.UTC(2024, 0, 1),
      ).renditions,
    ).segments;
    expect(liveNumber).toHaveLength(cap);
  }, 60_000);

  it('many huge S runs and huge SegmentList counts stay bounded', () => {
    const runs = '<S d="1" r="9007199254740991"/>'.repeat(50);
    const segs = only(
      parseDashMpd(
        mpd(`<SegmentTemplate media="$Time$.m4s"><SegmentTimeline>${runs}</SegmentTimeline></SegmentTemplate>`),
        URL_,
      ).renditions,
    ).segments;
    expect(segs).toHaveLength(MANIFEST_LIMITS.maxSegmentsPerRendition);
    const list = '<SegmentURL media="s.m4s"/>'.repeat(MANIFEST_LIMITS.maxSegmentsPerRendition + 10);
    const live = parseDashMpd(mpd(`<SegmentList duration="1">${list}</SegmentList>`, 'type="dynamic"'), URL_, 0);
    const liveSegs = only(live.renditions).segments;
    expect(liveSegs).toHaveLength(MANIFEST_LIMITS.maxSegmentsPerRendition);
    expect(liveSegs[0]!.seq).toBe(11); // the latest ones are kept
  }, 60_000);

  it('a template expanding into too many URL characters fails with size-exceeded', () => {
    const media = `${'x'.repeat(100_000)}$Number$.m4s`;
    const text = mpd(
      `<SegmentTemplate duration="1" media="${media}"/>`,
      'type="static" mediaPresentationDuration="PT10H"',
    );
    expect(code(() => parseDashMpd(text, URL_))).toBe('size-exceeded');
  }, 60_000);

  it('refuses malformed MPDs with protocol-violation', () => {
    for (const text of [
      '',
      'not xml',
      '<html><body>404</body></html>',
      '<MPD type="static">', // unclosed
      '<MPD></MPD>', // no Period
      '<MPD><Period></MPD>',
      '<MPD><Period/></MPD trailing',
      '<MPD a=b><Period/></MPD>',
      mpd('<SegmentTemplate timescale="0" duration="1" media="$Number$"/>'),
      mpd('<SegmentTemplate timescale="abc" duration="1" media="$Number$"/>'),
      mpd('<SegmentTemplate startNumber="-1" duration="1" media="$Number$"/>'),
      mpd('<SegmentTemplate media="$Time$"><SegmentTimeline><S t="0"/></SegmentTimeline></SegmentTemplate>'),
      mpd('<SegmentTemplate media="$Time$"><SegmentTimeline><S t="0" d="0"/></SegmentTimeline></SegmentTemplate>'),
      mpd('<SegmentTemplate media="$Time$"><SegmentTimeline><S t="x" d="1"/></SegmentTimeline></SegmentTemplate>'),
      mpd('<SegmentTemplate media="$Time$"><SegmentTimeline><S d="1" r="1.5"/></SegmentTimeline></SegmentTemplate>'),
      mpd('<SegmentList><SegmentURL media="a" mediaRange="10-5"/></SegmentList>'),
      mpd('<SegmentList><SegmentURL media="a" mediaRange="10-"/></SegmentList>'),
      mpd('<SegmentBase><Initialization range="bytes"/></SegmentBase>'),
      mpd('<BaseURL>http://[bad/</BaseURL>'),
    ]) {
      expect(
        code(() => parseDashMpd(text, URL_)),
        text.slice(0, 200),
      ).toBe('protocol-violation');
    }
  });

  it('refuses text over maxTextBytes with size-exceeded', () => {
    const text = mpd(`<!--${'-'.repeat(MANIFEST_LIMITS.maxTextBytes)}-->`);
    expect(code(() => parseDashMpd(text, URL_))).toBe('size-exceeded');
  });

  it('is best effort where meaning is clear: no media template, unknown period length, bad bandwidth', () => {
    expect(only(parseDashMpd(mpd('<SegmentTemplate initialization="i.mp4"/>'), URL_).renditions).segments).toEqual([]);
    const noDuration = parseDashMpd(mpd('<SegmentTemplate duration="1" media="$Number$"/>', 'type="static"'), URL_);
    expect(only(noDuration.renditions).segments).toEqual([]);
    const text = mpd('').replace('bandwidth="1000"', 'bandwidth="lots"');
    expect(only(parseDashMpd(text, URL_).renditions).bandwidth).toBeNull();
  });
});
