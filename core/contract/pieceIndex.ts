import { PIECE_BYTES } from './PIECE_BYTES';

/** Index of the piece holding byte `offset` (see PIECE_BYTES). */
export function pieceIndex(offset: number): number {
  return Math.floor(offset / PIECE_BYTES);
}
