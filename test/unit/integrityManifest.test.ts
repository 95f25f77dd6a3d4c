import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectedParts, parseIntegrityManifest } from '../../core/integrity';
import { parseKeyRange } from '../../core/contract';
import { thrownCode } from './helpers/thrownCode';

const H = (c: string) => c.repeat(64);
const valid = () => ({
  swarmfetchIntegrity: 1,
  algorithm: 'sha256',
  pieceBytes: 65536,
  files: {
    'a/seg_000.ts': { bytes: 10, sha256: H('a') },
    'big.mp4': { bytes: 150_000, sha256: H('b'), pieces: [H('1'), H('2'), H('3')] },
  },
});

describe('parseIntegrityManifest', () => {
  it('accepts a valid manifest, from text or a value', () => {
    const m = parseIntegrityManifest(JSON.stringify(valid()));
    expect(m.pieceBytes).toBe(65536);
    expect(m.files['a/seg_000.ts']).toEqual({ bytes: 10, sha256: H('a') });
    expect(m.files['big.mp4']?.pieces).toHaveLength(3);
    expect(parseIntegrityManifest(valid()).files['big.mp4']?.sha256).toBe(H('b'));
    // no inherited keys answer lookups
    expect(m.files['constructor']).toBeUndefined();
  });

  const bad: Array<[string, unknown]> = [
    ['not JSON', '{"swarmfetchIntegrity":1,'],
    ['an array', '[]'],
    ['null', 'null'],
    ['another version', { ...valid(), swarmfetchIntegrity: 2 }],
    ['no version', { ...valid(), swarmfetchIntegrity: undefined }],
    ['another algorithm', { ...valid(), algorithm: 'md5' }],
    ['piece size too small', { ...valid(), pieceBytes: 1024 }],
    ['piece size not an integer', { ...valid(), pieceBytes: 65536.5 }],
    ['files an array', { ...valid(), files: [] }],
    ['a path going up', { ...valid(), files: { '../etc/passwd': { bytes: 1, sha256: H('a') } } }],
    ['an absolute path', { ...valid(), files: { '/a.ts': { bytes: 1, sha256: H('a') } } }],
    ['an empty path part', { ...valid(), files: { 'a//b.ts': { bytes: 1, sha256: H('a') } } }],
    ['a backslash path', { ...valid(), files: { 'a\\b.ts': { bytes: 1, sha256: H('a') } } }],
    ['uppercase hex', { ...valid(), files: { 'a.ts': { bytes: 1, sha256: H('A') } } }],
    ['short hex', { ...valid(), files: { 'a.ts': { bytes: 1, sha256: 'abc' } } }],
    ['negative bytes', { ...valid(), files: { 'a.ts': { bytes: -1, sha256: H('a') } } }],
    ['bytes as a string', { ...valid(), files: { 'a.ts': { bytes: '1', sha256: H('a') } } }],
    ['too few pieces', { ...valid(), files: { 'a.mp4': { bytes: 150_000, sha256: H('a'), pieces: [H('1')] } } }],
    ['a bad piece hash', { ...valid(), files: { 'a.mp4': { bytes: 70_000, sha256: H('a'), pieces: [H('1'), 'x'] } } }],
    ['an entry that is not an object', { ...valid(), files: { 'a.ts': 'x' } }],
  ];
  it.each(bad)('refuses %s with integrity-manifest-invalid', (_name, input) => {
    expect(thrownCode(() => parseIntegrityManifest(input))).toBe('integrity-manifest-invalid');
  });

  it('refuses text above the size cap without parsing it', () => {
    expect(thrownCode(() => parseIntegrityManifest(' '.repeat(16 * 1024 * 1024 + 1)))).toBe('integrity-manifest-invalid');
  });
});

describe('expectedParts', () => {
  const P = 65536;
  const body = new Uint8Array(150_000).map((_, i) => i % 251);
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const file = {
    bytes: body.length,
    sha256: sha(body),
    pieces: [sha(body.subarray(0, P)), sha(body.subarray(P, 2 * P)), sha(body.subarray(2 * P))],
  };

  it('checks a whole file, or a range covering it, against the file hash', () => {
    expect(expectedParts(file, P, null)).toEqual([{ start: 0, end: body.length, sha256: file.sha256 }]);
    expect(expectedParts(file, P, { start: 0, end: body.length - 1 })).toEqual([{ start: 0, end: body.length, sha256: file.sha256 }]);
  });

  it('checks piece-aligned ranges piece by piece, the last piece short', () => {
    expect(expectedParts(file, P, { start: P, end: 2 * P - 1 })).toEqual([{ start: 0, end: P, sha256: file.pieces[1] }]);
    expect(expectedParts(file, P, { start: P, end: body.length - 1 })).toEqual([
      { start: 0, end: P, sha256: file.pieces[1] },
      { start: P, end: body.length - P, sha256: file.pieces[2] },
    ]);
  });

  it('cannot check unaligned ranges, ranges past the end, or ranges of a file without piece hashes', () => {
    expect(expectedParts(file, P, { start: 1, end: P })).toBeNull();
    expect(expectedParts(file, P, { start: 0, end: P })).toBeNull();
    expect(expectedParts(file, P, { start: P, end: body.length })).toBeNull();
    expect(expectedParts({ bytes: file.bytes, sha256: file.sha256 }, P, { start: 0, end: P - 1 })).toBeNull();
  });
});

describe('parseKeyRange', () => {
  it('splits keys into URL and closed range; open and malformed ranges cannot be checked', () => {
    expect(parseKeyRange('http://a/s.ts')).toEqual({ url: 'http://a/s.ts', range: null });
    expect(parseKeyRange('http://a/s.mp4#0-1048575')).toEqual({ url: 'http://a/s.mp4', range: { start: 0, end: 1048575 } });
    expect(parseKeyRange('http://a/s.mp4#100-')).toEqual({ url: 'http://a/s.mp4', range: 'open' });
    expect(parseKeyRange('http://a/s.mp4#-500')).toEqual({ url: 'http://a/s.mp4', range: 'open' });
    expect(parseKeyRange('http://a/s.mp4#9-3')).toEqual({ url: 'http://a/s.mp4', range: 'open' });
  });
});
