import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { DEFAULT_SEGMENT_PATTERN } from '../core/contract';
import {
  DEFAULT_PIECE_BYTES,
  INTEGRITY_FILE_NAME,
  INTEGRITY_VERSION,
  MAX_MANIFEST_FILES,
  type IntegrityFile,
  type IntegrityManifest,
} from '../core/integrity/IntegrityManifest';
import { isManifestPath, parseIntegrityManifest } from '../core/integrity/parseIntegrityManifest';
import { SwarmError } from '../core/SwarmError';

export interface HashMediaDirOptions {
  /** Regular expression (source, case-insensitive) of media file names. @default the segment pattern */
  pattern?: string | undefined;
  /** Piece size for files larger than one piece. @default 1 MiB */
  pieceBytes?: number;
  /**
   * Where to write the manifest; null = do not write. @default `<dir>/swarmfetch-integrity.json`, plus one
   * `swarmfetch-integrity.json` in every subdirectory holding media files, covering that directory's files (the
   * page looks next to a segment when it has not seen the stream's top playlist).
   */
  out?: string | null | undefined;
}

/**
 * Hashes every media file under `dir` (recursively, symlinks not followed) into an integrity manifest: whole-file
 * SHA-256, and per-piece SHA-256 for files larger than one piece. Writes it (sorted, one file per line) and returns it.
 * Throws `config-invalid` (writing nothing) when no file name matches the pattern, and readdir's error (ENOENT…)
 * for a directory it cannot read.
 */
export async function hashMediaDir(
  dir: string,
  options: HashMediaDirOptions = {},
): Promise<{ manifest: IntegrityManifest; path: string | null; subdirPaths: string[] }> {
  const pattern = new RegExp(options.pattern ?? DEFAULT_SEGMENT_PATTERN, 'i');
  const pieceBytes = options.pieceBytes ?? DEFAULT_PIECE_BYTES;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const names = entries
    .filter((e) => e.isFile() && pattern.test(e.name))
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter(isManifestPath)
    .sort();
  if (names.length === 0) {
    // a manifest of nothing checks nothing: say so rather than write one
    throw new SwarmError('config-invalid', `no media files under ${dir} match the pattern /${pattern.source}/i`, {
      dir, pattern: pattern.source, hint: 'point it at the directory holding the segments, or give a pattern matching their names (--pattern REGEX)',
    });
  }
  if (names.length > MAX_MANIFEST_FILES) throw new SwarmError('size-exceeded', 'too many media files', { files: names.length });
  const files: Record<string, IntegrityFile> = {};
  for (const name of names) files[name] = await hashFile(join(dir, ...name.split('/')), pieceBytes);
  // validated like a page would read it: what we write is always readable
  const manifest = parseIntegrityManifest({ swarmfetchIntegrity: INTEGRITY_VERSION, algorithm: 'sha256', pieceBytes, files });
  const path = options.out === null ? null : (options.out ?? join(dir, INTEGRITY_FILE_NAME));
  if (path) await writeFile(path, formatManifest(manifest));
  const subdirPaths: string[] = [];
  if (options.out === undefined) {
    const bySubdir = new Map<string, Record<string, IntegrityFile>>();
    for (const [name, f] of Object.entries(manifest.files)) {
      const slash = name.lastIndexOf('/');
      if (slash < 0) continue;
      const sub = name.slice(0, slash);
      const own = bySubdir.get(sub) ?? {};
      own[name.slice(slash + 1)] = f;
      bySubdir.set(sub, own);
    }
    for (const [sub, subFiles] of bySubdir) {
      const subPath = join(dir, ...sub.split('/'), INTEGRITY_FILE_NAME);
      await writeFile(subPath, formatManifest({ ...manifest, files: subFiles }));
      subdirPaths.push(subPath);
    }
  }
  return { manifest, path, subdirPaths };
}

/** JSON with one file entry per line (diffs stay readable). */
function formatManifest(m: IntegrityManifest): string {
  const lines = Object.entries(m.files).map(([path, f]) => `    ${JSON.stringify(path)}: ${JSON.stringify(f)}`);
  return (
    `{\n  "swarmfetchIntegrity": ${m.swarmfetchIntegrity},\n  "algorithm": "${m.algorithm}",\n  "pieceBytes": ${m.pieceBytes},\n` +
    `  "files": {\n${lines.join(',\n')}\n  }\n}\n`
  );
}

async function hashFile(file: string, pieceBytes: number): Promise<IntegrityFile> {
  const whole = createHash('sha256');
  const pieces: string[] = [];
  let piece: Hash = createHash('sha256');
  let inPiece = 0;
  let bytes = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    whole.update(chunk);
    bytes += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(pieceBytes - inPiece, chunk.length - at);
      piece.update(chunk.subarray(at, at + take));
      inPiece += take;
      at += take;
      if (inPiece === pieceBytes) {
        pieces.push(piece.digest('hex'));
        piece = createHash('sha256');
        inPiece = 0;
      }
    }
  }
  if (inPiece > 0) pieces.push(piece.digest('hex'));
  const sha256 = whole.digest('hex');
  return bytes > pieceBytes ? { bytes, sha256, pieces } : { bytes, sha256 };
}
