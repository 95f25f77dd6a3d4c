import { PIECE_BYTES } from './PIECE_BYTES';

/** Inclusive byte range of piece `index` of a file of `size` bytes (size unknown: a full piece). */
export function pieceRange(index: number, size = Infinity): { start: number; end: number } {
  const start = index * PIECE_BYTES;
  return { start, end: Math.min(start + PIECE_BYTES, size) - 1 };
}
