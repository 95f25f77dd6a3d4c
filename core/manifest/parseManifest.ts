import { parseDashMpd } from './parseDashMpd';
import { parseHlsPlaylist } from './parseHlsPlaylist';
import type { ParsedManifest } from './types';

const HLS_TYPES = new Set([
  'application/vnd.apple.mpegurl',
  'application/x-mpegurl',
  'application/mpegurl',
  'audio/mpegurl',
  'audio/x-mpegurl',
]);
const DASH_TYPES = new Set(['application/dash+xml']);
const SNIFF_CHARS = 4096;

/** 'hls' / 'dash' from the first characters of the body, or null. */
function sniff(text: string): 'hls' | 'dash' | null {
  const head = text
    .slice(0, SNIFF_CHARS)
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (head.startsWith('#EXTM3U')) return 'hls';
  if (head.startsWith('<') && /<(?:[A-Za-z_][\w.-]{0,40}:)?MPD[\s>/]/.test(head)) return 'dash';
  return null;
}

function fromContentType(contentType: string | null | undefined): 'hls' | 'dash' | null {
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  return HLS_TYPES.has(type) ? 'hls' : DASH_TYPES.has(type) ? 'dash' : null;
}

function fromUrl(url: string): 'hls' | 'dash' | null {
  const path = url.split(/[?#]/, 1)[0]!.toLowerCase();
  return path.endsWith('.m3u8') || path.endsWith('.m3u') ? 'hls' : path.endsWith('.mpd') ? 'dash' : null;
}

/**
 * Parses a manifest the service worker saw pass by. The format comes from the body (#EXTM3U / an <MPD> root),
 * else the content type, else the URL's extension; null when none of them says HLS or DASH. When one does, the
 * parser's SwarmError ('protocol-violation', 'size-exceeded') propagates — e.g. an HTML error page served at a
 * .m3u8 URL throws 'protocol-violation'.
 */
export function parseManifest(
  text: string,
  url: string,
  contentType?: string | null,
  nowMs?: number,
): ParsedManifest | null {
  const kind = sniff(text) ?? fromContentType(contentType) ?? fromUrl(url);
  if (kind === 'hls') return parseHlsPlaylist(text, url);
  if (kind === 'dash') return parseDashMpd(text, url, nowMs);
  return null;
}
