import { isSha256Hex } from '../core/integrity/IntegrityManifest';
import { readTextCapped } from '../core/readTextCapped';

/** Answers remembered (by URL and range). */
const MAX_CACHED = 2048;
const MAX_ANSWER_BYTES = 4096;
/** Error codes of the oracle route (server/hashRoutes.ts); anything else means "no oracle here". */
const ORACLE_ERRORS = new Set(['not-allowed', 'bad-request', 'upstream-error', 'upstream-not-found', 'too-large', 'busy', 'timeout']);

export type OracleAnswer =
  | { kind: 'hash'; sha256: string; bytes: number }
  /** The server has no oracle, or the URL's origin is not on its allow-list. */
  | { kind: 'not-covered' }
  /** The oracle covers the URL but could not hash it (origin error, timeout, busy). */
  | { kind: 'failed' };

export interface HashOracleClientDeps {
  fetch: typeof fetch;
  /** The P2P server's base URL, ending in '/'. */
  baseUrl: string;
  timeoutMs: number;
}

/**
 * Asks the P2P server's hash oracle (`GET swarmfetch/v1/hash?url=…[&range=a-b]`) for a segment's SHA-256. Answers
 * are cached; a server without an oracle (404) is not asked again this session.
 */
export class HashOracleClient {
  private readonly cache = new Map<string, Promise<OracleAnswer>>();
  private disabled = false;
  /** Whether the server has shown it runs an oracle (before that, an unreachable server counts as none). */
  private known = false;

  constructor(private readonly deps: HashOracleClientDeps) {}

  lookup(url: string, range: { start: number; end: number } | null): Promise<OracleAnswer> {
    if (this.disabled) return Promise.resolve({ kind: 'not-covered' });
    const id = range ? `${url}#${range.start}-${range.end}` : url;
    let p = this.cache.get(id);
    if (p) return p;
    const asked = this.ask(url, range);
    p = asked.then((a) => a.answer);
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, p);
    // failures and throttled answers are asked again next time
    void asked.then((a) => {
      if (!a.keep && this.cache.get(id) === p) this.cache.delete(id);
    });
    return p;
  }

  private async ask(url: string, range: { start: number; end: number } | null): Promise<{ answer: OracleAnswer; keep: boolean }> {
    const answer = await this.answer(url, range);
    return { answer: answer === 'throttled' ? (this.known ? { kind: 'failed' } : { kind: 'not-covered' }) : answer, keep: answer !== 'throttled' && answer.kind !== 'failed' };
  }

  private async answer(url: string, range: { start: number; end: number } | null): Promise<OracleAnswer | 'throttled'> {
    const q = new URL('swarmfetch/v1/hash', this.deps.baseUrl);
    q.searchParams.set('url', url);
    if (range) q.searchParams.set('range', `${range.start}-${range.end}`);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.deps.timeoutMs);
    try {
      const res = await this.deps.fetch(q.href, { credentials: 'omit', signal: controller.signal });
      const text = await readTextCapped(res, MAX_ANSWER_BYTES);
      let body: { sha256?: unknown; bytes?: unknown; error?: unknown } = {};
      try {
        body = JSON.parse(text);
      } catch {
        // not the oracle
      }
      if (res.ok && isSha256Hex(body.sha256) && Number.isSafeInteger(body.bytes) && (body.bytes as number) >= 0) {
        this.known = true;
        return { kind: 'hash', sha256: body.sha256, bytes: body.bytes as number };
      }
      // the server's request rate limit (tracker and oracle alike): says nothing about the oracle; ask again later
      if (res.status === 429) return 'throttled';
      const oracleError = typeof body.error === 'string' && ORACLE_ERRORS.has(body.error);
      if (!oracleError) {
        // not an oracle answer (no such route, origin refused, …): this server has no oracle for us
        if (!this.known) this.disabled = true;
        return this.known ? { kind: 'failed' } : { kind: 'not-covered' };
      }
      this.known = true;
      return body.error === 'not-allowed' ? { kind: 'not-covered' } : { kind: 'failed' };
    } catch {
      return this.known ? { kind: 'failed' } : { kind: 'not-covered' };
    } finally {
      clearTimeout(timer);
    }
  }
}
