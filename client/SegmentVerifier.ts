import { expectedParts, type HashedPart } from '../core/integrity/expectedParts';
import { parseKeyRange } from '../core/integrity/parseKeyRange';
import { SwarmError } from '../core/SwarmError';
import type { HashOracleClient } from './HashOracleClient';
import type { IntegrityManifests } from './IntegrityManifests';

/**
 * What a segment's bytes must hash to:
 * - `parts`: trusted hashes (from a manifest or the oracle);
 * - `none`: no hash source covers this segment at all;
 * - `unknown`: a source covers it but has no usable hash (file not listed, unaligned range, lookup failed).
 */
export type Expectation = { kind: 'parts'; parts: HashedPart[]; from: 'manifest' | 'oracle' } | { kind: 'none' } | { kind: 'unknown' };

export interface SegmentVerifierDeps {
  manifests: Pick<IntegrityManifests, 'lookup'> | null;
  oracle: Pick<HashOracleClient, 'lookup'> | null;
  /** Accept only verified peer bytes. */
  required: boolean;
  /** Longest a check waits for its expectation. */
  timeoutMs: number;
  digest(data: Uint8Array): Promise<ArrayBuffer>;
}

/**
 * Checks segment bytes that came from a peer against trusted SHA-256 hashes before they reach the store or the
 * player. Policy:
 * - a trusted hash exists → the bytes must match it (else `integrity-mismatch`: the caller bans the sender);
 * - no source covers a whole-file segment → accepted unverified, unless `required`;
 * - a byte range no source can check, a covered segment without a hash, or no answer in time →
 *   `integrity-unavailable` (the segment comes over HTTP; the peer did nothing wrong).
 */
export class SegmentVerifier {
  constructor(private readonly deps: SegmentVerifierDeps) {}

  /** Starts finding the expected hash (lookups are cached below); call before asking the peer. */
  expect(key: string): Promise<Expectation> {
    return this.resolve(key).catch((): Expectation => ({ kind: 'unknown' }));
  }

  /**
   * Resolves true when `body` (a Blob, or the same bytes in memory) matched a trusted hash, false when accepted unverified; throws `integrity-mismatch`
   * or `integrity-unavailable` otherwise. Waits at most `waitMs` (and the configured timeout) for the expectation.
   */
  async check(key: string, body: Blob | Uint8Array, expectation: Promise<Expectation>, waitMs: number): Promise<boolean> {
    const ms = Math.max(0, Math.min(waitMs, this.deps.timeoutMs));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
    const exp = await Promise.race([expectation, late]).finally(() => clearTimeout(timer));
    if (exp === null) throw new SwarmError('integrity-unavailable', 'no hash in time', { key: key.slice(0, 200), ms });
    if (exp.kind === 'none') {
      if (this.deps.required) throw new SwarmError('integrity-unavailable', 'no hash source covers this segment', { key: key.slice(0, 200) });
      return false;
    }
    if (exp.kind === 'unknown') throw new SwarmError('integrity-unavailable', 'no trusted hash for this segment', { key: key.slice(0, 200) });
    const size = exp.parts[exp.parts.length - 1]!.end;
    const got = body instanceof Uint8Array ? body.byteLength : body.size;
    if (got !== size) {
      throw new SwarmError('integrity-mismatch', 'wrong size', { key: key.slice(0, 200), bytes: got, want: size });
    }
    // reading a Blob back costs far more than hashing it: the link hands over the bytes it assembled
    const bytes = body instanceof Uint8Array ? body : new Uint8Array(await body.arrayBuffer());
    for (const part of exp.parts) {
      const digest = await this.deps.digest(bytes.subarray(part.start, part.end));
      if (toHex(digest) !== part.sha256) {
        throw new SwarmError('integrity-mismatch', 'sha256 differs', { key: key.slice(0, 200), at: part.start, from: exp.from });
      }
    }
    return true;
  }

  private async resolve(key: string): Promise<Expectation> {
    const { url, range } = parseKeyRange(key);
    if (range === 'open') return { kind: 'unknown' };
    const m = this.deps.manifests ? await this.deps.manifests.lookup(url) : { kind: 'none' as const };
    if (m.kind === 'covered' && m.file) {
      const parts = expectedParts(m.file, m.pieceBytes, range);
      if (parts) return { kind: 'parts', parts, from: 'manifest' };
    }
    if (this.deps.oracle) {
      const a = await this.deps.oracle.lookup(url, range);
      if (a.kind === 'hash') return { kind: 'parts', parts: [{ start: 0, end: a.bytes, sha256: a.sha256 }], from: 'oracle' };
      if (a.kind === 'failed') return { kind: 'unknown' };
    }
    if (m.kind !== 'none' || range) return { kind: 'unknown' };
    return { kind: 'none' };
  }
}

function toHex(digest: ArrayBuffer): string {
  let s = '';
  for (const b of new Uint8Array(digest)) s += b.toString(16).padStart(2, '0');
  return s;
}
