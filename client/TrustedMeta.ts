import { urlDirectory } from '../core/contract';
import { contentTypeFor } from '../core/contentTypeFor';

/** URLs (file sizes) and directory + extension pairs (content types) remembered. */
const MAX_ENTRIES = 1024;

/**
 * What this page knows first-hand about segment files — from its own HTTP responses (through its worker), never
 * from a peer: each file's whole size (a Content-Range total, a whole body) and the content type the origin gives
 * files of one extension in one directory. A peer's `totalBytes` and `contentType` never reach the player: these
 * (or the integrity manifest's size, or the extension's type) do.
 */
export class TrustedMeta {
  private readonly totals = new Map<string, number>();
  private readonly types = new Map<string, string>();

  /** An HTTP response of this page's own brought `url` (the whole file, or a range of a file of `totalBytes`). */
  learn(url: string, totalBytes: number | null, contentType: string | null): void {
    const file = url.split(/[?#]/, 1)[0] ?? url;
    if (totalBytes !== null && Number.isSafeInteger(totalBytes) && totalBytes >= 0) put(this.totals, file, totalBytes);
    if (typeof contentType === 'string' && contentType.length > 0 && contentType.length <= 100) put(this.types, typeKey(file), contentType);
  }

  /** The whole file's size as this page's own HTTP saw it, or null. */
  totalBytes(url: string): number | null {
    return this.totals.get(url.split(/[?#]/, 1)[0] ?? url) ?? null;
  }

  /** The origin's content type for files like `url`, else the type its extension stands for. */
  contentType(url: string): string {
    const file = url.split(/[?#]/, 1)[0] ?? url;
    return this.types.get(typeKey(file)) ?? contentTypeFor(file);
  }
}

/** Files of one extension in one directory: `https://cdn/v/*.ts`. */
function typeKey(file: string): string {
  const dir = urlDirectory(file);
  const dot = file.lastIndexOf('.');
  return `${dir}*${dot >= dir.length ? file.slice(dot).toLowerCase() : ''}`;
}

function put<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_ENTRIES) map.delete(map.keys().next().value!);
}
