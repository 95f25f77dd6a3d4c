/**
 * Byte-exactness of what the player got.
 *
 * In the page: `segmentHashesInitScript` (for `context.addInitScript` / newViewer's `initScript`) wraps
 * XMLHttpRequest and fetch. Every completed response whose URL path matches SEGMENT_PATH has its body copied
 * synchronously when it completes (before the page's own handlers, which may transfer the buffer to a worker, as
 * hls.js does) and hashed with SHA-256. Entries land in `window.__segmentHashes`.
 * Needs a secure context for crypto.subtle (http://127.0.0.1 or localhost); elsewhere entries carry an `error`.
 * Media fetched by the browser itself (`<video src>`) is not visible to page scripts and is not recorded.
 *
 * In Node: `readSegmentHashes(page)`, `originHashes(dir, urlPrefix)` and `byteExactMismatches` / `assertByteExact`.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Page } from 'playwright-core';

/** Paths of media segments, as the harness counts them. */
export const SEGMENT_PATH = /\.(ts|m4s|mp4|m4v|m4a|aac)$/i;

export interface SegmentHash {
  /** Final URL of the response (after redirects). */
  url: string;
  status: number;
  /** Bytes of the body the page got; -1 when not hashed. */
  bytes: number;
  /** Lowercase hex SHA-256 of the body; null when not hashed (see `error`). */
  sha256: string | null;
  via: 'xhr' | 'fetch';
  /** The response's Content-Range header, for 206 responses. */
  contentRange: string | null;
  /** Why the body was not hashed. */
  error?: string;
}

declare global {
  interface Window {
    __segmentHashes?: SegmentHash[];
    __segmentHashesPending?: () => number;
  }
}

/**
 * The page-side script, as source text (not a function, so no test-runner transform can touch it).
 * Idempotent: running it twice in a page wraps nothing twice.
 */
export const segmentHashesInitScript = `(() => {
  if (window.__segmentHashes) return;
  const SEGMENT = new RegExp(${JSON.stringify(SEGMENT_PATH.source)}, ${JSON.stringify(SEGMENT_PATH.flags)});
  const hashes = [];
  let pending = 0;
  Object.defineProperty(window, '__segmentHashes', { value: hashes, enumerable: false });
  Object.defineProperty(window, '__segmentHashesPending', { value: () => pending, enumerable: false });

  const isSegment = (url) => {
    try { return SEGMENT.test(new URL(url, location.href).pathname); } catch { return false; }
  };
  const hex = (digest) => Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');

  // Pushes the entry now (load order) and fills in the hash when the bytes are available.
  function record(entry, bytesPromise) {
    hashes.push(entry);
    pending++;
    Promise.resolve(bytesPromise)
      .then((buf) => {
        if (!buf) return;
        if (!(crypto && crypto.subtle)) throw new Error('crypto.subtle unavailable (not a secure context)');
        entry.bytes = buf.byteLength;
        return crypto.subtle.digest('SHA-256', buf).then((d) => { entry.sha256 = hex(d); });
      })
      .catch((err) => { entry.error = String(err && err.message || err); })
      .finally(() => { pending--; });
  }
  const entry = (url, status, via, contentRange) =>
    ({ url, status, bytes: -1, sha256: null, via, contentRange: contentRange || null });

  const NativeXHR = window.XMLHttpRequest;
  class XMLHttpRequest extends NativeXHR {
    #openedUrl = '';
    constructor() {
      super();
      // Added in the constructor, so it runs before any handler the page sets afterwards.
      this.addEventListener('readystatechange', () => {
        if (this.readyState !== 4 || this.status === 0) return; // not done, aborted or network error
        const url = this.responseURL || this.#openedUrl;
        if (!isSegment(url)) return;
        const e = entry(url, this.status, 'xhr', this.getResponseHeader('Content-Range'));
        const type = this.responseType;
        const body = this.response;
        if (type === 'arraybuffer') record(e, body ? body.slice(0) : new ArrayBuffer(0));
        else if (type === 'blob') record(e, body ? body.arrayBuffer() : new ArrayBuffer(0));
        else { e.error = "responseType '" + type + "' is not hashed"; record(e, null); }
      });
    }
    open(...args) {
      try { this.#openedUrl = new URL(args[1], location.href).href; } catch { this.#openedUrl = String(args[1]); }
      return super.open(...args); // exactly the given arguments: open(m, u, undefined) would mean synchronous
    }
  }
  window.XMLHttpRequest = XMLHttpRequest;

  const nativeFetch = window.fetch;
  window.fetch = function fetch(input, init) {
    return nativeFetch.apply(window, arguments).then((response) => {
      try {
        if (response.type !== 'opaque' && isSegment(response.url)) {
          const e = entry(response.url, response.status, 'fetch', response.headers.get('Content-Range'));
          record(e, response.clone().arrayBuffer());
        }
      } catch (err) {
        // never break the page's fetch
      }
      return response;
    });
  };
})();`;

/** The page's entries, once every started hash has finished (or `timeoutMs` passed: then it throws). */
export async function readSegmentHashes(page: Page, timeoutMs = 10_000): Promise<SegmentHash[]> {
  await page.waitForFunction('window.__segmentHashesPending ? window.__segmentHashesPending() === 0 : true', null, {
    timeout: timeoutMs,
    polling: 50,
  });
  const hashes = await page.evaluate('window.__segmentHashes || null');
  if (hashes === null) {
    throw new Error('readSegmentHashes: the page has no __segmentHashes; add segmentHashesInitScript before loading it');
  }
  return hashes as SegmentHash[];
}

/** SHA-256 (hex) of every segment file under `dir`, keyed by URL path: `urlPrefix` + path relative to `dir`. */
export async function originHashes(dir: string, urlPrefix: string): Promise<Map<string, string>> {
  let prefix = /^https?:\/\//.test(urlPrefix) ? new URL(urlPrefix).pathname : urlPrefix;
  if (!prefix.startsWith('/')) prefix = `/${prefix}`;
  if (!prefix.endsWith('/')) prefix += '/';
  const out = new Map<string, string>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile() || !SEGMENT_PATH.test(entry.name)) continue;
    const file = join(entry.parentPath, entry.name);
    const urlPath = prefix + relative(dir, file).split(sep).map(encodeURIComponent).join('/');
    out.set(urlPath, createHash('sha256').update(await readFile(file)).digest('hex'));
  }
  return out;
}

export interface Mismatch {
  url: string;
  kind: 'hash' | 'status' | 'not-hashed' | 'unknown-url' | 'partial';
  detail: string;
}

const WHOLE_RANGE = /^bytes 0-(\d+)\/(\d+)$/;

/**
 * Every recorded response that is not byte-identical to its origin file. A 206 counts as whole only when its
 * Content-Range covers the whole file; other partial responses are reported as `partial` (not comparable here).
 */
export function byteExactMismatches(hashes: readonly SegmentHash[], origin: ReadonlyMap<string, string>): Mismatch[] {
  const out: Mismatch[] = [];
  for (const h of hashes) {
    const path = new URL(h.url).pathname;
    const want = origin.get(path);
    if (h.status < 200 || h.status > 299) {
      out.push({ url: h.url, kind: 'status', detail: `status ${h.status}` });
    } else if (h.sha256 === null) {
      out.push({ url: h.url, kind: 'not-hashed', detail: h.error ?? 'no hash' });
    } else if (want === undefined) {
      out.push({ url: h.url, kind: 'unknown-url', detail: `no origin file for ${path}` });
    } else if (h.status === 206 && !isWholeRange(h.contentRange, h.bytes)) {
      out.push({ url: h.url, kind: 'partial', detail: `206 ${h.contentRange ?? '(no Content-Range)'}` });
    } else if (h.sha256 !== want) {
      out.push({ url: h.url, kind: 'hash', detail: `got ${h.bytes} bytes sha256 ${h.sha256}, origin ${want}` });
    }
  }
  return out;
}

function isWholeRange(contentRange: string | null, bytes: number): boolean {
  const m = contentRange === null ? null : WHOLE_RANGE.exec(contentRange);
  return m !== null && Number(m[1]) + 1 === Number(m[2]) && Number(m[2]) === bytes;
}

/**
 * Throws, listing every mismatch, unless at least `minSegments` responses were recorded and all are
 * byte-identical to the origin.
 */
export function assertByteExact(
  hashes: readonly SegmentHash[],
  origin: ReadonlyMap<string, string>,
  { minSegments = 1 }: { minSegments?: number } = {},
): void {
  const mismatches = byteExactMismatches(hashes, origin);
  const problems = mismatches.map((m) => `  ${m.kind}: ${m.url}: ${m.detail}`);
  if (hashes.length < minSegments) problems.unshift(`  only ${hashes.length} segment responses recorded, want ≥ ${minSegments}`);
  if (problems.length > 0) throw new Error(`segments not byte-exact:\n${problems.join('\n')}`);
}
