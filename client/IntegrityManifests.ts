import { INTEGRITY_FILE_NAME, MAX_MANIFEST_BYTES, type IntegrityFile, type IntegrityManifest } from '../core/integrity/IntegrityManifest';
import { parseIntegrityManifest } from '../core/integrity/parseIntegrityManifest';
import { parseHttpUrl } from '../core/parseHttpUrl';
import { readTextCapped } from '../core/readTextCapped';
import { SwarmError } from '../core/SwarmError';

/** Directories above a segment searched for a manifest (the segment's own included). */
const MAX_LOOKUP_DEPTH = 6;
/** Manifest URLs remembered (found or not). */
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
  /** Look up `swarmfetch-integrity.json` next to segments and upward. */
  lookup: boolean;
  timeoutMs: number;
  onError(code: 'integrity-manifest-invalid' | 'network-error', message: string): void;
}

type Loaded = IntegrityManifest | null | SwarmError;

/**
 * Finds the integrity manifest that covers a segment URL: the one named by the config, or by convention the nearest
 * `swarmfetch-integrity.json` in the segment's directory or above (same origin as the segment). Each manifest URL is
 * fetched at most once per page (404 remembered too), with a deadline and a size cap.
 */
export class IntegrityManifests {
  private readonly cache = new Map<string, Promise<Loaded>>();

  constructor(private readonly deps: IntegrityManifestsDeps) {}

  /** Starts loading what `lookup(url)` will need (so the first peer segment does not wait for it). */
  warm(url: string): void {
    void this.lookup(url);
  }

  async lookup(url: string): Promise<ManifestAnswer> {
    const u = parseHttpUrl(url);
    if (!u) return { kind: 'none' };
    const candidates = this.candidates(u);
    for (const manifestUrl of candidates) {
      const loaded = await this.load(manifestUrl);
      if (loaded instanceof SwarmError) return { kind: 'failed', code: loaded.code };
      if (!loaded) continue;
      const base = manifestUrl.slice(0, manifestUrl.lastIndexOf('/') + 1);
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

  /** Manifest URLs that may cover `u`, nearest first. */
  private candidates(u: URL): string[] {
    if (this.deps.manifestUrl) return [this.deps.manifestUrl];
    if (!this.deps.lookup) return [];
    const out: string[] = [];
    let dir = u.pathname.slice(0, u.pathname.lastIndexOf('/') + 1);
    while (out.length < MAX_LOOKUP_DEPTH) {
      out.push(`${u.origin}${dir}${INTEGRITY_FILE_NAME}`);
      if (dir === '/') break;
      dir = dir.slice(0, dir.slice(0, -1).lastIndexOf('/') + 1);
    }
    return out;
  }

  private load(manifestUrl: string): Promise<Loaded> {
    let p = this.cache.get(manifestUrl);
    if (p) return p;
    p = this.fetchManifest(manifestUrl);
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(manifestUrl, p);
    // a failure (not a 404) is tried again on a later lookup
    void p.then((v) => {
      if (v instanceof SwarmError && this.cache.get(manifestUrl) === p) this.cache.delete(manifestUrl);
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
