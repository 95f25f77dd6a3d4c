import { isSha256Hex } from '../core/integrity/IntegrityManifest';
import { readTextCapped } from '../core/readTextCapped';
import { Backoff } from './Backoff';

/** Answers remembered (by URL and range). */
const MAX_CACHED = 2048;
const MAX_ANSWER_BYTES = 4096;
/**
 * Oracle error codes that say something about one URL (server/hashRoutes.ts), not about the oracle: it works.
 * `busy`: all its fetch slots (or this client's share of them) were taken — that one lookup fails, the next goes on.
 */
const URL_ERRORS = new Set(['bad-request', 'upstream-error', 'upstream-not-found', 'too-large', 'timeout', 'busy']);
/**
 * Lookups sent at once; more wait their turn (within their own deadline). The server lets one client run 2 origin
 * fetches at once (`--hash-max-fetches-per-client`) and answers a third `busy`.
 */
const MAX_IN_FLIGHT = 2;
const MAX_WAITING = 64;
/** Of those, the ones that stay true of that URL (remembered, not asked again). */
const LASTING_ERRORS = new Set(['bad-request', 'too-large']);

export type OracleAnswer =
  /** `totalBytes`: the whole file's size, when the oracle knows it (a range's from the origin's Content-Range). */
  | { kind: 'hash'; sha256: string; bytes: number; totalBytes?: number }
  /** The server said it has no oracle (`no-oracle`), or that the URL's origin is not on its allow-list. */
  | { kind: 'not-covered' }
  /**
   * No trusted answer: the oracle could not hash it (origin error, timeout, busy), or the server could not be
   * reached, throttled us, or answered something that is not the oracle's (an HTML 502 from a proxy). Fails closed:
   * the segment comes over HTTP, and the oracle is asked again after a backoff.
   */
  | { kind: 'failed' };

export interface HashOracleClientDeps {
  fetch: typeof fetch;
  /**
   * The P2P server's base URL, ending in '/'; a function is read at each request (the server in use, see ServerList).
   * What one server's /health said stands for all of them (one deployment).
   */
  baseUrl: string | (() => string);
  timeoutMs: number;
  /** Clock for the retry backoff. @default Date.now */
  now?(): number;
}

type Asked = { answer: OracleAnswer; keep: boolean; serverTrouble: boolean };

/**
 * Asks the P2P server's hash oracle (`GET swarmfetch/v1/hash?url=…[&range=a-b]`) for a segment's SHA-256. Answers
 * are cached. Only the server's own word makes a URL "not covered" (its /health says `oracle: false`, or /hash
 * answers `no-oracle`: no oracle there, not asked again;
 * `not-allowed`: not for that origin). Anything else that is not a hash — unreachable, 429, 5xx, not JSON — is a
 * failure: never taken as "no oracle", and the server is left alone for a backoff (1 s doubling to 30 s) during
 * which lookups fail at once without a request.
 */
export class HashOracleClient {
  private readonly cache = new Map<string, Promise<OracleAnswer>>();
  private noOracle = false;
  /** The server's /health, asked once before the first lookup: `oracle: false` says "none here" without a 404. */
  private health: Promise<'oracle' | 'none' | 'failed'> | null = null;
  private readonly backoff: Backoff;

  constructor(private readonly deps: HashOracleClientDeps) {
    this.backoff = new Backoff(deps.now ?? (() => Date.now()));
  }

  async lookup(url: string, range: { start: number; end: number } | null): Promise<OracleAnswer> {
    if (this.noOracle) return { kind: 'not-covered' };
    const id = range ? `${url}#${range.start}-${range.end}` : url;
    const cached = this.cache.get(id);
    if (cached) return cached;
    const health = await this.available();
    if (health === 'none') return { kind: 'not-covered' };
    if (health === 'failed') return { kind: 'failed' };
    return this.cache.get(id) ?? this.askCached(id, url, range);
  }

  /** Whether the server runs an oracle, without asking it to hash anything (and so without an origin copy). */
  async available(): Promise<'oracle' | 'none' | 'failed'> {
    if (this.noOracle) return 'none';
    if (this.backoff.waiting) return 'failed';
    this.health ??= this.askHealth();
    const health = await this.health;
    if (health === 'none') this.noOracle = true;
    if (health === 'failed' && this.health) {
      this.health = null;
      this.backoff.failed();
    }
    return health;
  }

  private askCached(id: string, url: string, range: { start: number; end: number } | null): Promise<OracleAnswer> {
    const asked = this.ask(url, range);
    const p = asked.then((a) => a.answer);
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, p);
    void asked.then((a) => {
      if (a.serverTrouble) this.backoff.failed();
      else this.backoff.succeeded();
      // failures are asked again later
      if (!a.keep && this.cache.get(id) === p) this.cache.delete(id);
    });
    return p;
  }

  /**
   * Whether the server runs an oracle, from its `/health` (`oracle: false` → none: a page never asks /hash of a
   * server without one, which browsers would log as a failed request). A server whose health does not say (an
   * older one) is asked anyway; one that cannot be reached is a failure.
   */
  /** The base URL of the server asked now. */
  private base(): string {
    const { baseUrl } = this.deps;
    return typeof baseUrl === 'function' ? baseUrl() : baseUrl;
  }

  private async askHealth(): Promise<'oracle' | 'none' | 'failed'> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.deps.timeoutMs);
    try {
      const res = await this.deps.fetch(new URL('swarmfetch/v1/health', this.base()).href, { credentials: 'omit', signal: controller.signal });
      const text = await readTextCapped(res, MAX_ANSWER_BYTES);
      if (!res.ok) return 'failed';
      const body = JSON.parse(text) as { oracle?: unknown } | null;
      return body?.oracle === false ? 'none' : 'oracle';
    } catch {
      return 'failed';
    } finally {
      clearTimeout(timer);
    }
  }

  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  /** Runs `ask` when one of MAX_IN_FLIGHT slots is free; past MAX_WAITING waiting, fails at once (no backoff). */
  private async ask(url: string, range: { start: number; end: number } | null): Promise<Asked> {
    if (this.inFlight < MAX_IN_FLIGHT) this.inFlight++;
    else if (this.waiting.length >= MAX_WAITING) return { answer: { kind: 'failed' }, keep: false, serverTrouble: false };
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // the slot is handed over, still counted
    try {
      return await this.askNow(url, range);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight--;
    }
  }

  private async askNow(url: string, range: { start: number; end: number } | null): Promise<Asked> {
    const failed = (serverTrouble: boolean, keep = false): Asked => ({ answer: { kind: 'failed' }, keep, serverTrouble });
    const q = new URL('swarmfetch/v1/hash', this.base());
    q.searchParams.set('url', url);
    if (range) q.searchParams.set('range', `${range.start}-${range.end}`);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.deps.timeoutMs);
    try {
      const res = await this.deps.fetch(q.href, { credentials: 'omit', signal: controller.signal });
      const text = await readTextCapped(res, MAX_ANSWER_BYTES);
      let body: { sha256?: unknown; bytes?: unknown; totalBytes?: unknown; error?: unknown } = {};
      try {
        body = JSON.parse(text);
      } catch {
        return failed(true); // not the oracle's answer (a proxy's error page, a server of another kind)
      }
      if (typeof body !== 'object' || body === null) return failed(true);
      if (res.ok) {
        if (isSha256Hex(body.sha256) && Number.isSafeInteger(body.bytes) && (body.bytes as number) >= 0) {
          const bytes = body.bytes as number;
          const total = Number.isSafeInteger(body.totalBytes) && (body.totalBytes as number) >= bytes ? { totalBytes: body.totalBytes as number } : {};
          return { answer: { kind: 'hash', sha256: body.sha256, bytes, ...total }, keep: true, serverTrouble: false };
        }
        return failed(true); // a malformed hash is no hash
      }
      if (res.status === 404 && body.error === 'no-oracle') {
        this.noOracle = true;
        return { answer: { kind: 'not-covered' }, keep: true, serverTrouble: false };
      }
      if (res.status === 403 && body.error === 'not-allowed') return { answer: { kind: 'not-covered' }, keep: true, serverTrouble: false };
      if (typeof body.error === 'string' && URL_ERRORS.has(body.error)) return failed(false, LASTING_ERRORS.has(body.error));
      return failed(true); // 429, busy, 5xx, anything unknown
    } catch {
      return failed(true); // unreachable, timed out
    } finally {
      clearTimeout(timer);
    }
  }
}
