/**
 * Fixed-size pieces of a file read with open byte ranges (a progressive MP4 in `<video src>`): peers share a file
 * as pieces of PIECE_BYTES, whatever ranges each player asks for. Piece i holds bytes
 * [i * PIECE_BYTES, min((i + 1) * PIECE_BYTES, size) - 1]; its key is `segmentKey(url, pieceRange(i, size))`.
 */
export const PIECE_BYTES = 1024 * 1024;
