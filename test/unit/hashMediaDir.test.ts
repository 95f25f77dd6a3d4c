import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseIntegrityManifest } from '../../core/integrity';
import { main } from '../../server/cli';
import { annotateMediaPlaylists } from '../../server/annotateMediaPlaylists';
import { hashMediaDir } from '../../server/hashMediaDir';
import { parseCliArgs } from '../../server/parseCliArgs';
import { thrownCode } from './helpers/thrownCode';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let dir: string;
const big = new Uint8Array(2_500_000).map((_, i) => (i * 7) & 0xff);
const small = new Uint8Array([1, 2, 3]);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmfetch-hash-'));
  await mkdir(join(dir, '180p'));
  await writeFile(join(dir, '180p', 'seg_000.ts'), small);
  await writeFile(join(dir, '180p', 'index.m3u8'), '#EXTM3U\n');
  await writeFile(join(dir, 'movie.mp4'), big);
  await writeFile(join(dir, 'notes.txt'), 'x');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('swarmfetch hash <media-dir>', () => {
  it('writes a manifest of every media file, with piece hashes for files larger than one piece', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await main(['hash', dir]);
    } finally {
      log.mockRestore();
    }
    const m = parseIntegrityManifest(await readFile(join(dir, 'swarmfetch-integrity.json'), 'utf8'));
    expect(Object.keys(m.files).sort()).toEqual(['180p/seg_000.ts', 'movie.mp4']);
    expect(m.pieceBytes).toBe(1048576);
    expect(m.files['180p/seg_000.ts']).toEqual({ bytes: 3, sha256: sha(small) });
    const movie = m.files['movie.mp4']!;
    expect(movie.bytes).toBe(big.length);
    expect(movie.sha256).toBe(sha(big));
    expect(movie.pieces).toEqual([
      sha(big.subarray(0, 1048576)),
      sha(big.subarray(1048576, 2 * 1048576)),
      sha(big.subarray(2 * 1048576)),
    ]);
    // and one next to the segments of each subdirectory, with paths relative to it
    const sub = parseIntegrityManifest(await readFile(join(dir, '180p', 'swarmfetch-integrity.json'), 'utf8'));
    expect(sub.files).toEqual({ 'seg_000.ts': { bytes: 3, sha256: sha(small) } });
  });

  it('with --playlists, writes each segment\'s hash into the media playlists in place (whole files and byte ranges)', async () => {
    await writeFile(join(dir, 'master.m3u8'), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n180p/index.m3u8\n');
    await writeFile(join(dir, '180p', 'index.m3u8'), '#EXTM3U\n#EXTINF:2,\nseg_000.ts?v=1\n#EXTINF:2,\nmissing.ts\n#EXTINF:2,\n../../outside.ts\n');
    await writeFile(join(dir, 'movie.m3u8'), '#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:1000@5\nmovie.mp4\n#EXTINF:2,\n#EXT-X-BYTERANGE:2000\nmovie.mp4\n');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await main(['hash', dir, '--playlists']);
    } finally {
      log.mockRestore();
    }
    expect(await readFile(join(dir, 'master.m3u8'), 'utf8')).toBe('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n180p/index.m3u8\n');
    expect(await readFile(join(dir, '180p', 'index.m3u8'), 'utf8')).toBe(
      `#EXTM3U\n#EXT-X-SWARMFETCH-SHA256:${sha(small)}\n#EXTINF:2,\nseg_000.ts?v=1\n#EXTINF:2,\nmissing.ts\n#EXTINF:2,\n../../outside.ts\n`,
    );
    expect(await readFile(join(dir, 'movie.m3u8'), 'utf8')).toBe(
      `#EXTM3U\n#EXT-X-SWARMFETCH-SHA256:${sha(big.subarray(5, 1005))}\n#EXTINF:2,\n#EXT-X-BYTERANGE:1000@5\nmovie.mp4\n` +
        `#EXT-X-SWARMFETCH-SHA256:${sha(big.subarray(1005, 3005))}\n#EXTINF:2,\n#EXT-X-BYTERANGE:2000\nmovie.mp4\n`,
    );
    // again: nothing changes (the tags are replaced by the same ones)
    const before = await readFile(join(dir, 'movie.m3u8'), 'utf8');
    const m = parseIntegrityManifest(await readFile(join(dir, 'swarmfetch-integrity.json'), 'utf8'));
    expect(await annotateMediaPlaylists(dir, m)).toEqual([]);
    expect(await readFile(join(dir, 'movie.m3u8'), 'utf8')).toBe(before);
  });

  it('takes another pattern and output path, and writes nothing with out: null', async () => {
    const out = join(dir, 'elsewhere.json');
    const { manifest, path } = await hashMediaDir(dir, { pattern: '\\.txt$', out });
    expect(path).toBe(out);
    expect(Object.keys(manifest.files)).toEqual(['notes.txt']);
    expect(parseIntegrityManifest(await readFile(out, 'utf8')).files['notes.txt']?.bytes).toBe(1);
    const none = await hashMediaDir(dir, { out: null });
    expect(none.path).toBeNull();
  });

  it('parses the hash command and refuses bad arguments', () => {
    expect(parseCliArgs(['hash', 'media'])).toEqual({ command: 'hash', dir: 'media', out: null, pattern: null, playlists: false });
    expect(parseCliArgs(['hash', 'media', '--out', 'x.json', '--pattern', '\\.ts$', '--playlists'])).toEqual({
      command: 'hash', dir: 'media', out: 'x.json', pattern: '\\.ts$', playlists: true,
    });
    for (const argv of [['hash'], ['hash', 'a', 'b'], ['hash', 'a', '--out'], ['hash', 'a', '--nope'], ['hash', 'a', '--pattern', '(']]) {
      expect(thrownCode(() => parseCliArgs(argv))).toBe('config-invalid');
    }
  });

  it('parses the oracle options of the server command', () => {
    expect(parseCliArgs(['server', '--hash-origin', 'https://cdn.example,https://b.example', '--hash-max-bytes=1000000', '--hash-timeout-ms', '2000'])).toEqual({
      command: 'server',
      options: { hashOrigins: ['https://cdn.example', 'https://b.example'], hashMaxBytes: 1000000, hashTimeoutMs: 2000 },
    });
  });
});
