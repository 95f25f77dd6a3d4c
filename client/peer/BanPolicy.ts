import type { SwarmErrorCode } from '../../core/SwarmError';

/** Peers banned at once at most; past it the oldest ban is dropped (peer ids are random per page: memory, not safety). */
export const BANS_MAX = 1024;
/** How long a ban lasts: a peer that broke the protocol, its bounds or our trust is not heard again for an hour. */
export const BAN_MS = 60 * 60 * 1000;
/** Reasons a link closes for which its peer is banned (it broke the protocol or its bounds). */
const BANNED_FOR: ReadonlySet<string> = new Set(['protocol-violation', 'size-exceeded', 'rate-exceeded', 'too-many-requests']);

export interface BanPolicyOptions {
  /** @default BANS_MAX */
  maxBans?: number;
  /** @default BAN_MS */
  banMs?: number;
}

/**
 * Which peers this page will not hear: bounded (at most `maxBans`, the oldest dropped first) and expiring (`banMs`
 * after the ban). A peer id is a PeerJS id, fresh for each page load, so a long ban buys little, and a set that
 * only grows costs memory in a long session; an hour outlasts any honest reason to reconnect to a peer that
 * misbehaved (its own session usually ends first). Banning again renews the ban.
 */
export class BanPolicy {
  /** Peer id → when its ban ends, in the order the bans were made (oldest first). */
  private readonly until = new Map<string, number>();
  private readonly maxBans: number;
  private readonly banMs: number;

  constructor(
    private readonly now: () => number,
    options: BanPolicyOptions = {},
  ) {
    this.maxBans = Math.max(1, options.maxBans ?? BANS_MAX);
    this.banMs = Math.max(0, options.banMs ?? BAN_MS);
  }

  /** Whether a link that closed for `reason` bans its peer (a protocol or bounds violation). */
  static bansFor(reason: string): reason is SwarmErrorCode {
    return BANNED_FOR.has(reason);
  }

  /** Peers banned now (expired bans are not counted). */
  get size(): number {
    this.expire();
    return this.until.size;
  }

  /** Bans a peer for `banMs` from now (`reason` is why: any code; a repeat renews the ban). */
  ban(peerId: string, _reason: SwarmErrorCode): void {
    this.until.delete(peerId); // re-inserted as the newest
    this.until.set(peerId, this.now() + this.banMs);
    this.expire();
    while (this.until.size > this.maxBans) this.until.delete(this.until.keys().next().value as string);
  }

  has(peerId: string): boolean {
    const until = this.until.get(peerId);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(peerId);
    return false;
  }

  /** Ends one peer's ban now. */
  lift(peerId: string): void {
    this.until.delete(peerId);
  }

  clear(): void {
    this.until.clear();
  }

  /** Drops the bans that ended (the oldest come first, and every ban lasts as long: stop at the first live one). */
  private expire(): void {
    const now = this.now();
    for (const [id, until] of this.until) {
      if (until > now) return;
      this.until.delete(id);
    }
  }
}
