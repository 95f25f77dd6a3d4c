import type { ByteRange, SuffixRange } from '../parseRangeHeader';
import { parseHttpUrl } from '../parseHttpUrl';
import { MAX_KEY_LENGTH } from './MAX_KEY_LENGTH';

/**
 * The key a segment is stored and shared under: absolute URL without query or fragment
 * (tokens and cache busters differ per viewer), plus the byte range when only part of the file was asked for
 * (`#start-end`, `#start-` or `#-suffix`; only closed ranges are ever stored). parseKeyRange reads it back.
 * Returns null for URLs that cannot be shared.
 */
export function segmentKey(url: string, range?: ByteRange | SuffixRange | null): string | null {
  const u = parseHttpUrl(url);
  if (!u) return null;
  let key = u.origin + u.pathname;
  if (range) key += 'suffix' in range ? `#-${range.suffix}` : `#${range.start}-${range.end ?? ''}`;
  return key.length <= MAX_KEY_LENGTH ? key : null;
}
