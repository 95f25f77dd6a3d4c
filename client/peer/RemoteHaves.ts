import { SwarmError } from '../../core/SwarmError';
import { keyInSwarm } from '../../core/contract';
import type { ControlMessage } from '../protocol';
import { TokenBucket } from '../TokenBucket';
import { FetchingNews } from './FetchingNews';
import { RemoteKeys } from './RemoteKeys';

/** Default characters of key text remembered per peer (~1 MiB; an honest store of 1 GiB in 1 MiB pieces is ~0.2). */
export const REMOTE_KEY_CHARS_MAX = 1024 * 1024;
/** Default sustained announcement rate, characters of key text per second (~300 keys/s of 200 characters). */
export const ANNOUNCE_CHARS_PER_SEC = 64 * 1024;
/** Default announcement burst: a whole store announced with the hello, twice over. */
export const ANNOUNCE_BURST_CHARS = 2 * REMOTE_KEY_CHARS_MAX;
/** What one announcement message costs beyond its keys (so a flood of empty ones is counted too). */
export const ANNOUNCE_MESSAGE_COST = 64;

export type Announcement = Extract<ControlMessage, { t: 'have' | 'lost' | 'fetching' }>;

/** The bounds on what one peer announces (see PeerLinkLimits). */
export interface RemoteHavesLimits {
  maxRemoteKeys: number;
  /** @default REMOTE_KEY_CHARS_MAX */
  maxRemoteKeyChars?: number;
  /** @default ANNOUNCE_CHARS_PER_SEC */
  announceCharsPerSec?: number;
  /** @default ANNOUNCE_BURST_CHARS */
  announceBurstChars?: number;
}

/**
 * What one peer announced: the segments it holds (`have`/`lost`, see RemoteKeys) and those it is fetching over HTTP
 * now (`fetching`, see FetchingNews). Bounded by rate (characters of key text per second, each message costing
 * ANNOUNCE_MESSAGE_COST more; faster is rate-exceeded) and by memory (the oldest forgotten); a key outside the swarm
 * it is announced for is a protocol violation.
 */
export class RemoteHaves {
  private readonly keys: RemoteKeys;
  private readonly fetching: FetchingNews;
  private readonly budget: TokenBucket;
  private readonly charsPerSec: number;

  /**
   * `fetchingIgnored`: the peer's fetching news is not believed from the start (it used up its strikes earlier this
   * session); `onFetchingIgnored`: told once when it stops being believed.
   */
  constructor(limits: RemoteHavesLimits, now: () => number, fetchingIgnored: boolean, onFetchingIgnored: () => void) {
    this.charsPerSec = limits.announceCharsPerSec ?? ANNOUNCE_CHARS_PER_SEC;
    this.budget = new TokenBucket(Math.max(1, this.charsPerSec), now, limits.announceBurstChars ?? ANNOUNCE_BURST_CHARS);
    this.keys = new RemoteKeys(limits.maxRemoteKeys, limits.maxRemoteKeyChars ?? REMOTE_KEY_CHARS_MAX);
    this.fetching = new FetchingNews(now, fetchingIgnored, onFetchingIgnored);
  }

  /** Characters of key text remembered. */
  get charCount(): number {
    return this.keys.charCount;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Whether the peer announced holding any key that passes `test`. */
  offersAny(test: (key: string) => boolean): boolean {
    return this.keys.some(test);
  }

  /** Whether the peer said, recently and still believed, that it is downloading the key over HTTP. */
  isFetching(key: string): boolean {
    return this.fetching.isFetching(key);
  }

  /** Whether a request for the key now would be made on fetching news alone (not on a `have`). */
  onlyFetching(key: string): boolean {
    return !this.keys.has(key) && this.fetching.isFetching(key);
  }

  /** Takes one announcement; throws rate-exceeded (too fast) or protocol-violation (a key outside its swarm). */
  receive(m: Announcement): void {
    this.charge(m.keys);
    switch (m.t) {
      case 'have':
        for (const key of m.keys) {
          if (!keyInSwarm(key, m.swarm)) throw new SwarmError('protocol-violation', 'key outside swarm');
          this.keys.add(key); // bounded by count and characters: the oldest is forgotten
          this.fetching.forget(key);
        }
        return;
      case 'lost':
        for (const key of m.keys) {
          this.keys.delete(key);
          this.fetching.forget(key);
        }
        return;
      case 'fetching':
        for (const key of m.keys) {
          if (!keyInSwarm(key, m.swarm)) throw new SwarmError('protocol-violation', 'key outside swarm');
        }
        this.fetching.heard(m.keys);
        return;
    }
  }

  /** The peer answered a request for the key with absent: it does not hold it after all. */
  absent(key: string): void {
    this.keys.delete(key);
  }

  /** A request made on fetching news ended with nothing. */
  strike(): void {
    this.fetching.strike();
  }

  /** A request made on fetching news delivered. */
  delivered(): void {
    this.fetching.delivered();
  }

  clear(): void {
    this.keys.clear();
    this.fetching.clear();
  }

  /** Books an announcement against the peer's budget; a peer over it is flooding (rate-exceeded). */
  private charge(keys: readonly string[]): void {
    let chars = ANNOUNCE_MESSAGE_COST;
    for (const k of keys) chars += k.length;
    if (this.budget.take(chars) > 0) {
      throw new SwarmError('rate-exceeded', 'peer sends announcements too fast', { limitCharsPerSec: this.charsPerSec });
    }
  }
}
