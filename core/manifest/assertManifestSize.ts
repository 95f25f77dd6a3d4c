import { SwarmError } from '../SwarmError';
import { MANIFEST_LIMITS } from './types';

/** Throws SwarmError 'size-exceeded' when the UTF-8 size of `text` is over MANIFEST_LIMITS.maxTextBytes. */
export function assertManifestSize(text: string): void {
  const max = MANIFEST_LIMITS.maxTextBytes;
  if (text.length * 3 <= max) return; // a UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair is 4 for 2)
  let bytes = text.length > max ? max + 1 : 0;
  for (let i = 0; i < text.length && bytes <= max; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  if (bytes > max) throw new SwarmError('size-exceeded', 'manifest too large', { maxBytes: max, chars: text.length });
}
