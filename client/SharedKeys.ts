import { MAX_KEY_LENGTH, parseKeyRange, urlDirectory } from '../core/contract';
import type { SwarmErrorCode } from '../core/SwarmError';

/** The `segmentId` option: a segment's URL (query, fragment and byte range dropped) → the stable id of that resource, or null for its default key. */
export type SegmentIdHook = (url: string) => string | null | undefined;

/**
 * Longest id a hook may return. Half a key: the range suffix (`#start-end`) and, in a swarm id, the site's origin
 * (a host name is at most 253 characters) are added to it, and keys and swarm ids on the wire are at most
 * MAX_KEY_LENGTH.
 */
export const MAX_SEGMENT_ID_LENGTH = MAX_KEY_LENGTH / 2;
/** Shared keys mapped back to the local keys this page holds or is fetching (oldest forgotten past it). */
export const MAX_MAPPED_KEYS = 4096;
/** Local swarms whose shared swarm is remembered (for joins and leaves without a key). */
const MAX_MAPPED_SWARMS = 64;

/**
 * A segment's local key (its URL: the store's, the worker's, the hash sources') and its shared key (what peers call
 * it: the wire, and the swarm id, `site|` + the shared key's directory). They differ only with a `segmentId` hook —
 * for sites whose segment URLs carry per-viewer tokens in the path or whose CDN host varies. The shared key is the
 * hook's id plus the key's byte range; a hook that throws or returns anything but null or a non-empty string of at
 * most MAX_SEGMENT_ID_LENGTH characters without `#` or `?` leaves that URL its default key, and is reported once
 * (`config-invalid`). Without a hook both are the same and nothing is remembered.
 */
export class SharedKeys {
  /** Shared key → local key, for what this page announced it holds or fetches (kept as announcements come and go). */
  private readonly locals = new Map<string, string>();
  /** Local swarm → its shared swarm, as last seen with one of its keys. */
  private readonly swarms = new Map<string, string>();
  private reported = false;

  constructor(
    private readonly hook: SegmentIdHook | null,
    private readonly onError: (e: { code: SwarmErrorCode; message: string }) => void,
  ) {}

  /** The shared key of a local key. */
  of(key: string): string {
    if (!this.hook) return key;
    const { url } = parseKeyRange(key);
    let id: unknown;
    try {
      id = this.hook(url);
    } catch (err) {
      id = [err]; // never an id; prints as the error
    }
    if (id == null) return key;
    if (typeof id === 'string' && id && id.length <= MAX_SEGMENT_ID_LENGTH && !/[#?]/.test(id)) return id + key.slice(url.length);
    if (!this.reported) {
      this.reported = true;
      this.onError({ code: 'config-invalid', message: `segmentId gave "${String(id).slice(0, 100)}" for ${url.slice(0, 200)}: its URL stays its key` });
    }
    return key;
  }

  /**
   * The shared swarm of a local swarm: the one of `key`, a key in it; without a key, the one last seen (undefined
   * when none was, with a hook).
   */
  swarm(swarm: string, key?: string): string | undefined {
    if (!this.hook) return swarm;
    if (key === undefined) return this.swarms.get(swarm);
    const shared = swarm.slice(0, swarm.indexOf('|') + 1) + urlDirectory(this.of(key));
    remember(this.swarms, swarm, shared, MAX_MAPPED_SWARMS);
    return shared;
  }

  /** The local key this page holds (or is fetching) under a shared key, if any. */
  local(shared: string): string | undefined {
    return this.hook ? this.locals.get(shared) : shared;
  }

  /** Keeps the map of what this page announces: `have`/`fetching` map the shared key to the local one, `lost` unmaps it. */
  note(type: 'have' | 'lost' | 'fetching', key: string, shared: string): void {
    if (!this.hook) return;
    if (type !== 'lost') remember(this.locals, shared, key, MAX_MAPPED_KEYS);
    else if (this.locals.get(shared) === key) this.locals.delete(shared);
  }

  /** The store's keys by swarm (SegmentStore.keysBySwarm) as peers know them: shared keys by shared swarm. */
  held(bySwarm: Map<string, string[]>): Map<string, string[]> {
    if (!this.hook) return bySwarm;
    const out = new Map<string, string[]>();
    for (const [swarm, keys] of bySwarm) {
      for (const key of keys) {
        const shared = this.of(key);
        const s = this.swarm(swarm, key)!;
        this.note('have', key, shared);
        const list = out.get(s);
        if (list) list.push(shared);
        else out.set(s, [shared]);
      }
    }
    return out;
  }
}

/** Sets `key` as the newest entry of a map bounded to `max` entries (the oldest dropped). */
function remember(map: Map<string, string>, key: string, value: string, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}
