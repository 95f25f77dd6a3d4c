import { SwarmError } from '../SwarmError';
import {
  INTEGRITY_VERSION,
  MAX_MANIFEST_BYTES,
  MAX_MANIFEST_FILES,
  MAX_MANIFEST_PATH_LENGTH,
  MAX_PIECE_BYTES,
  MIN_PIECE_BYTES,
  isSha256Hex,
  type IntegrityFile,
  type IntegrityManifest,
} from './IntegrityManifest';

function invalid(message: string, details: Record<string, string | number> = {}): never {
  throw new SwarmError('integrity-manifest-invalid', message, details);
}

/** Whether a manifest path is a plain relative path inside the manifest's directory. */
export function isManifestPath(path: string): boolean {
  if (path.length === 0 || path.length > MAX_MANIFEST_PATH_LENGTH || path.startsWith('/') || path.includes('\\')) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * Parses and validates an integrity manifest (JSON text or an already parsed value). Throws
 * `integrity-manifest-invalid` on anything but a well-formed version-1 manifest within the bounds; never returns
 * a partly valid one.
 */
export function parseIntegrityManifest(input: string | unknown): IntegrityManifest {
  let m: unknown = input;
  if (typeof input === 'string') {
    if (input.length > MAX_MANIFEST_BYTES) invalid('manifest too large', { length: input.length });
    try {
      m = JSON.parse(input);
    } catch {
      invalid('manifest is not JSON');
    }
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) invalid('manifest is not an object');
  const o = m as Record<string, unknown>;
  if (o.swarmfetchIntegrity !== INTEGRITY_VERSION) invalid('unknown manifest version', { v: String(o.swarmfetchIntegrity).slice(0, 20) });
  if (o.algorithm !== 'sha256') invalid('unknown algorithm', { algorithm: String(o.algorithm).slice(0, 20) });
  const pieceBytes = o.pieceBytes;
  if (!Number.isSafeInteger(pieceBytes) || (pieceBytes as number) < MIN_PIECE_BYTES || (pieceBytes as number) > MAX_PIECE_BYTES) {
    invalid('pieceBytes out of range', { pieceBytes: String(pieceBytes).slice(0, 20) });
  }
  const p = pieceBytes as number;
  if (typeof o.files !== 'object' || o.files === null || Array.isArray(o.files)) invalid('files is not an object');
  const entries = Object.entries(o.files as Record<string, unknown>);
  if (entries.length > MAX_MANIFEST_FILES) invalid('too many files', { files: entries.length });
  const files: Record<string, IntegrityFile> = Object.create(null);
  for (const [path, value] of entries) {
    if (!isManifestPath(path)) invalid('bad path', { path: path.slice(0, 100) });
    files[path] = checkFile(path, value, p);
  }
  return Object.freeze({ swarmfetchIntegrity: INTEGRITY_VERSION, algorithm: 'sha256', pieceBytes: p, files: Object.freeze(files) });
}

function checkFile(path: string, value: unknown, pieceBytes: number): IntegrityFile {
  const at = { path: path.slice(0, 100) };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('file entry is not an object', at);
  const f = value as Record<string, unknown>;
  if (!Number.isSafeInteger(f.bytes) || (f.bytes as number) < 0) invalid('bad bytes', at);
  if (!isSha256Hex(f.sha256)) invalid('bad sha256', at);
  const bytes = f.bytes as number;
  if (f.pieces === undefined) return Object.freeze({ bytes, sha256: f.sha256 });
  const want = Math.ceil(bytes / pieceBytes);
  if (!Array.isArray(f.pieces) || f.pieces.length !== want || !f.pieces.every(isSha256Hex)) {
    invalid('pieces must hold one sha256 per piece', { ...at, want });
  }
  return Object.freeze({ bytes, sha256: f.sha256, pieces: Object.freeze([...(f.pieces as string[])]) });
}
