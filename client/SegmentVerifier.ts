import { expectedParts, type HashedPart } from '../core/integrity/expectedParts';
import { parseKeyRange } from '../core/integrity/parseKeyRange';
import { SwarmError } from '../core/SwarmError';
import type { HashOracleClient } from './HashOracleClient';
import type { IntegrityManifests } from './IntegrityManifests';
import type { PlaylistHashes } from './PlaylistHashes';

/**
 * Longest a lookup waits for the playlist that lists a segment of a tagged stream (see PlaylistHashes.whenListed);
 * it runs while the peer sends the bytes, so it rarely adds to a transfer.
 */
export const PLAYLIST_WAIT_MS = 400;

/** Where a trusted hash came from: the segment's HLS playlist, an integrity manifest, or the P2P server's oracle. */
export type HashSource = 'playlist' | 'manifest' | 'oracle';

/**
 * What a segment's bytes must hash to:
 * - `parts`: trusted hashes of stretches that make up the whole body, so also its size;
 * - `body`: the trusted hash of the whole body, whatever its size (a playlist's hash of a whole file);
 * - `none`: no hash source covers this segment at all;
 * - `unknown`: a source covers it but has no usable hash (file not listed, unaligned range, lookup failed).
 */
export type Expectation =
  | { kind: 'parts'; parts: HashedPart[]; from: HashSource }
  | { kind: 'body'; sha256: string; from: HashSource }
  | { kind: 'none' }
  | { kind: 'unknown' };

export interface SegmentVerifierDeps {
  /** Hashes from HLS playlists, by segment key; asked first. */
  playlist?: Pick<PlaylistHashes, 'get' | 'whenListed'> | null;
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
 * player. Sources, in order: the segment's playlist (by its exact key), an integrity manifest, the hash oracle. Policy:
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
   * Resolves to where the trusted hash that `body` (a Blob, or the same bytes in memory) matched came from, or null
   * when it was accepted unverified; throws `integrity-mismatch` or `integrity-unavailable` otherwise. Waits at
   * most `waitMs` (and the configured timeout) for the expectation.
   */
  async check(key: string, body: Blob | Uint8Array, expectation: Promise<Expectation>, waitMs: number): Promise<HashSource | null> {
    const ms = Math.max(0, Math.min(waitMs, this.deps.timeoutMs));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
    const exp = await Promise.race([expectation, late]).finally(() => clearTimeout(timer));
    if (exp === null) throw new SwarmError('integrity-unavailable', 'no hash in time', { key: key.slice(0, 200), ms });
    if (exp.kind === 'none') {
      if (this.deps.required) throw new SwarmError('integrity-unavailable', 'no hash source covers this segment', { key: key.slice(0, 200) });
      return null;
    }
    if (exp.kind === 'unknown') throw new SwarmError('integrity-unavailable', 'no trusted hash for this segment', { key: key.slice(0, 200) });
    const got = body instanceof Uint8Array ? body.byteLength : body.size;
    const parts = exp.kind === 'body' ? [{ start: 0, end: got, sha256: exp.sha256 }] : exp.parts;
    const size = parts[parts.length - 1]!.end;
    if (got !== size) {
      throw new SwarmError('integrity-mismatch', 'wrong size', { key: key.slice(0, 200), bytes: got, want: size, from: exp.from });
    }
    // reading a Blob back costs far more than hashing it: the link hands over the bytes it assembled
    const bytes = body instanceof Uint8Array ? body : new Uint8Array(await body.arrayBuffer());
    for (const part of parts) {
      const digest = await this.deps.digest(bytes.subarray(part.start, part.end));
      if (toHex(digest) !== part.sha256) {
        throw new SwarmError('integrity-mismatch', 'sha256 differs', { key: key.slice(0, 200), at: part.start, from: exp.from });
      }
    }
    return exp.from;
  }

  private async resolve(key: string): Promise<Expectation> {
    const { url, range } = parseKeyRange(key);
    if (range === 'open') return { kind: 'unknown' };
    // the playlist hashed exactly what this key names: the whole file, or the byte range of an EXT-X-BYTERANGE segment
    const listed = await this.deps.playlist?.whenListed(key, PLAYLIST_WAIT_MS);
    if (listed) {
      return range
        ? { kind: 'parts', parts: [{ start: 0, end: range.end - range.start + 1, sha256: listed }], from: 'playlist' }
        : { kind: 'body', sha256: listed, from: 'playlist' };
    }
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
