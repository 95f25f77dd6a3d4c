import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import type { IntegrityManifest } from '../core/integrity/IntegrityManifest';
import { annotatePlaylist } from './annotatePlaylist';

/** Largest byte range hashed for a tag (the page's default segmentMaxBytes). */
const MAX_RANGE_BYTES = 32 * 1024 * 1024;

/**
 * Writes `#EXT-X-SWARMFETCH-SHA256` tags into every HLS media playlist (`*.m3u8` with #EXTINF) under `dir`, in
 * place, from `manifest` (hashMediaDir's, for the same `dir`): whole files from its entries, EXT-X-BYTERANGE
 * segments by hashing that range of the file. Only relative segment URIs that stay inside `dir` and name a file
 * the manifest lists are tagged. Returns the playlists it changed.
 */
export async function annotateMediaPlaylists(dir: string, manifest: IntegrityManifest): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const playlists = entries
    .filter((e) => e.isFile() && /\.m3u8$/i.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  const written: string[] = [];
  for (const file of playlists) {
    const text = await readFile(file, 'utf8');
    if (!text.includes('#EXTINF')) continue; // a master playlist
    const base = posix.dirname(relative(dir, file).split(sep).join('/'));
    const annotated = annotatePlaylist(text, (uri, range) => {
      const path = mediaPath(base, uri);
      const entry = path === null ? undefined : manifest.files[path];
      if (!path || !entry) return undefined;
      if (!range || (range.start === 0 && range.end === entry.bytes - 1)) return entry.sha256;
      if (range.end >= entry.bytes || range.end - range.start + 1 > MAX_RANGE_BYTES) return undefined;
      return hashRange(join(dir, ...path.split('/')), range);
    });
    if (annotated !== text) {
      await writeFile(file, annotated);
      written.push(file);
    }
  }
  return written;
}

/** The manifest path (relative to the media dir) of a relative segment URI in a playlist under `base`, or null. */
function mediaPath(base: string, uri: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/')) return null;
  let path: string;
  try {
    path = decodeURIComponent(uri.split(/[?#]/, 1)[0]!);
  } catch {
    return null;
  }
  const joined = posix.normalize(posix.join(base, path));
  return joined.startsWith('../') || joined === '..' || joined.startsWith('/') ? null : joined;
}

function hashRange(file: string, range: { start: number; end: number }): string {
  const bytes = Buffer.alloc(range.end - range.start + 1);
  const fd = openSync(file, 'r');
  try {
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, range.start + got);
      if (n === 0) throw new Error(`${file}: shorter than its byte range ${range.start}-${range.end}`);
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  return createHash('sha256').update(bytes).digest('hex');
}
