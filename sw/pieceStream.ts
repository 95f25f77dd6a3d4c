import { pieceIndex, pieceRange } from '../core/contract';
import { SwarmError } from '../core/SwarmError';

/** Opens piece `index` from one source: a stream of the piece's bytes from its first byte, or null when it has none. */
export type PieceSource = (index: number) => Promise<ReadableStream<Uint8Array> | null>;

/**
 * Bytes [start, end] of a file, assembled piece by piece as the consumer pulls (never more than one piece open).
 * For each piece the sources are tried in order; one that has nothing, fails, or ends short — before or in the
 * middle of the piece — is replaced by the next, from the byte where it stopped. When no source is left the stream
 * errors: a consumer never gets a truncated body that looks complete.
 */
export function pieceStream(start: number, end: number, sources: PieceSource[]): ReadableStream<Uint8Array> {
  let pos = start;
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  /** Offset in the file of the next byte `reader` yields. */
  let at = 0;
  let level = 0;
  const drop = () => {
    reader?.cancel().catch(() => {});
    reader = null;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (pos > end) return controller.close();
        const index = pieceIndex(pos);
        const stop = Math.min(end, pieceRange(index).end);
        if (!reader) {
          const open = sources[level++];
          if (!open) throw new SwarmError('network-error', `no source for bytes ${pos}-${stop}`, { pos });
          const stream = await open(index).catch(() => null);
          if (!stream) continue;
          reader = stream.getReader();
          at = pieceRange(index).start;
        }
        const chunk = await reader.read().catch(() => null);
        if (!chunk || chunk.done) {
          drop(); // failed or ended short: the next source, from here
          continue;
        }
        const value = chunk.value;
        const from = Math.max(0, pos - at);
        const take = Math.min(value.byteLength, stop - at + 1);
        if (take > from) {
          controller.enqueue(value.subarray(from, take));
          pos = at + take;
        }
        at += value.byteLength;
        if (pos > stop) {
          drop();
          level = 0;
        }
        if (take > from) return;
      }
    },
    cancel() {
      drop();
    },
  });
}
