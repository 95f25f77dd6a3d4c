/**
 * Issue 4 §4, the gaps the per-module properties (protocol.test, manifestParse.test, parseRangeHeader.test) leave:
 * - the frame decoder at the link boundary: see PeerLink.fuzz.test.ts (moved there with issue 10);
 * - parsers fed huge hostile inputs (deep nesting, floods of one character, millions of lines) end with a result
 *   within MANIFEST_LIMITS or a SwarmError — not a RangeError, not a hang (the test timeout is the hang detector).
 */
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../core/manifest/parseManifest';
import { MANIFEST_LIMITS } from '../../core/manifest/types';
import { parseRangeHeader } from '../../core/parseRangeHeader';
import { SwarmError } from '../../core/SwarmError';

describe('parsers under huge hostile inputs', () => {
  const hostile: Array<[string, string, string]> = [
    ['deeply nested XML', 'http://a/x.mpd', `<MPD>${'<a>'.repeat(1_000_000)}`],
    ['a flood of <', 'http://a/x.mpd', `<MPD>${'<'.repeat(3_000_000)}`],
    ['an unterminated attribute', 'http://a/x.mpd', `<MPD a="${'x'.repeat(3_000_000)}`],
    ['an unterminated comment', 'http://a/x.mpd', `<MPD><!--${'-'.repeat(3_000_000)}`],
    ['500 000 attributes', 'http://a/x.mpd', `<MPD ${'a="1" '.repeat(500_000)}/>`],
    ['a manifest over maxTextBytes', 'http://a/x.mpd', `<MPD>${' '.repeat(MANIFEST_LIMITS.maxTextBytes)}</MPD>`],
    ['200 000 HLS segments', 'http://a/x.m3u8', `#EXTM3U\n${'#EXTINF:1,\nseg.ts\n'.repeat(200_000)}`],
    ['a 700 000-attribute HLS tag', 'http://a/x.m3u8', `#EXTM3U\n#EXT-X-STREAM-INF:${'A=1,'.repeat(700_000)}\nv.m3u8\n`],
    ['an unterminated quoted HLS attribute', 'http://a/x.m3u8', `#EXTM3U\n#EXT-X-STREAM-INF:A="${'x'.repeat(3_000_000)}\nv.m3u8\n`],
    ['a 3 MB segment hash tag', 'http://a/x.m3u8', `#EXTM3U\n#EXT-X-SWARMFETCH-SHA256:${'f'.repeat(3_000_000)}\n#EXTINF:1,\ns.ts\n`],
    ['40 000 segment hash tags', 'http://a/x.m3u8', `#EXTM3U\n${`#EXT-X-SWARMFETCH-SHA256:${'a'.repeat(64)}\n#EXTINF:1,\ns.ts\n`.repeat(40_000)}`],
    ['a 1000-digit BYTERANGE', 'http://a/x.m3u8', `#EXTM3U\n#EXT-X-BYTERANGE:${'9'.repeat(1000)}@${'9'.repeat(1000)}\n#EXTINF:1,\ns.ts\n`],
  ];
  for (const [name, url, text] of hostile) {
    it(`end with a bounded result or a SwarmError: ${name}`, () => {
      let parsed: ReturnType<typeof parseManifest>;
      try {
        parsed = parseManifest(text, url, null);
      } catch (err) {
        expect(SwarmError.is(err), String(err)).toBe(true);
        return;
      }
      expect(parsed).not.toBeNull();
      expect(parsed!.renditions.length).toBeLessThanOrEqual(MANIFEST_LIMITS.maxRenditions);
      expect(parsed!.variants.length).toBeLessThanOrEqual(MANIFEST_LIMITS.maxVariants);
      for (const r of parsed!.renditions) expect(r.segments.length).toBeLessThanOrEqual(MANIFEST_LIMITS.maxSegmentsPerRendition);
    });
  }

  it('parseRangeHeader refuses megabyte headers without reading them', () => {
    for (const h of [`bytes=${'0'.repeat(1_000_000)}-`, `bytes=${' '.repeat(1_000_000)}1-2`, `bytes=${'1-2,'.repeat(300_000)}`]) {
      expect(parseRangeHeader(h)).toBeNull();
    }
  });
});
