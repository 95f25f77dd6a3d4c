/**
 * Reads a response body to its end, keeping the bytes only while they fit in `maxBytes` (0 = count only).
 * `complete` is false when the stream errored (the player saw the same error).
 */
export async function readBodyCapped(
  response: Response,
  maxBytes: number,
): Promise<{ blob: Blob | null; bytes: number; complete: boolean }> {
  const header = response.headers.get('content-length');
  const declared = header === null ? NaN : Number(header);
  if (maxBytes > 0 && Number.isFinite(declared) && declared > maxBytes) maxBytes = 0;
  if (maxBytes > 0 && Number.isFinite(declared) && !response.headers.has('content-encoding')) {
    // the browser assembles the Blob itself: no chunk copies in JS (a short body is not complete)
    try {
      const blob = await response.blob();
      return blob.size === declared ? { blob, bytes: blob.size, complete: true } : { blob: null, bytes: blob.size, complete: false };
    } catch {
      return { blob: null, bytes: 0, complete: false };
    }
  }
  const reader = response.body!.getReader();
  let chunks: Uint8Array[] | null = maxBytes > 0 ? [] : null;
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (chunks && bytes > maxBytes) chunks = null;
      chunks?.push(value);
    }
  } catch {
    return { blob: null, bytes, complete: false };
  }
  return { blob: chunks ? new Blob(chunks as BlobPart[]) : null, bytes, complete: true };
}
