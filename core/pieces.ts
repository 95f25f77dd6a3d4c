/**
 * Fixed-size pieces of a file read with open byte ranges (a progressive MP4 in `<video src>`): peers share a file
 * as pieces of PIECE_BYTES, whatever ranges each player asks for. Piece i holds bytes
 * [i * PIECE_BYTES, min((i + 1) * PIECE_BYTES, size) - 1]; its key is `segmentKey(url, pieceRange(i, size))`.
 */
export const PIECE_BYTES = 1024 * 1024;

/** Index of the piece holding byte `offset`. */
export function pieceIndex(offset: number): number {
  return Math.floor(offset / PIECE_BYTES);
}

/** Inclusive byte range of piece `index` of a file of `size` bytes (size unknown: a full piece). */
export function pieceRange(index: number, size = Infinity): { start: number; end: number } {
  const start = index * PIECE_BYTES;
  return { start, end: Math.min(start + PIECE_BYTES, size) - 1 };
}
