import { isManifestRequest } from '../core/isSegmentRequest';

/** Most manifests a page fetches again: a master playlist and its renditions' playlists, or a DASH MPD. */
export const MAX_CATCH_UP_MANIFESTS = 8;
/** Longest URL fetched again (longer ones are left alone, like the worker's keys). */
const MAX_URL_CHARS = 2048;

/** Manifest URLs remembered as read by the agent (the oldest forgotten first). */
const MAX_READ = 64;

/** What the page loaded (the fields of a PerformanceResourceTiming entry used here). */
export interface LoadedResource {
  /** The URL. */
  name: string;
}

export interface ManifestCatchUpDeps {
  /** What the page has loaded so far (`performance.getEntriesByType('resource')`). */
  loaded(): Iterable<LoadedResource>;
  /** A GET of `url` from the page; the page is controlled, so it goes through the worker, which reads it. */
  fetch(url: string): Promise<Response>;
}

/**
 * Has the worker read the manifests the page loaded that the agent never got. On a first visit the player starts at
 * once: its master playlist, often its first media playlist too, pass before the worker controls the page, or while
 * the worker waits for the page's port (SegmentHandler.observeManifest gives up after `portWaitMs`); a VOD's are
 * never loaded again. Without them the agent knows neither the ladder (the rung above, which bounds what peers may
 * take of a request: HttpPace.abrSlackMs) nor the segments' durations and playlist hashes.
 * Each such manifest is fetched once more from the page (from the HTTP cache where its headers allow), at most
 * MAX_CATCH_UP_MANIFESTS in all; the worker reads it as it reads the player's. Its body is not read here.
 */
export class ManifestCatchUp {
  private readonly fetched = new Set<string>();
  private readonly read = new Set<string>();
  private destroyed = false;

  constructor(private readonly deps: ManifestCatchUpDeps) {}

  /** The agent got the manifest at `url` (from the worker). */
  noteRead(url: string): void {
    if (typeof url !== 'string' || url.length > MAX_URL_CHARS) return;
    this.read.delete(url);
    if (this.read.size >= MAX_READ) this.read.delete(this.read.values().next().value!);
    this.read.add(url);
  }

  /** Fetches each manifest the page loaded that the agent did not get and was not fetched again yet; returns their URLs. */
  run(): string[] {
    const out: string[] = [];
    if (this.destroyed) return out;
    let loaded: Iterable<LoadedResource>;
    try {
      loaded = this.deps.loaded();
    } catch {
      return out;
    }
    for (const r of loaded) {
      if (this.fetched.size >= MAX_CATCH_UP_MANIFESTS) break;
      const url = r?.name;
      if (typeof url !== 'string' || url.length > MAX_URL_CHARS || this.fetched.has(url) || this.read.has(url)) continue;
      if (!isManifestRequest({ method: 'GET', url })) continue;
      this.fetched.add(url);
      out.push(url);
      let request: Promise<Response>;
      try {
        request = this.deps.fetch(url);
      } catch {
        continue;
      }
      request.then(
        (res) => res.body?.cancel().catch(() => {}),
        () => {},
      );
    }
    return out;
  }

  destroy(): void {
    this.destroyed = true;
  }
}
