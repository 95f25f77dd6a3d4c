import { expectedParts, type HashedPart } from '../core/integrity/expectedParts';
import { parseKeyRange, urlDirectory } from '../core/contract';
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
 * - `none`: it is known that no hash source covers this segment (no tag in its playlists, no manifest, no oracle);
 * - `unknown`: a source covers it, or may, but gave no usable hash (not listed, unaligned range, a lookup that failed
 *   or is late, a tagged stream whose playlist has not come yet).
 * `totalBytes`: the whole file's size when the source knows it (a manifest entry; the body itself for a whole file).
 */
export type Expectation =
  | { kind: 'parts'; parts: HashedPart[]; from: HashSource; totalBytes: number | null }
  | { kind: 'body'; sha256: string; from: HashSource }
  | { kind: 'none' }
  | { kind: 'unknown'; why: string };

/** What one lookup found, for the page's integrity status. */
export type VerifierOutcome =
  | { kind: 'hash'; key: string; from: HashSource }
  | { kind: 'none'; key: string }
  | { kind: 'unknown'; key: string; why: string };

export interface SegmentVerifierDeps {
  /** Hashes from HLS playlists, by segment key; asked first. */
  playlist?: Pick<PlaylistHashes, 'get' | 'whenListed' | 'covers'> | null;
  manifests: Pick<IntegrityManifests, 'lookup'> | null;
  oracle: Pick<HashOracleClient, 'lookup' | 'available'> | null;
  /** Take whole segments no source covers unchecked (the `acceptUnverifiedPeerBytes` opt-out). */
  acceptUnverified: boolean;
  /** Longest a check waits for its expectation. */
  timeoutMs: number;
  digest(data: Uint8Array): Promise<ArrayBuffer>;
  /** Hears what each lookup found (a listener that throws is ignored). */
  onOutcome?: ((outcome: VerifierOutcome) => void) | undefined;
}

/** Directories remembered as covered by no hash source. */
const MAX_UNCOVERED_DIRS = 256;

/**
 * Checks segment bytes that came from a peer against trusted SHA-256 hashes before they reach the store or the
 * player. Sources, in order: the segment's playlist (by its exact key), an integrity manifest, the hash oracle.
 * Fail-closed policy:
 * - a trusted hash exists → the bytes must match it (else `integrity-mismatch`: the caller bans the sender);
 * - anything else → `integrity-unavailable` (the segment comes over HTTP; the peer did nothing wrong): no source at
 *   all, a source that covers the segment without a hash, a lookup that failed or did not answer in time, a byte
 *   range no source can check. Only with `acceptUnverified` is a whole-file segment that no source covers taken
 *   unchecked — never one whose source failed.
 */
export class SegmentVerifier {
  /** Directories whose last lookup found no source at all (peers are not asked there unless acceptUnverified). */
  private readonly uncoveredDirs = new Set<string>();

  constructor(private readonly deps: SegmentVerifierDeps) {}

  /** Starts finding the expected hash (lookups are cached below); call before asking the peer. */
  expect(key: string): Promise<Expectation> {
    return this.resolve(key)
      .catch((err: unknown): Expectation => ({ kind: 'unknown', why: `lookup failed: ${String(err).slice(0, 200)}` }))
      .then((exp) => {
        this.noteOutcome(key, exp);
        return exp;
      });
  }

  /**
   * Learns whether any hash source covers `key`'s stream, without fetching a hash: tags in its playlists, a manifest
   * that covers it, or an oracle on the server (its /health) — so an oracle is never made to copy a segment from
   * the origin just to find out. Reports the outcome like a lookup (a stream with no source at all: `none`).
   */
  async probe(key: string): Promise<void> {
    const { url } = parseKeyRange(key);
    try {
      if (this.deps.playlist?.covers(key)) return;
      const m = this.deps.manifests ? await this.deps.manifests.lookup(url) : { kind: 'none' as const };
      if (m.kind === 'covered') return;
      if (m.kind === 'failed') return this.noteOutcome(key, { kind: 'unknown', why: `manifest failed (${m.code})` });
      const oracle = this.deps.oracle ? await this.deps.oracle.available() : 'none';
      if (oracle === 'failed') return this.noteOutcome(key, { kind: 'unknown', why: 'P2P server unreachable' });
      if (oracle === 'none' && !this.deps.playlist?.covers(key)) this.noteOutcome(key, { kind: 'none' });
    } catch {
      // a probe only informs
    }
  }

  /**
   * Whether peer bytes for `key` cannot be taken now whatever they are: its directory's last lookup found no hash
   * source and unchecked bytes are not accepted. The agent then does not ask peers at all (no upload is wasted).
   */
  refuses(key: string): boolean {
    if (this.deps.acceptUnverified || this.deps.playlist?.covers(key)) return false;
    return this.uncoveredDirs.has(urlDirectory(key));
  }

  /** Whether the expectation lets bytes be taken at all (a trusted hash, or none with the opt-out). */
  canAccept(exp: Expectation): boolean {
    return exp.kind === 'parts' || exp.kind === 'body' || (exp.kind === 'none' && this.deps.acceptUnverified);
  }

  /**
   * Resolves to where the trusted hash that `body` (a Blob, or the same bytes in memory) matched came from, or null
   * when it was accepted unverified (only with acceptUnverified); throws `integrity-mismatch` or
   * `integrity-unavailable` otherwise. Waits at most `waitMs` (and the configured timeout) for the expectation.
   */
  async check(key: string, body: Blob | Uint8Array, expectation: Promise<Expectation>, waitMs: number): Promise<HashSource | null> {
    const ms = Math.max(0, Math.min(waitMs, this.deps.timeoutMs));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
    const exp = await Promise.race([expectation, late]).finally(() => clearTimeout(timer));
    const k = key.slice(0, 200);
    if (exp === null) throw new SwarmError('integrity-unavailable', 'no hash in time', { key: k, ms, reason: 'timeout' });
    if (exp.kind === 'none') {
      if (!this.deps.acceptUnverified) {
        throw new SwarmError('integrity-unavailable', 'no hash source covers this segment', { key: k, reason: 'no-source' });
      }
      return null;
    }
    if (exp.kind === 'unknown') throw new SwarmError('integrity-unavailable', `no trusted hash: ${exp.why}`, { key: k, reason: 'no-hash' });
    const got = body instanceof Uint8Array ? body.byteLength : body.size;
    const parts = exp.kind === 'body' ? [{ start: 0, end: got, sha256: exp.sha256 }] : exp.parts;
    const size = parts[parts.length - 1]!.end;
    if (got !== size) {
      throw new SwarmError('integrity-mismatch', 'wrong size', { key: k, bytes: got, want: size, from: exp.from });
    }
    // reading a Blob back costs far more than hashing it: the link hands over the bytes it assembled
    const bytes = body instanceof Uint8Array ? body : new Uint8Array(await body.arrayBuffer());
    for (const part of parts) {
      const digest = await this.deps.digest(bytes.subarray(part.start, part.end));
      if (toHex(digest) !== part.sha256) {
        throw new SwarmError('integrity-mismatch', 'sha256 differs', { key: k, at: part.start, from: exp.from });
      }
    }
    return exp.from;
  }

  private async resolve(key: string): Promise<Expectation> {
    const { url, range } = parseKeyRange(key);
    if (range === 'open') return { kind: 'unknown', why: 'open byte range' };
    // the playlist hashed exactly what this key names: the whole file, or the byte range of an EXT-X-BYTERANGE segment
    const listed = await this.deps.playlist?.whenListed(key, PLAYLIST_WAIT_MS);
    if (listed && !range) return { kind: 'body', sha256: listed, from: 'playlist' };
    const m = this.deps.manifests ? await this.deps.manifests.lookup(url) : { kind: 'none' as const };
    // a range's file size, when the manifest lists the file (its ranges need not be aligned for that)
    const fileBytes = m.kind === 'covered' && m.file ? m.file.bytes : null;
    if (listed && range) {
      return { kind: 'parts', parts: [{ start: 0, end: range.end - range.start + 1, sha256: listed }], from: 'playlist', totalBytes: fileBytes };
    }
    if (m.kind === 'covered' && m.file) {
      const parts = expectedParts(m.file, m.pieceBytes, range);
      if (parts) return { kind: 'parts', parts, from: 'manifest', totalBytes: m.file.bytes };
    }
    let oracleFailed = false;
    if (this.deps.oracle) {
      const a = await this.deps.oracle.lookup(url, range);
      if (a.kind === 'hash') {
        const totalBytes = range ? (a.totalBytes ?? fileBytes) : a.bytes;
        return { kind: 'parts', parts: [{ start: 0, end: a.bytes, sha256: a.sha256 }], from: 'oracle', totalBytes };
      }
      oracleFailed = a.kind === 'failed';
    }
    if (m.kind === 'failed') return { kind: 'unknown', why: `manifest failed (${m.code})` };
    if (oracleFailed) return { kind: 'unknown', why: 'hash oracle lookup failed' };
    if (m.kind === 'covered') return { kind: 'unknown', why: m.file ? 'range not on piece bounds' : 'not in the manifest' };
    // a tagged stream whose playlist has not brought this hash yet (late, or an init segment): not vouched for
    if (this.deps.playlist?.covers(key)) return { kind: 'unknown', why: 'not (yet) in its tagged playlist' };
    if (range) return { kind: 'unknown', why: 'unchecked byte range' };
    return { kind: 'none' };
  }

  private noteOutcome(key: string, exp: Expectation): void {
    const dir = urlDirectory(key);
    if (exp.kind === 'none') {
      if (this.uncoveredDirs.size >= MAX_UNCOVERED_DIRS) this.uncoveredDirs.delete(this.uncoveredDirs.values().next().value!);
      this.uncoveredDirs.add(dir);
    } else {
      this.uncoveredDirs.delete(dir);
    }
    const outcome: VerifierOutcome =
      exp.kind === 'none' ? { kind: 'none', key } : exp.kind === 'unknown' ? { kind: 'unknown', key, why: exp.why } : { kind: 'hash', key, from: exp.from };
    try {
      this.deps.onOutcome?.(outcome);
    } catch {
      // a listener never breaks a check
    }
  }
}


function toHex(digest: ArrayBuffer): string {
  let s = '';
  for (const b of new Uint8Array(digest)) s += b.toString(16).padStart(2, '0');
  return s;
}
