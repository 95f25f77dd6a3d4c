/**
 * The drop-in's `data-segment-id-from` (config `segmentIdFrom`) as a segmentId hook: a segment's id is its URL's
 * path from the first occurrence of `prefix` on — scheme, host and whatever precedes it (a per-viewer token, a
 * CDN's own path) dropped. A URL whose path does not contain `prefix` keeps its default key (null).
 * `segmentIdFrom('/video/')('https://cdn7.example/t/a1b2/video/360p/seg_1.ts')` → `/video/360p/seg_1.ts`.
 */
export function segmentIdFrom(prefix: string): (url: string) => string | null {
  return (url) => {
    const path = new URL(url).pathname;
    const i = path.indexOf(prefix);
    return i < 0 ? null : path.slice(i);
  };
}
