import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PIECE_BYTES, pieceIndex, pieceRange } from '../../core/contract';
import { pieceStream, type PieceSource } from '../../sw/pieceStream';

const SIZE = 3 * PIECE_BYTES + 12_345;
const file = new Uint8Array(SIZE).map((_, i) => (i * 7 + (i >> 11)) & 0xff);

/** A stream of `bytes` in chunks of `chunk`, erroring (or ending) after `failAfter` bytes when set. */
function streamOf(bytes: Uint8Array, chunk = 64 * 1024, failAfter?: number, how: 'error' | 'end' = 'error') {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (failAfter !== undefined && at >= failAfter) return how === 'error' ? c.error(new Error('boom')) : c.close();
      if (at >= bytes.length) return c.close();
      const n = Math.min(chunk, bytes.length - at, failAfter === undefined ? Infinity : failAfter - at);
      c.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}
const piece = (i: number) => {
  const p = pieceRange(i, SIZE);
  return file.subarray(p.start, p.end + 1);
};
const source = (opened: number[] = [], failAfter?: (i: number) => number | undefined, how?: 'error' | 'end'): PieceSource =>
  async (i) => {
    opened.push(i);
    return streamOf(piece(i), 64 * 1024, failAfter?.(i), how);
  };
const none: PieceSource = async () => null;
const readAll = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

describe('piece maths', () => {
  it('cuts a file into 1 MiB pieces, the last one short', () => {
    expect(PIECE_BYTES).toBe(1048576);
    expect(pieceRange(0, SIZE)).toEqual({ start: 0, end: 1048575 });
    expect(pieceRange(3, SIZE)).toEqual({ start: 3 * 1048576, end: SIZE - 1 });
    expect(pieceRange(1)).toEqual({ start: 1048576, end: 2097151 });
    expect(pieceRange(0, 10)).toEqual({ start: 0, end: 9 });
    expect([0, 1048575, 1048576, SIZE - 1].map(pieceIndex)).toEqual([0, 0, 1, 3]);
  });

  it('every byte of a file is in exactly one piece', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 * PIECE_BYTES }), fc.nat(), (size, b) => {
        const byte = b % size;
        const p = pieceRange(pieceIndex(byte), size);
        return p.start <= byte && byte <= p.end && p.end < size && p.end - p.start < PIECE_BYTES;
      }),
    );
  });
});

describe('pieceStream', () => {
  it('assembles any range exactly from pieces', async () => {
    for (const [start, end] of [[0, SIZE - 1], [5, 9], [PIECE_BYTES - 1, PIECE_BYTES], [1_500_000, SIZE - 1], [SIZE - 1, SIZE - 1]] as const) {
      expect(same(await readAll(pieceStream(start, end, [source()])), file.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
    }
  });

  it('uses the next source for pieces the first has not', async () => {
    const first: PieceSource = async (i) => (i % 2 ? streamOf(piece(i)) : null);
    const net: number[] = [];
    expect(same(await readAll(pieceStream(0, SIZE - 1, [first, source(net)])), file)).toBe(true);
    expect(net).toEqual([0, 2]);
  });

  it('a source failing or ending short in the middle of a piece is replaced from the exact byte where it stopped', async () => {
    for (const how of ['error', 'end'] as const) {
      const net: number[] = [];
      const flaky = source([], (i) => (i === 1 ? 300_001 : undefined), how);
      expect(same(await readAll(pieceStream(100, SIZE - 1, [flaky, source(net)])), file.subarray(100)), how).toBe(true);
      expect(net).toEqual([1]);
    }
  });

  it('errors instead of ending early when no source is left: never a truncated body that looks complete', async () => {
    const s = pieceStream(0, SIZE - 1, [source([], (i) => (i === 2 ? 1000 : undefined)), none]);
    const reader = s.getReader();
    let got = 0;
    const failed = await (async () => {
      for (;;) {
        const r = await reader.read();
        if (r.done) return false;
        got += r.value.byteLength;
      }
    })().catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 'network-error' });
    expect(got).toBe(2 * PIECE_BYTES + 1000);
  });

  it('opens pieces only as the consumer pulls, and cancels the open one when the consumer goes', async () => {
    const opened: number[] = [];
    let cancelled = 0;
    const src: PieceSource = async (i) => {
      opened.push(i);
      const inner = streamOf(piece(i)).getReader();
      return new ReadableStream({ pull: async (c) => { const r = await inner.read(); r.done ? c.close() : c.enqueue(r.value); }, cancel: () => void cancelled++ });
    };
    const reader = pieceStream(0, SIZE - 1, [src]).getReader();
    await reader.read();
    expect(opened).toEqual([0]);
    await reader.cancel();
    expect(cancelled).toBe(1);
  });
});
