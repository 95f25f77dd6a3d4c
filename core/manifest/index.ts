/** Manifest parsing for the service worker: which segments an HLS playlist or DASH MPD lists, in order. */
export { parseManifest } from './parseManifest';
export { parseHlsPlaylist } from './parseHlsPlaylist';
export { parseDashMpd } from './parseDashMpd';
export { MANIFEST_LIMITS, type ManifestSegment, type ParsedManifest, type Rendition } from './types';
