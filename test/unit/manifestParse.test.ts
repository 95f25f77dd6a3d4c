import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDashMpd } from '../../core/manifest/parseDashMpd';
import { parseHlsPlaylist } from '../../core/manifest/parseHlsPlaylist';
import { parseManifest } from '../../core/manifest/parseManifest';
import { MANIFEST_LIMITS, type ParsedManifest } from '../../core/manifest/types';
import { SwarmError } from '../../core/SwarmError';
import { allFixtures, readFixture } from '../fixtures/manifests/readFixture';

const NOW = Date.parse('2026-11-25T11:56:00Z');

describe('parseManifest', () => {
  it('dispatches on the body first', () => {
    const hls = readFixture('hls-fmp4.m3u8');
    const dash = readFixture('dash-template-number.mpd');
    expect(parseManifest(hls, 'https://x/a.bin', 'text/plain')?.kind).toBe('hls-media');
    expect(parseManifest(dash, 'https://x/a.m3u8', 'application/vnd.apple.mpegurl')?.kind).toBe('dash');
    expect(parseManifest(readFixture('hls-apple-master.m3u8'), 'https://x/m')?.kind).toBe('hls-master');
    expect(parseManifest(`\uFEFF  \n${hls}`, 'https://x/a')?.kind).toBe('hls-media');
    expect(parseManifest(readFixture('dash-multiperiod-baseurl.mpd'), 'https://x/a')?.kind).toBe('dash');
  });

  it('then on the content type, then on the URL extension; a claimed but unreadable body throws', () => {
    const html = '<html><body>Not found</body></html>';
    for (const [url, type] of [
      ['https://x/a', 'application/vnd.apple.mpegurl'],
      ['https://x/a', 'Application/X-MPEGURL; charset=utf-8'],
      ['https://x/a', 'application/dash+xml'],
      ['https://x/a.m3u8?token=1', null],
      ['https://x/a.MPD#frag', undefined],
    ] as const) {
      expect(() => parseManifest(html, url, type)).toThrow(SwarmError);
    }
  });

  it('returns null for what is neither', () => {
    expect(parseManifest('<html></html>', 'https://x/page.html', 'text/html')).toBeNull();
    expect(parseManifest('', 'https://x/seg.ts', null)).toBeNull();
    expect(parseManifest('{"a":1}', 'https://x/api', 'application/json')).toBeNull();
  });

  it('passes nowMs to the DASH parser', () => {
    const text = readFixture('dash-live-number.mpd');
    const a = parseManifest(text, 'https://x/live.mpd', null, 1_000_000);
    expect(a?.renditions[0]!.segments.at(-1)!.seq).toBe(1_000 / 2 - 1);
  });
});

// ---- properties: never anything but SwarmError, never over the limits ----

const FIXTURES = allFixtures();
const ALLOWED = new Set(['protocol-violation', 'size-exceeded']);

function checkLimits(parsed: ParsedManifest): void {
  const problems: string[] = [];
  if (parsed.variants.length > MANIFEST_LIMITS.maxVariants) problems.push('variants');
  if (parsed.renditions.length > MANIFEST_LIMITS.maxRenditions) problems.push('renditions');
  for (const r of parsed.renditions) {
    if (r.segments.length > MANIFEST_LIMITS.maxSegmentsPerRendition) problems.push(`segments of ${r.id}`);
    for (const s of [...(r.init ? [r.init] : []), ...r.segments]) {
      const ok =
        typeof s.url === 'string' &&
        Number.isFinite(s.durationSec) &&
        Number.isFinite(s.startSec) &&
        Number.isFinite(s.seq) &&
        (s.range === null || (Number.isSafeInteger(s.range.start) && s.range.end >= s.range.start)) &&
        (s.sha256 === undefined || /^[0-9a-f]{64}$/.test(s.sha256));
      if (!ok) problems.push(JSON.stringify(s));
    }
  }
  expect(problems).toEqual([]);
}

/** Runs every parser on the text; each either returns within the limits or throws an allowed SwarmError. */
function survives(text: string, url: string): void {
  const attempts: (() => ParsedManifest | null)[] = [
    () => parseManifest(text, url, null, NOW),
    () => parseHlsPlaylist(text, url),
    () => parseDashMpd(text, url, NOW),
  ];
  for (const attempt of attempts) {
    let parsed: ParsedManifest | null = null;
    try {
      parsed = attempt();
    } catch (e) {
      if (!(e instanceof SwarmError) || !ALLOWED.has(e.code)) throw e;
      continue;
    }
    if (parsed) checkLimits(parsed);
  }
}

type Mutation =
  | { kind: 'flip'; at: number; char: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'swapLines'; a: number; b: number }
  | { kind: 'duplicateLine'; at: number; times: number };

const TOKENS = [
  '<',
  '>',
  '/>',
  '"',
  "'",
  '&',
  '&amp;',
  '$',
  '$Number$',
  '$Time%09d$',
  '-1',
  '1000000000',
  '#EXTINF:',
  '#EXT-X-BYTERANGE:',
  '#EXT-X-SWARMFETCH-SHA256:',
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '@',
  ',',
  '\r',
  '\n',
  'PT',
  'r="-1"',
  '<!--',
  ']]>',
  '\u0000',
  '\uD800',
  '９',
];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    char: fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 })),
  }),
  fc.record({ kind: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateLine' as const), at: fc.nat(), times: fc.integer({ min: 1, max: 50 }) }),
);

function mutate(text: string, m: Mutation): string {
  const at = text.length === 0 ? 0 : 'at' in m ? m.at % (text.length + 1) : 0;
  switch (m.kind) {
    case 'flip':
      return text.slice(0, at) + m.char + text.slice(at + 1);
    case 'truncate':
      return text.slice(0, at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.length);
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'swapLines': {
      const lines = text.split('\n');
      const a = m.a % lines.length;
      const b = m.b % lines.length;
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return lines.join('\n');
    }
    case 'duplicateLine': {
      const lines = text.split('\n');
      const i = m.at % lines.length;
      lines.splice(i, 0, ...Array<string>(m.times).fill(lines[i]!));
      return lines.join('\n');
    }
  }
}

describe('parsers under hostile input (properties)', () => {
  it('every fixture parses within the limits', () => {
    for (const [name, text, url] of FIXTURES) {
      const parsed = parseManifest(text, url, null, NOW);
      expect(parsed, name).not.toBeNull();
      checkLimits(parsed!);
    }
  });

  it('random strings never throw anything but SwarmError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.string({ maxLength: 300, unit: 'binary' }),
          fc
            .array(
              fc.constantFrom(...TOKENS, 'MPD', 'Period', 'S', 'SegmentTemplate', ' d="2"', ' t="0"', ' media="x"'),
              { maxLength: 80 },
            )
            .map((a) => a.join('')),
        ),
        fc.constantFrom('https://media.example.com/a/b/x.m3u8', 'https://media.example.com/a/b/x.mpd'),
        (body, url) => {
          survives(body, url);
          survives(`#EXTM3U\n${body}`, url);
          survives(`<MPD>${body}</MPD>`, url);
          survives(
            `<MPD type="dynamic" availabilityStartTime="2020-01-01T00:00:00Z"><Period><AdaptationSet><Representation id="r">${body}</Representation></AdaptationSet></Period></MPD>`,
            url,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mutated fixtures (byte flips, truncation, deletions, insertions, line swaps) never throw anything but SwarmError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES),
        fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
        ([, text, url], mutations) => {
          survives(mutations.reduce(mutate, text), url);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('random SegmentTimelines and templates stay within the limits', () => {
    const big = fc.oneof(
      fc.nat(),
      fc.constantFrom(0, 1, 2 ** 31, 2 ** 53, 2 ** 53 + 1),
      fc.bigInt({ min: 0n, max: 10n ** 25n }),
    );
    const sArb = fc.record({
      t: fc.option(big, { nil: undefined }),
      d: big,
      r: fc.option(fc.oneof(fc.integer({ min: -1, max: 50 }), big), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(sArb, { maxLength: 8 }),
        fc.boolean(),
        fc.option(big, { nil: undefined }),
        fc.constantFrom('PT0S', 'PT10S', 'P100Y', 'PT0.001S'),
        (ss, live, duration, mpdDuration) => {
          const s = ss
            .map(
              (x) =>
                `<S${x.t === undefined ? '' : ` t="${x.t}"`} d="${x.d}"${x.r === undefined ? '' : ` r="${x.r}"`}/>`,
            )
            .join('');
          const attrs = live
            ? 'type="dynamic" availabilityStartTime="1970-01-01T00:00:00Z" timeShiftBufferDepth="PT30S"'
            : `type="static" mediaPresentationDuration="${mpdDuration}"`;
          const timeline = ss.length > 0 ? `<SegmentTimeline>${s}</SegmentTimeline>` : '';
          const dur = duration === undefined ? '' : ` duration="${duration}"`;
          const text = `<MPD ${attrs}><Period><AdaptationSet><Representation id="r" bandwidth="5"><SegmentTemplate timescale="1000"${dur} media="$Number%03d$-$Time$.m4s">${timeline}</SegmentTemplate></Representation></AdaptationSet></Period></MPD>`;
          survives(text, 'https://media.example.com/x.mpd');
        },
      ),
      { numRuns: 30 },
    );
  }, 60_000);
});
