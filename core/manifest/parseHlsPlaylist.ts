import { SwarmError } from '../SwarmError';
import { assertManifestSize } from './assertManifestSize';
import { parseAttributeList } from './parseAttributeList';
import { parseDecimal, parseSafeInteger } from './parseDecimal';
import { PLAYLIST_HASH_TAG, parsePlaylistHash } from './playlistHashTag';
import { MANIFEST_LIMITS, type ManifestSegment, type ParsedManifest } from './types';
import { UrlResolver } from './UrlResolver';

type Range = { start: number; end: number };

function violation(message: string, line: number): SwarmError {
  return new SwarmError('protocol-violation', `HLS: ${message}`, { line });
}

/** `n[@o]` → inclusive range; without `@o` the range continues at `nextOffset` (null = undefined → error). */
function parseByteRange(value: string, nextOffset: number | null, line: number): Range {
  const at = value.indexOf('@');
  const length = parseSafeInteger(at < 0 ? value : value.slice(0, at));
  const offset = at < 0 ? nextOffset : parseSafeInteger(value.slice(at + 1));
  if (length === null || length < 1) throw violation('bad BYTERANGE length', line);
  if (offset === null) throw violation('BYTERANGE without offset and no previous range of the same URI', line);
  const end = offset + length - 1;
  if (!Number.isSafeInteger(end)) throw violation('BYTERANGE out of bounds', line);
  return { start: offset, end };
}

/**
 * Parses an HLS playlist (master or media). `url` is the playlist's absolute URL. Throws SwarmError
 * 'size-exceeded' for text over MANIFEST_LIMITS.maxTextBytes and 'protocol-violation' for what cannot be read
 * (no #EXTM3U header, bad EXTINF / BYTERANGE / sequence numbers, invalid URLs). Lists are truncated to
 * MANIFEST_LIMITS (media: the first maxSegmentsPerRendition segments; live playlists list a short window anyway).
 * A media segment's `#EXT-X-SWARMFETCH-SHA256` (see playlistHashTag) becomes its `sha256`; a malformed one is ignored.
 */
export function parseHlsPlaylist(text: string, url: string): ParsedManifest {
  assertManifestSize(text);
  const resolver = new UrlResolver();
  const lines = text.split(/\r\n|\r|\n/);
  let first = 0;
  while (first < lines.length && (lines[first] ?? '').trim() === '') first++;
  const header = (lines[first] ?? '').replace(/^\uFEFF/, '').trimEnd();
  if (header !== '#EXTM3U') throw violation('missing #EXTM3U header', first + 1);

  const maxSegments = MANIFEST_LIMITS.maxSegmentsPerRendition;
  const segments: ManifestSegment[] = [];
  const variants: string[] = [];
  const variantBitsPerSec: Array<number | null> = [];
  const variantSet = new Set<string>();
  const nextOffsetByUri = new Map<string, number>(); // by URI line as written
  let isMaster = false;
  let targetDurationSec: number | null = null;
  let mediaSequence = 0;
  let endList = false;
  let playlistType = '';
  let init: ManifestSegment | null = null;
  let pendingDuration: number | null = null;
  let pendingRange: string | null = null;
  let pendingRangeLine = 0;
  let pendingStreamInf = false;
  /** The pending EXT-X-STREAM-INF's rate: AVERAGE-BANDWIDTH, else BANDWIDTH (as hls.js reads a level's bitrate). */
  let pendingBitsPerSec: number | null = null;
  let pendingGap = false;
  let pendingSha256: string | null = null;
  let segmentCount = 0; // segments so far, skipped (EXT-X-SKIP) and gaps included: seq = mediaSequence + segmentCount
  let seenSegment = false;
  let startSec = 0;

  const addVariant = (ref: string, bitsPerSec: number | null): void => {
    if (variants.length >= MANIFEST_LIMITS.maxVariants) return;
    const abs = resolver.resolve(ref, url);
    if (variantSet.has(abs)) {
      // listed again (another audio group, say): a rate it lacked is taken
      const i = variants.indexOf(abs);
      if (variantBitsPerSec[i] === null) variantBitsPerSec[i] = bitsPerSec;
      return;
    }
    variantSet.add(abs);
    variants.push(abs);
    variantBitsPerSec.push(bitsPerSec);
  };

  for (let i = first + 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    const lineNo = i + 1;
    if (line === '') continue;
    if (line[0] !== '#') {
      if (pendingStreamInf) {
        pendingStreamInf = false;
        addVariant(line, pendingBitsPerSec);
      } else if (pendingDuration !== null) {
        let range: Range | null = null;
        if (pendingRange !== null) {
          range = parseByteRange(pendingRange, nextOffsetByUri.get(line) ?? null, pendingRangeLine);
          nextOffsetByUri.set(line, range.end + 1);
        }
        if (segments.length < maxSegments && !pendingGap) {
          const abs = resolver.resolve(line, url); // past the cap nothing is resolved (nor counted in the URL budget)
          const segment: ManifestSegment = { url: abs, range, durationSec: pendingDuration, seq: mediaSequence + segmentCount, startSec };
          if (pendingSha256 !== null) segment.sha256 = pendingSha256;
          segments.push(segment);
        }
        segmentCount++;
        seenSegment = true;
        startSec += pendingDuration;
        pendingDuration = null;
        pendingRange = null;
        pendingGap = false;
        pendingSha256 = null;
      } else if (!isMaster) {
        throw violation('URI line without #EXTINF', lineNo);
      }
      continue;
    }
    if (!line.startsWith('#EXT')) continue; // a comment
    const colon = line.indexOf(':');
    const tag = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1);
    switch (tag) {
      case '#EXTINF': {
        const comma = value.indexOf(',');
        const duration = parseDecimal(comma < 0 ? value : value.slice(0, comma));
        if (duration === null) throw violation('bad #EXTINF duration', lineNo);
        pendingDuration = duration;
        break;
      }
      case '#EXT-X-BYTERANGE':
        pendingRange = value.trim();
        pendingRangeLine = lineNo;
        break;
      case '#EXT-X-TARGETDURATION':
        targetDurationSec = parseDecimal(value);
        if (targetDurationSec === null) throw violation('bad #EXT-X-TARGETDURATION', lineNo);
        break;
      case '#EXT-X-MEDIA-SEQUENCE': {
        const seq = parseSafeInteger(value);
        if (seq === null) throw violation('bad #EXT-X-MEDIA-SEQUENCE', lineNo);
        if (!seenSegment) mediaSequence = seq;
        break;
      }
      case PLAYLIST_HASH_TAG:
        pendingSha256 = parsePlaylistHash(value); // malformed: ignored (no hash for the segment)
        break;
      case '#EXT-X-GAP':
        pendingGap = true; // the segment has no media: counted (seq, startSec), not listed
        break;
      case '#EXT-X-SKIP': {
        // delta playlist: the first SKIPPED-SEGMENTS segments after EXT-X-MEDIA-SEQUENCE are not repeated
        const skipped = parseSafeInteger(parseAttributeList(value).get('SKIPPED-SEGMENTS'));
        if (skipped === null) throw violation('bad #EXT-X-SKIP', lineNo);
        if (!seenSegment) segmentCount = skipped;
        break;
      }
      case '#EXT-X-ENDLIST':
        endList = true;
        break;
      case '#EXT-X-PLAYLIST-TYPE':
        playlistType = value.trim().toUpperCase();
        break;
      case '#EXT-X-MAP': {
        if (init !== null) break; // the first map is the rendition's init; later ones (after discontinuities) are not kept
        const attrs = parseAttributeList(value);
        const uri = attrs.get('URI');
        if (uri === undefined || uri === '') throw violation('#EXT-X-MAP without URI', lineNo);
        const byteRange = attrs.get('BYTERANGE');
        init = {
          url: resolver.resolve(uri, url),
          range: byteRange === undefined ? null : parseByteRange(byteRange.trim(), 0, lineNo),
          durationSec: 0,
          seq: -1,
          startSec: 0,
        };
        break;
      }
      case '#EXT-X-STREAM-INF': {
        isMaster = true;
        pendingStreamInf = true;
        const attrs = parseAttributeList(value);
        const rate = parseSafeInteger(attrs.get('AVERAGE-BANDWIDTH') ?? '') ?? parseSafeInteger(attrs.get('BANDWIDTH') ?? '');
        pendingBitsPerSec = rate !== null && rate > 0 ? rate : null;
        break;
      }
      case '#EXT-X-I-FRAME-STREAM-INF':
        isMaster = true; // I-frame playlists index the same media: not listed as variants
        break;
      case '#EXT-X-MEDIA': {
        isMaster = true;
        const uri = parseAttributeList(value).get('URI');
        if (uri !== undefined && uri !== '') addVariant(uri, null);
        break;
      }
      default:
        break; // EXT-X-KEY, EXT-X-DISCONTINUITY, EXT-X-VERSION, EXT-X-PROGRAM-DATE-TIME, … do not change addressing
    }
  }

  if (isMaster) {
    return { kind: 'hls-master', live: false, targetDurationSec: null, variants, variantBitsPerSec, renditions: [] };
  }
  return {
    kind: 'hls-media',
    live: !endList && playlistType !== 'VOD',
    targetDurationSec,
    variants: [],
    renditions: [{ id: url, bandwidth: null, init, segments }],
  };
}
