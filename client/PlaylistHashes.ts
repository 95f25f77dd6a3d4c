import { isSha256Hex } from '../core/integrity/IntegrityManifest';

/** Segment hashes kept by default: a live window is a few dozen segments per rendition, a VOD list thousands. */
export const MAX_PLAYLIST_HASHES = 4096;

/**
 * Segment key → SHA-256 learned from HLS playlists (`#EXT-X-SWARMFETCH-SHA256`), bounded: the key set (or
 * re-set: a live playlist repeats its window on every reload) longest ago goes first. Keys are segment keys
 * (see segmentKey): the whole file's URL, or `url#start-end` for an EXT-X-BYTERANGE segment.
 */
export class PlaylistHashes {
  private readonly map = new Map<string, string>();

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
  }

  get(key: string): string | undefined {
    return this.map.get(key);
  }

  clear(): void {
    this.map.clear();
  }
}
