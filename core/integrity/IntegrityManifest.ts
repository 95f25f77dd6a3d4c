/**
 * The integrity manifest, format version INTEGRITY_VERSION: what a site publishes next to its media (written by
 * `swarmfetch hash <media-dir>`) so pages can check segments that came from peers.
 *
 * ```json
 * { "swarmfetchIntegrity": 1, "algorithm": "sha256", "pieceBytes": 1048576,
 *   "files": { "180p/seg_000.ts": { "bytes": 56024, "sha256": "<64 hex>" },
 *              "big.mp4": { "bytes": 3000000, "sha256": "<64 hex>", "pieces": ["<64 hex>", "<64 hex>", "<64 hex>"] } } }
 * ```
 * Paths are relative to the manifest's own directory, '/'-separated, not percent-encoded. `pieces` (files larger
 * than one piece) hash piece i = bytes [i·pieceBytes, min((i+1)·pieceBytes, bytes) − 1].
 */
export const INTEGRITY_VERSION = 1;
/** File name looked up next to segments and in the directories above them. */
export const INTEGRITY_FILE_NAME = 'swarmfetch-integrity.json';
/** Piece size written by the CLI (the progressive-MP4 piece size). */
export const DEFAULT_PIECE_BYTES = 1024 * 1024;
export const MIN_PIECE_BYTES = 64 * 1024;
export const MAX_PIECE_BYTES = 64 * 1024 * 1024;
/** Most files one manifest may list. */
export const MAX_MANIFEST_FILES = 100_000;
/** Largest manifest text a page reads. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
export const MAX_MANIFEST_PATH_LENGTH = 1024;

export interface IntegrityFile {
  bytes: number;
  /** Lowercase hex SHA-256 of the whole file. */
  sha256: string;
  /** Lowercase hex SHA-256 of each piece, when the file is larger than one piece. */
  pieces?: readonly string[];
}

export interface IntegrityManifest {
  swarmfetchIntegrity: typeof INTEGRITY_VERSION;
  algorithm: 'sha256';
  pieceBytes: number;
  files: Readonly<Record<string, IntegrityFile>>;
}

export const isSha256Hex = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
