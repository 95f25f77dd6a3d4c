import { urlDirectory } from '../core/contract';
import { isSha256Hex } from '../core/integrity/IntegrityManifest';

/** Segment hashes kept by default: a live window is a few dozen segments per rendition, a VOD list thousands. */
export const MAX_PLAYLIST_HASHES = 4096;

/**
 * Segment key → SHA-256 learned from HLS playlists (`#EXT-X-SWARMFETCH-SHA256`), bounded: the key set (or
 * re-set: a live playlist repeats its window on every reload) longest ago goes first. Keys are segment keys
 * (see segmentKey): the whole file's URL, or `url#start-end` for an EXT-X-BYTERANGE segment.
 */
/** Requests waiting at once for a hash their playlist has not brought yet (beyond: no wait). */
export const MAX_HASH_WAITERS = 256;
/** Directories remembered as holding tagged playlists' segments. */
const MAX_TAGGED_DIRS = 64;

export class PlaylistHashes {
  private readonly map = new Map<string, string>();
  /** Directories (URL up to the last '/') of segments whose playlists carry hashes. */
  private readonly taggedDirs = new Set<string>();
  private readonly waiters = new Map<string, Set<(sha256: string | undefined) => void>>();
  private waiting = 0;

  constructor(private readonly max = MAX_PLAYLIST_HASHES) {}

  get size(): number {
    return this.map.size;
  }

  /** Remembers `sha256` for `key`; anything but a lowercase hex SHA-256 is ignored. */
  set(key: string, sha256: string): void {
    if (typeof key !== 'string' || !isSha256Hex(sha256)) return;
    this.map.delete(key);
    this.map.set(key, sha256);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
    const dir = urlDirectory(key);
    if (!this.taggedDirs.has(dir)) {
      if (this.taggedDirs.size >= MAX_TAGGED_DIRS) this.taggedDirs.delete(this.taggedDirs.values().next().value!);
      this.taggedDirs.add(dir);
    }
    const w = this.waiters.get(key);
    if (w) for (const done of w) done(sha256);
  }

  get(key: string): string | undefined {
    return this.map.get(key);
  }

  /**
   * Whether playlists of `key`'s directory carry hashes: then a segment there without one (a playlist that has not
   * come yet, an EXT-X-MAP init segment) is not "uncovered" but "not vouched for yet" — never taken unchecked.
   */
  covers(key: string): boolean {
    return this.taggedDirs.has(urlDirectory(key));
  }

  /**
   * The hash of `key`, waiting up to `ms` for it when the playlists of its directory carry hashes but the one that
   * lists `key` has not been read yet. It is in flight: the worker hands a playlist to the page in the background,
   * and a live player asks for the newest segment as soon as it has parsed that playlist, so the request can come
   * first. Segments of untagged playlists get undefined at once.
   */
  whenListed(key: string, ms: number): Promise<string | undefined> {
    const known = this.map.get(key);
    if (known || ms <= 0 || !this.taggedDirs.has(urlDirectory(key)) || this.waiting >= MAX_HASH_WAITERS) {
      return Promise.resolve(known);
    }
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const waiters = set;
      this.waiting++;
      const done = (sha256: string | undefined): void => {
        clearTimeout(timer);
        if (!waiters.delete(done)) return;
        this.waiting--;
        if (waiters.size === 0 && this.waiters.get(key) === waiters) this.waiters.delete(key);
        resolve(sha256);
      };
      const timer = setTimeout(() => done(undefined), ms);
      waiters.add(done);
    });
  }

  clear(): void {
    this.map.clear();
    this.taggedDirs.clear();
    for (const w of [...this.waiters.values()]) for (const done of [...w]) done(undefined);
  }
}

