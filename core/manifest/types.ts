/**
 * What the manifest parsers produce: the service worker parses every HLS playlist / DASH MPD that passes by so the
 * page agent knows which segment comes next and can prefetch it from peers.
 */

/** One media (or init) segment of a rendition. */
export interface ManifestSegment {
  /** Absolute URL, resolved against the manifest URL (and BaseURL elements for DASH). */
  url: string;
  /** Inclusive byte range (EXT-X-BYTERANGE, DASH mediaRange / Initialization@range); null = the whole file. */
  range: { start: number; end: number } | null;
  durationSec: number;
  /**
   * Media sequence number (HLS) / segment number (DASH), increasing along the list.
   * Init segments (Rendition.init) carry -1.
   */
  seq: number;
  /**
   * Presentation start of the segment within the rendition (VOD: from the start of the period / playlist;
   * live: relative to the first segment listed). Init segments carry 0.
   */
  startSec: number;
  /**
   * Lowercase hex SHA-256 of the segment's bytes (its byte range, when `range` is set), from the playlist's
   * `#EXT-X-SWARMFETCH-SHA256` tag (HLS media segments only; see playlistHashTag).
   */
  sha256?: string;
}

export interface Rendition {
  /** HLS: the playlist URL. DASH: Representation@id (its position when absent). */
  id: string;
  bandwidth: number | null;
  init: ManifestSegment | null;
  segments: ManifestSegment[];
}

export interface ParsedManifest {
  kind: 'hls-master' | 'hls-media' | 'dash';
  /** HLS media: no EXT-X-ENDLIST and not PLAYLIST-TYPE VOD; HLS master: false; DASH: MPD@type="dynamic". */
  live: boolean;
  /** HLS: EXT-X-TARGETDURATION; DASH: MPD@maxSegmentDuration; null when absent. */
  targetDurationSec: number | null;
  /** hls-master: absolute URLs of media playlists (EXT-X-STREAM-INF and EXT-X-MEDIA URI), de-duplicated; else []. */
  variants: string[];
  /**
   * hls-master: each variant's rate in bits/s, by position in `variants` (its EXT-X-STREAM-INF's AVERAGE-BANDWIDTH,
   * else BANDWIDTH); null for an EXT-X-MEDIA rendition or a missing or malformed value. Absent for other kinds.
   */
  variantBitsPerSec?: Array<number | null>;
  /** hls-media: exactly one; dash: one per Representation; hls-master: []. */
  renditions: Rendition[];
}

/** Bounds on what a parser reads and produces. Lists are truncated to them; text over maxTextBytes is refused. */
export const MANIFEST_LIMITS = Object.freeze({
  /** UTF-8 size of a manifest; over it → SwarmError 'size-exceeded'. */
  maxTextBytes: 4 * 1024 * 1024,
  /** Segments kept per rendition (VOD: the first ones; live: the latest ones). */
  maxSegmentsPerRendition: 20_000,
  /** Renditions kept (DASH Representations, in document order). */
  maxRenditions: 64,
  /** Variant playlist URLs kept (HLS master, in document order). */
  maxVariants: 64,
  /**
   * Total characters of all URLs one manifest may produce (templates multiply a short text into many URLs);
   * over it → SwarmError 'size-exceeded'.
   */
  maxTotalUrlChars: 32 * 1024 * 1024,
  /** XML elements in an MPD; over it → SwarmError 'size-exceeded'. */
  maxXmlElements: 200_000,
});
