import { urlDirectory } from '../core/contract';
import { INTEGRITY_FILE_NAME, MAX_MANIFEST_BYTES, type IntegrityFile, type IntegrityManifest } from '../core/integrity/IntegrityManifest';
import { parseIntegrityManifest } from '../core/integrity/parseIntegrityManifest';
import { parseHttpUrl } from '../core/parseHttpUrl';
import { readTextCapped } from '../core/readTextCapped';
import { SwarmError } from '../core/SwarmError';
import { Backoff } from './Backoff';

/** Manifest URLs remembered (found or not), and stream directories known. */
const MAX_CACHED = 64;

/** What the manifests say about one file. */
export type ManifestAnswer =
  /** No manifest covers this URL. */
  | { kind: 'none' }
  /** A manifest covers the URL's directory; `file` is its entry, or null when it does not list the file. */
  | { kind: 'covered'; file: IntegrityFile | null; pieceBytes: number }
  /** Looking failed (timeout, network, invalid manifest): nothing can be said. */
  | { kind: 'failed'; code: string };

export interface IntegrityManifestsDeps {
  fetch: typeof fetch;
  /** An explicit manifest URL (absolute); when set, no lookup by convention. */
  manifestUrl: string | null;
  /** Look up `swarmfetch-integrity.json` by convention (see IntegrityManifests). */
  lookup: boolean;
  timeoutMs: number;
  /** Clock for the retry backoff of a manifest that failed. @default Date.now */
  now?(): number;
  onError(code: 'integrity-manifest-invalid' | 'network-error', message: string): void;
}

type Loaded = IntegrityManifest | null | SwarmError;

/**
 * Finds the integrity manifest that covers a segment URL: the one named by the config, or by convention
 * `swarmfetch-integrity.json` in the stream's directory — the directory of the first playlist/MPD of the stream
 * the page read (an HLS master playlist, a DASH MPD), or for a segment under no playlist (progressive MP4) its own
 * directory. One URL per stream, so a site without a manifest sees one 404 per stream, not one per directory.
 * Each manifest URL is fetched at most once per page (404 remembered too), with a deadline and a size cap.
 */
export class IntegrityManifests {
  private readonly cache = new Map<string, Promise<Loaded>>();
  /** Directories (absolute URLs ending in '/') of the playlists seen; the shortest enclosing one is a stream's. */
  private readonly roots: string[] = [];
  /** Manifest URLs whose last fetch failed, with when to try again. */
  private readonly retries = new Map<string, Backoff>();

  constructor(private readonly deps: IntegrityManifestsDeps) {}

  /** A playlist or MPD passed by: its directory roots a stream; its manifest starts loading now. */
  streamManifest(manifestUrl: string): void {
    const u = parseHttpUrl(manifestUrl);
    if (!u) return;
    const dir = urlDirectory(u.origin + u.pathname);
    if (!this.roots.some((r) => dir.startsWith(r))) {
      for (let i = this.roots.length - 1; i >= 0; i--) if (this.roots[i]!.startsWith(dir)) this.roots.splice(i, 1);
      if (this.roots.length >= MAX_CACHED) this.roots.shift();
      this.roots.push(dir);
    }
    void this.lookup(manifestUrl);
  }

  async lookup(url: string): Promise<ManifestAnswer> {
    const u = parseHttpUrl(url);
    if (!u) return { kind: 'none' };
    const candidates = this.candidates(u);
    for (const manifestUrl of candidates) {
      const loaded = await this.load(manifestUrl);
      if (loaded instanceof SwarmError) return { kind: 'failed', code: loaded.code };
      if (!loaded) continue;
      const base = urlDirectory(manifestUrl);
      if (!u.href.startsWith(base)) return { kind: 'none' };
      let path: string;
      try {
        path = decodeURIComponent(u.origin + u.pathname).slice(decodeURIComponent(base).length);
      } catch {
        return { kind: 'covered', file: null, pieceBytes: loaded.pieceBytes };
      }
      return { kind: 'covered', file: loaded.files[path] ?? null, pieceBytes: loaded.pieceBytes };
    }
    return { kind: 'none' };
  }

  /** The manifest URL that may cover `u`: the configured one, or the stream's by convention. */
  private candidates(u: URL): string[] {
    if (this.deps.manifestUrl) return [this.deps.manifestUrl];
    if (!this.deps.lookup) return [];
    const dir = urlDirectory(u.origin + u.pathname);
    const root = this.roots.find((r) => dir.startsWith(r)) ?? dir;
    return [`${root}${INTEGRITY_FILE_NAME}`];
  }

  /**
   * A failure (not a 404) stays the answer for a backoff (1 s doubling to 30 s; meanwhile every segment it would
   * cover comes over HTTP), then the manifest is fetched again.
   */
  private load(manifestUrl: string): Promise<Loaded> {
    const cached = this.cache.get(manifestUrl);
    const retry = this.retries.get(manifestUrl);
    if (cached && !(retry && !retry.waiting)) return cached;
    this.retries.delete(manifestUrl); // while this fetch runs, lookups share it
    const p = this.fetchManifest(manifestUrl);
    this.cache.delete(manifestUrl);
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(manifestUrl, p);
    void p.then((v) => {
      if (!(v instanceof SwarmError) || this.cache.get(manifestUrl) !== p) return;
      const b = retry ?? new Backoff(this.deps.now ?? (() => Date.now()));
      b.failed();
      if (this.retries.size >= MAX_CACHED) this.retries.delete(this.retries.keys().next().value!);
      this.retries.set(manifestUrl, b);
    });
    return p;
  }

  private async fetchManifest(url: string): Promise<Loaded> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.deps.timeoutMs);
    try {
      const res = await this.deps.fetch(url, { credentials: 'omit', signal: controller.signal, cache: 'no-cache' });
      if (res.status === 404 || res.status === 410) {
        await res.body?.cancel().catch(() => {});
        return null;
      }
      if (!res.ok) throw new SwarmError('network-error', `integrity manifest answered ${res.status}`, { status: res.status });
      return parseIntegrityManifest(await readTextCapped(res, MAX_MANIFEST_BYTES));
    } catch (err) {
      const e = SwarmError.is(err) ? err : new SwarmError('network-error', `integrity manifest: ${String(err)}`);
      this.deps.onError(e.code === 'integrity-manifest-invalid' ? e.code : 'network-error', `${url}: ${e.message}`);
      return e;
    } finally {
      clearTimeout(timer);
    }
  }
}
