/**
 * The HLS media playlist tag that carries a segment's SHA-256: `#EXT-X-SWARMFETCH-SHA256:<64 lowercase hex>`.
 * Like EXT-X-BYTERANGE it applies to the next media segment URI: the hash of the whole file, or with
 * EXT-X-BYTERANGE of exactly that byte range. Players ignore it (HLS clients must ignore unknown tags).
 */
export const PLAYLIST_HASH_TAG = '#EXT-X-SWARMFETCH-SHA256';

/** The tag's value as a lowercase hex SHA-256, or null when it is not one (then the tag is ignored). */
export function parsePlaylistHash(value: string): string | null {
  const v = value.length <= 80 ? value.trim() : '';
  return /^[0-9a-fA-F]{64}$/.test(v) ? v.toLowerCase() : null;
}
