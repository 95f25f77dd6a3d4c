import { PLAYLIST_HASH_TAG, parsePlaylistHash } from '../core/manifest/playlistHashTag';
import { SwarmError } from '../core/SwarmError';

/**
 * The SHA-256 (hex) of a media segment, or undefined/null when unknown (the segment then gets no tag).
 * `uri` is the segment's URI line as the playlist writes it (relative or absolute, query included); `range` its
 * inclusive EXT-X-BYTERANGE, or null for the whole file.
 */
export type PlaylistHashLookup = (uri: string, range: { start: number; end: number } | null) => string | null | undefined;

/**
 * Puts `#EXT-X-SWARMFETCH-SHA256:<hex>` before each media segment of an HLS media playlist (right before its
 * #EXTINF), with the hash `hashOf` gives: of the whole file, or for an EXT-X-BYTERANGE segment of exactly that
 * range (an offset-less BYTERANGE continues the previous range of the same URI). Tags already there are dropped
 * first, so annotating again replaces them. Segments without a hash, EXT-X-GAP segments and BYTERANGEs that cannot
 * be read get no tag; a master playlist (no #EXTINF) comes back as it is. Line endings follow the text's first
 * one. Pages read the tag (see parseHlsPlaylist); players ignore it. Throws `config-invalid` when `hashOf` returns
 * something that is not a SHA-256 hex string.
 */
export function annotatePlaylist(text: string, hashOf: PlaylistHashLookup): string {
  const eol = /\r\n|\r|\n/.exec(text)?.[0] ?? '\n';
  const out: string[] = [];
  const nextOffsetByUri = new Map<string, number>();
  let extinfAt = -1; // index in `out` of the pending segment's #EXTINF
  let byteRange: string | null = null;
  let gap = false;
  for (const line of text.split(/\r\n|\r|\n/)) {
    const t = line.trim();
    if (t === PLAYLIST_HASH_TAG || t.startsWith(`${PLAYLIST_HASH_TAG}:`)) continue;
    out.push(line);
    if (t.startsWith('#EXTINF:')) extinfAt = out.length - 1;
    else if (t.startsWith('#EXT-X-BYTERANGE:')) byteRange = t.slice('#EXT-X-BYTERANGE:'.length).trim();
    else if (t === '#EXT-X-GAP') gap = true;
    else if (t !== '' && !t.startsWith('#') && extinfAt >= 0) {
      const range = byteRange === null ? null : readByteRange(byteRange, nextOffsetByUri.get(t));
      if (range) nextOffsetByUri.set(t, range.end + 1);
      if (!gap && (byteRange === null || range)) {
        const sha256 = hashOf(t, range);
        if (sha256 !== undefined && sha256 !== null) {
          const hex = typeof sha256 === 'string' ? parsePlaylistHash(sha256) : null;
          if (hex === null) throw new SwarmError('config-invalid', 'annotatePlaylist: hashOf gave no SHA-256 hex', { uri: t.slice(0, 200) });
          out[extinfAt] = `${PLAYLIST_HASH_TAG}:${hex}${eol}${out[extinfAt]!}`;
        }
      }
      extinfAt = -1;
      byteRange = null;
      gap = false;
    }
  }
  return out.join(eol);
}

/** `n[@o]` → inclusive range; without `@o` it continues at `next`. Null when it cannot be read. */
function readByteRange(value: string, next: number | undefined): { start: number; end: number } | null {
  const m = /^(\d{1,15})(?:@(\d{1,15}))?$/.exec(value);
  if (!m) return null;
  const length = Number(m[1]);
  const start = m[2] !== undefined ? Number(m[2]) : next;
  if (start === undefined || length < 1) return null;
  return { start, end: start + length - 1 };
}
