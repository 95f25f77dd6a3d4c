/**
 * The directory of a URL, a URL path or a segment key: everything up to and including the last `/` before any
 * query or fragment (`https://cdn/vod/360p/seg_1.ts?t=1#0-99` → `https://cdn/vod/360p/`; `''` without a `/`).
 * The one place a directory is computed: swarms, hash manifests and playlist hashes are all per directory.
 */
export function urlDirectory(url: string): string {
  const end = url.search(/[?#]/);
  const path = end < 0 ? url : url.slice(0, end);
  return path.slice(0, path.lastIndexOf('/') + 1);
}
