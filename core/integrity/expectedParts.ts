import type { IntegrityFile } from './IntegrityManifest';

/** One stretch of a segment body and the SHA-256 it must have. `start`/`end` are offsets in the body (end exclusive). */
export interface HashedPart {
  start: number;
  end: number;
  sha256: string;
}

/**
 * What a body must hash to, for a whole file (`range` null) or a byte range [start, end] (inclusive) of it, from a
 * manifest entry. A range is checkable when it is the whole file, or starts and ends on piece boundaries (the last
 * piece may be short) and the entry has piece hashes. Null when it cannot be checked from this entry.
 */
export function expectedParts(file: IntegrityFile, pieceBytes: number, range: { start: number; end: number } | null): HashedPart[] | null {
  if (!range || (range.start === 0 && range.end === file.bytes - 1)) {
    return [{ start: 0, end: file.bytes, sha256: file.sha256 }];
  }
  const { start, end } = range;
  if (!file.pieces || start < 0 || end < start || end >= file.bytes || start % pieceBytes !== 0) return null;
  if ((end + 1) % pieceBytes !== 0 && end !== file.bytes - 1) return null;
  const parts: HashedPart[] = [];
  for (let i = start / pieceBytes; i * pieceBytes <= end; i++) {
    const from = i * pieceBytes;
    const to = Math.min(from + pieceBytes, file.bytes);
    parts.push({ start: from - start, end: to - start, sha256: file.pieces[i]! });
  }
  return parts;
}
