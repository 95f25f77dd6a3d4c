import { createHash } from 'node:crypto';
import { compileSegmentPattern, isSegmentRequest } from '../core/isSegmentRequest';
import { DEFAULT_SEGMENT_PATTERN } from '../core/contract';

/** Why the oracle could not hash a URL; each is also the `error` of its HTTP answer. */
export type OracleError = 'bad-request' | 'not-allowed' | 'upstream-not-found' | 'upstream-error' | 'too-large' | 'busy' | 'timeout';

/** `totalBytes`: the whole file's size (a byte range's from the origin's Content-Range), when the origin said it. */
export type OracleResult = { ok: true; sha256: string; bytes: number; totalBytes: number | null } | { ok: false; error: OracleError };

export interface HashOracleOptions {
  /** Origins (scheme://host[:port]) the oracle may fetch from; nothing else is ever fetched. */
  origins: readonly string[];
  /** Largest body (or range) hashed. */
  maxBytes: number;
  /** Deadline of one upstream fetch, body included. */
  timeoutMs: number;
  /**
   * Regular expression (source, case-insensitive) of the URL paths that are segments — the page's `segmentPattern`;
   * nothing else is fetched (playlists and manifests never). @default the client's default segment pattern
   */
  segmentPattern?: string;
  /** Smallest byte range hashed; a smaller one is refused `bad-request` before any fetch. @default 16384 */
  minRangeBytes?: number;
  /** Upstream fetches at once; more are answered `busy`. @default 4 */
  maxConcurrent?: number;
  /** Upstream fetches one client may have under way at once; more are answered `busy`. @default 2 */
  maxFetchesPerClient?: number;
  /** Hashes remembered (least recently used dropped). @default 10000 */
  cacheEntries?: number;
  fetch?: typeof fetch;
}

const MAX_URL_LENGTH = 2048;

/**
 * The P2P server's hash oracle: fetches a segment (or a closed byte range of it) once from an allow-listed origin,
 * hashes it with SHA-256 and remembers the hash. It is no proxy into the origin: only http(s) URLs whose exact origin
 * is on the allow-list and whose path is a segment's (segmentPattern), never a query (it is stripped: the fetch, the
 * cache and the in-flight key are the URL without it), no credentials in the URL, no redirects followed, no cookies
 * or auth sent, no byte range under minRangeBytes (a byte-by-byte read-back); bounded size, time, concurrency in all
 * and per client. Every check is made before anything is fetched.
 */
export class HashOracle {
  private readonly origins: Set<string>;
  private readonly cache = new Map<string, OracleResult & { ok: true }>();
  private readonly inflight = new Map<string, Promise<OracleResult>>();
  /** Upstream fetches under way per client. */
  private readonly perClient = new Map<string, number>();
  private readonly controllers = new Set<AbortController>();
  private readonly segmentPattern: RegExp;
  private readonly minRangeBytes: number;
  private readonly maxConcurrent: number;
  private readonly maxFetchesPerClient: number;
  private readonly cacheEntries: number;
  private readonly fetch: typeof fetch;
  private closed = false;
  private fetchCount = 0;

  constructor(private readonly options: HashOracleOptions) {
    this.origins = new Set(options.origins.map((o) => new URL(o).origin));
    this.segmentPattern = compileSegmentPattern(options.segmentPattern ?? DEFAULT_SEGMENT_PATTERN);
    this.minRangeBytes = options.minRangeBytes ?? 16 * 1024;
    this.maxConcurrent = options.maxConcurrent ?? 4;
    this.maxFetchesPerClient = options.maxFetchesPerClient ?? 2;
    this.cacheEntries = options.cacheEntries ?? 10_000;
    this.fetch = options.fetch ?? ((...a) => globalThis.fetch(...a));
  }

  /**
   * Whether `url` may be fetched: an http(s) URL of an allowed origin without credentials whose path is a segment's.
   * The URL to fetch (query and fragment dropped), or null when not.
   */
  allowedUrl(urlText: unknown): URL | null {
    if (typeof urlText !== 'string' || urlText.length === 0 || urlText.length > MAX_URL_LENGTH) return null;
    let u: URL;
    try {
      u = new URL(urlText);
    } catch {
      return null;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (u.username || u.password) return null;
    if (!this.origins.has(u.origin)) return null;
    u.hash = '';
    u.search = '';
    if (!isSegmentRequest({ method: 'GET', url: u.href }, this.segmentPattern)) return null;
    return u;
  }

  /**
   * Hash of `url` (query and fragment dropped) or of its bytes `range` ('start-end', inclusive), asked by `client`
   * (an address group: its upstream fetches are counted against maxFetchesPerClient).
   */
  hash(urlText: unknown, rangeText?: unknown, client = ''): Promise<OracleResult> {
    let range: { start: number; end: number } | null = null;
    if (rangeText !== undefined && rangeText !== null && rangeText !== '') {
      const m = typeof rangeText === 'string' ? /^(\d{1,15})-(\d{1,15})$/.exec(rangeText) : null;
      if (!m || Number(m[2]) < Number(m[1])) return Promise.resolve({ ok: false, error: 'bad-request' });
      range = { start: Number(m[1]), end: Number(m[2]) };
      const size = range.end - range.start + 1;
      if (size > this.options.maxBytes) return Promise.resolve({ ok: false, error: 'too-large' });
      // no exception for a short range at the end of the file: [size-k, size-1] for k = 1, 2, … reads it back too
      if (size < this.minRangeBytes) return Promise.resolve({ ok: false, error: 'bad-request' });
    }
    if (typeof urlText !== 'string' || urlText.length > MAX_URL_LENGTH) return Promise.resolve({ ok: false, error: 'bad-request' });
    const url = this.allowedUrl(urlText);
    if (!url) return Promise.resolve({ ok: false, error: 'not-allowed' });
    const id = range ? `${url.href}#${range.start}-${range.end}` : url.href;
    const hit = this.cache.get(id);
    if (hit) {
      this.cache.delete(id);
      this.cache.set(id, hit);
      return Promise.resolve(hit);
    }
    const pending = this.inflight.get(id);
    if (pending) return pending;
    const mine = this.perClient.get(client) ?? 0;
    if (this.closed || this.inflight.size >= this.maxConcurrent || mine >= this.maxFetchesPerClient) {
      return Promise.resolve({ ok: false, error: 'busy' });
    }
    this.perClient.set(client, mine + 1);
    this.fetchCount++;
    const p = this.fetchAndHash(url, range).then((r) => {
      if (r.ok) {
        if (this.cache.size >= this.cacheEntries) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(id, r);
      }
      return r;
    });
    this.inflight.set(id, p);
    void p.finally(() => {
      this.inflight.delete(id);
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    });
    return p;
  }

  /** Upstream fetches started since the oracle was made (cache hits and joined asks fetch nothing). */
  get fetches(): number {
    return this.fetchCount;
  }

  /** Aborts the fetches under way (they answer `upstream-error`); later asks are answered `busy`. Idempotent. */
  close(): void {
    this.closed = true;
    for (const c of this.controllers) c.abort();
    this.controllers.clear();
  }

  private async fetchAndHash(url: URL, range: { start: number; end: number } | null): Promise<OracleResult> {
    const controller = new AbortController();
    this.controllers.add(controller);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    try {
      const res = await this.fetch(url.href, {
        redirect: 'manual',
        credentials: 'omit',
        signal: controller.signal,
        headers: range ? { Range: `bytes=${range.start}-${range.end}` } : {},
      });
      const fail = async (error: OracleError): Promise<OracleResult> => {
        await res.body?.cancel().catch(() => {});
        return { ok: false, error };
      };
      if (res.status === 404 || res.status === 410) return fail('upstream-not-found');
      // a redirect is never followed: it could lead anywhere
      if (range ? res.status !== 206 : res.status !== 200) return fail('upstream-error');
      if (range && !contentRangeIs(res.headers.get('content-range'), range)) return fail('upstream-error');
      const want = range ? range.end - range.start + 1 : null;
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (Number.isFinite(declared) && declared > this.options.maxBytes) return fail('too-large');
      const hash = createHash('sha256');
      let bytes = 0;
      if (res.body) {
        const reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          bytes += value.byteLength;
          if (bytes > this.options.maxBytes || (want !== null && bytes > want)) {
            await reader.cancel().catch(() => {});
            return { ok: false, error: want !== null && bytes <= this.options.maxBytes ? 'upstream-error' : 'too-large' };
          }
          hash.update(value);
        }
      }
      if (want !== null && bytes !== want) return { ok: false, error: 'upstream-error' };
      const total = range ? contentRangeTotal(res.headers.get('content-range')) : bytes;
      return { ok: true, sha256: hash.digest('hex'), bytes, totalBytes: total !== null && total > (range?.end ?? -1) ? total : null };
    } catch {
      return { ok: false, error: timedOut ? 'timeout' : 'upstream-error' };
    } finally {
      clearTimeout(timer);
      this.controllers.delete(controller);
    }
  }
}

function contentRangeIs(header: string | null, range: { start: number; end: number }): boolean {
  const m = header === null ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
  return m !== null && Number(m[1]) === range.start && Number(m[2]) === range.end;
}

function contentRangeTotal(header: string | null): number | null {
  const m = header === null ? null : /\/(\d{1,15})$/.exec(header.trim());
  return m ? Number(m[1]) : null;
}
