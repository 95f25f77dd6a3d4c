import { SwarmError } from '../../core/SwarmError';

function violation(message: string, details: Record<string, string | number> = {}): never {
  throw new SwarmError('protocol-violation', message, details);
}

/**
 * Collects the frames of one download. Never holds more than the size the sender declared, which is itself
 * bounded by the receiver's limit. (Stateful, so it lives with the downloads, not in the wire codec.)
 */
export class Reassembly {
  private chunks: Uint8Array[] = [];
  private received = 0;
  private taken = false;

  constructor(
    readonly declaredBytes: number,
    maxBytes: number,
  ) {
    if (!Number.isSafeInteger(declaredBytes) || declaredBytes < 0 || declaredBytes > maxBytes) {
      violation('declared size exceeds limit', { declared: declaredBytes, max: maxBytes });
    }
  }

  get receivedBytes(): number {
    return this.received;
  }

  get complete(): boolean {
    return this.received === this.declaredBytes;
  }

  push(payload: Uint8Array): void {
    if (this.received + payload.byteLength > this.declaredBytes) {
      violation('more bytes than declared', { declared: this.declaredBytes, received: this.received + payload.byteLength });
    }
    this.chunks.push(payload);
    this.received += payload.byteLength;
  }

  /** The whole segment; only once complete, and only once. */
  toBlob(contentType: string | null): Blob {
    return this.take(contentType).blob;
  }

  /**
   * The whole segment as a Blob and as the contiguous bytes it was made from (so they can be hashed without reading
   * the Blob back, which costs far more than the copy); only once complete, and only once.
   */
  take(contentType: string | null): { blob: Blob; bytes: Uint8Array } {
    if (!this.complete) violation('transfer ended short', { declared: this.declaredBytes, received: this.received });
    if (this.taken) violation('transfer already taken');
    this.taken = true;
    const bytes = new Uint8Array(this.received);
    let at = 0;
    for (const c of this.chunks) {
      bytes.set(c, at);
      at += c.byteLength;
    }
    this.chunks = [];
    const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], contentType ? { type: contentType } : undefined);
    return { blob, bytes };
  }
}
