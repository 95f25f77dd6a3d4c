import type { ManifestSegment } from './types';
import type { UrlResolver } from './UrlResolver';
import type { XmlElement } from './parseXml';

/** What a DASH segment-addressing expander knows about the Representation it expands. */
export interface DashContext {
  live: boolean;
  /** Absolute BaseURL of the Representation (MPD → Period → AdaptationSet → Representation). */
  baseUrl: string;
  representationId: string;
  bandwidth: number | null;
  periodDurationSec: number | null;
  /** Live: seconds from the Period start to now (null when availabilityStartTime is unknown). Static: null. */
  elapsedSec: number | null;
  timeShiftBufferDepthSec: number | null;
  resolver: UrlResolver;
}

/** The segment addressing of a Representation, merged over Period / AdaptationSet / Representation levels. */
export interface DashSegmentInfo {
  kind: 'template' | 'list' | 'base' | 'none';
  /** Attributes of the addressing element, the more specific level winning. */
  attrs: ReadonlyMap<string, string>;
  timeline: XmlElement | null;
  initialization: XmlElement | null;
  segmentUrls: XmlElement[];
}

export interface DashSegments {
  init: ManifestSegment | null;
  segments: ManifestSegment[];
}
