/**
 * Reads a response body to its end, keeping the bytes only while they fit in `maxBytes` (0 = count only).
 * `complete` is false when the stream errored (the player saw the same error).
 */
export async function readBodyCapped(
  response: Response,
  maxBytes: number,
): Promise<{ blob: Blob | null; bytes: number; complete: boolean }> {
  const declared = Number(response.headers.get('content-length'));
  if (maxBytes > 0 && Number.isFinite(declared) && declared > maxBytes) maxBytes = 0;
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
