/** A single HTTP byte range: `end` inclusive; `end` undefined = to the end of the file; suffix = last N bytes. */
export interface ByteRange {
  start: number;
  end?: number;
}
export interface SuffixRange {
  suffix: number;
}

const RANGE = /^bytes=\s*(\d{0,15})\s*-\s*(\d{0,15})\s*$/i;

/**
 * Parses a `Range` header holding one byte range. Returns null when it is absent, malformed or has several
 * ranges (those requests go to the network as they are).
 */
export function parseRangeHeader(header: string | null | undefined): ByteRange | SuffixRange | null {
  if (!header || header.length > 100) return null;
  const m = RANGE.exec(header.trim());
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    const suffix = Number(b);
    return suffix > 0 ? { suffix } : null;
  }
  const start = Number(a);
  if (b === '') return { start };
  const end = Number(b);
  return end >= start ? { start, end } : null;
}

/** Resolves a parsed range against a known size: inclusive [start, end], or null when unsatisfiable (416). */
export function resolveRange(range: ByteRange | SuffixRange, size: number): { start: number; end: number } | null {
  if ('suffix' in range) {
    if (size === 0) return null;
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  if (range.start >= size) return null;
  return { start: range.start, end: Math.min(size - 1, range.end ?? size - 1) };
}
