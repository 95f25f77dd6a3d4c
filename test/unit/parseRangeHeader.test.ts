import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRangeHeader, resolveRange, type ByteRange, type SuffixRange } from '../../core/parseRangeHeader';

describe('parseRangeHeader', () => {
  it('parses a closed range', () => {
    expect(parseRangeHeader('bytes=0-99')).toEqual({ start: 0, end: 99 });
    expect(parseRangeHeader('bytes=0-0')).toEqual({ start: 0, end: 0 });
    expect(parseRangeHeader('bytes=500-999')).toEqual({ start: 500, end: 999 });
  });

  it('parses an open range (what <video> sends: bytes=0-)', () => {
    expect(parseRangeHeader('bytes=0-')).toEqual({ start: 0 });
    expect(parseRangeHeader('bytes=1000-')).toEqual({ start: 1000 });
  });

  it('parses a suffix range', () => {
    expect(parseRangeHeader('bytes=-500')).toEqual({ suffix: 500 });
  });

  it('accepts any case of the unit and spaces around the numbers', () => {
    expect(parseRangeHeader('Bytes=1-2')).toEqual({ start: 1, end: 2 });
    expect(parseRangeHeader('BYTES= 1 - 2 ')).toEqual({ start: 1, end: 2 });
    expect(parseRangeHeader('  bytes=7-  ')).toEqual({ start: 7 });
  });

  it('returns null for absent, malformed or multi-range headers', () => {
    for (const header of [
      null,
      undefined,
      '',
      'bytes=',
      'bytes=-',
      'bytes=5-4', // end before start
      'bytes=-0', // empty suffix
      'bytes=0-1,5-6',
      'bytes=0-1, 5-6',
      'items=0-1',
      'bytes 0-1',
      'bytes=a-b',
      'bytes=1.5-2',
      'bytes=-1-2',
      'bytes=0x10-',
      'bytes=1e3-',
      'bytes=1234567890123456-', // more digits than a safe integer is sure to hold
      'bytes=0-' + '1'.repeat(16),
      'bytes=0-99' + ' '.repeat(100), // longer than any sane header
    ]) {
      expect(parseRangeHeader(header), String(header)).toBeNull();
    }
  });

  it('parses every well-formed single range exactly', () => {
    const num = fc.integer({ min: 0, max: 999_999_999_999_999 });
    fc.assert(
      fc.property(num, num, (a, b) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        expect(parseRangeHeader(`bytes=${start}-${end}`)).toEqual({ start, end });
        expect(parseRangeHeader(`bytes=${start}-`)).toEqual({ start });
        expect(parseRangeHeader(`bytes=-${end}`)).toEqual(end > 0 ? { suffix: end } : null);
      }),
    );
  });

  it('never throws on arbitrary strings and only returns well-formed ranges', () => {
    const rangeish = fc
      .tuple(
        fc.constantFrom('bytes=', 'Bytes=', 'bytes =', 'bytes= ', ''),
        fc.oneof(fc.string({ maxLength: 20 }), fc.nat().map(String), fc.constant('')),
        fc.constantFrom('-', ' - ', '--', ',', ''),
        fc.oneof(fc.string({ maxLength: 20 }), fc.nat().map(String), fc.constant('')),
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), rangeish), (header) => {
        const r = parseRangeHeader(header);
        if (r === null) return;
        if ('suffix' in r) {
          expect(Number.isSafeInteger(r.suffix) && r.suffix > 0).toBe(true);
        } else {
          expect(Number.isSafeInteger(r.start) && r.start >= 0).toBe(true);
          if (r.end !== undefined) expect(Number.isSafeInteger(r.end) && r.end >= r.start).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('resolveRange', () => {
  it('resolves closed, open and suffix ranges against a size', () => {
    expect(resolveRange({ start: 0, end: 99 }, 1000)).toEqual({ start: 0, end: 99 });
    expect(resolveRange({ start: 100 }, 1000)).toEqual({ start: 100, end: 999 });
    expect(resolveRange({ suffix: 10 }, 1000)).toEqual({ start: 990, end: 999 });
  });

  it('clamps an end past the file and a suffix longer than the file', () => {
    expect(resolveRange({ start: 10, end: 5000 }, 1000)).toEqual({ start: 10, end: 999 });
    expect(resolveRange({ suffix: 5000 }, 1000)).toEqual({ start: 0, end: 999 });
  });

  it('resolves the last byte and refuses one past it (416)', () => {
    expect(resolveRange({ start: 999 }, 1000)).toEqual({ start: 999, end: 999 });
    expect(resolveRange({ start: 999, end: 999 }, 1000)).toEqual({ start: 999, end: 999 });
    expect(resolveRange({ start: 1000 }, 1000)).toBeNull();
    expect(resolveRange({ start: 1000, end: 2000 }, 1000)).toBeNull();
  });

  it('refuses every range of an empty file', () => {
    expect(resolveRange({ start: 0 }, 0)).toBeNull();
    expect(resolveRange({ start: 0, end: 0 }, 0)).toBeNull();
    expect(resolveRange({ suffix: 1 }, 0)).toBeNull();
  });

  it('always resolves a parsed range to bytes within the file, or null', () => {
    const range: fc.Arbitrary<ByteRange | SuffixRange> = fc.oneof(
      fc.record({ suffix: fc.integer({ min: 1, max: 1e12 }) }),
      fc.integer({ min: 0, max: 1e12 }).map((start) => ({ start })),
      fc
        .tuple(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 0, max: 1e12 }))
        .map(([a, b]) => ({ start: Math.min(a, b), end: Math.max(a, b) })),
    );
    const size = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 1e12 }));
    fc.assert(
      fc.property(range, size, (r, n) => {
        const out = resolveRange(r, n);
        if (out === null) {
          // only unsatisfiable ranges are refused
          if ('suffix' in r) expect(n).toBe(0);
          else expect(r.start).toBeGreaterThanOrEqual(n);
          return;
        }
        expect(Number.isInteger(out.start) && Number.isInteger(out.end)).toBe(true);
        expect(out.start).toBeGreaterThanOrEqual(0);
        expect(out.start).toBeLessThanOrEqual(out.end);
        expect(out.end).toBeLessThan(n);
        if ('suffix' in r) {
          expect(out.end - out.start + 1).toBe(Math.min(r.suffix, n));
          expect(out.end).toBe(n - 1);
        } else {
          expect(out.start).toBe(r.start);
          expect(out.end).toBe(Math.min(r.end ?? n - 1, n - 1));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('composes with parseRangeHeader on any header without throwing', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), (header, size) => {
        const r = parseRangeHeader(header);
        if (r === null) return;
        const out = resolveRange(r, size);
        if (out !== null) expect(out.start <= out.end && out.end < size).toBe(true);
      }),
    );
  });
});
