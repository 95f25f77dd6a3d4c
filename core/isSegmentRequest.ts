import { parseHttpUrl } from './parseHttpUrl';

const MANIFEST = /\.(m3u8|mpd)$/i;

export interface RequestLike {
  method: string;
  url: string;
}

/** Compiles a segment pattern once (case-insensitive). */
export function compileSegmentPattern(source: string): RegExp {
  return new RegExp(source, 'i');
}

/**
 * Whether the service worker should handle a request as a media segment: a GET over http(s) whose path
 * matches the pattern and is not a manifest.
 */
export function isSegmentRequest(request: RequestLike, pattern: RegExp): boolean {
  if (request.method !== 'GET') return false;
  const u = parseHttpUrl(request.url);
  return !!u && !MANIFEST.test(u.pathname) && pattern.test(u.pathname);
}

/** Whether a request is for an HLS playlist or DASH manifest (GET over http(s)). */
export function isManifestRequest(request: RequestLike): boolean {
  if (request.method !== 'GET') return false;
  const u = parseHttpUrl(request.url);
  return !!u && MANIFEST.test(u.pathname);
}
