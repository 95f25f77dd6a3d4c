/**
 * Charged per queued message on top of its bytes: the parsed message object, its queue and map entries in PeerJS.
 * It also bounds the count of tiny messages the byte budget admits.
 */
export const QUEUED_MESSAGE_OVERHEAD_BYTES = 1024;

export interface AbsentPeerBudgetOptions {
  /** Messages one client (address group) may have queued at once; 0 = none. */
  maxPerClient: number;
  /** Bytes (message + QUEUED_MESSAGE_OVERHEAD_BYTES each) queued over all clients at once; 0 = none. */
  maxTotalBytes: number;
  /** How long PeerJS may keep a queued message: it is counted that long, delivered or not. */
  holdMs: number;
  /** Monotonic clock (ms). @default performance.now */
  now?: () => number;
}

interface Entry {
  client: string;
  charge: number;
  until: number;
}

/** Most entries dropped from the front of the list before it is compacted. */
const COMPACT_AFTER = 1024;

/**
 * What the PeerJS server may queue for peer ids that are not connected (it keeps OFFER/ANSWER/CANDIDATE messages
 * for an absent id until it connects, or about `expire_timeout` + `cleanup_out_msgs`): each message let through to
 * it is counted for `holdMs`, per client and in bytes over all; `admit` says no past either bound. Memory is bounded
 * by the bounds themselves (at most maxTotalBytes / QUEUED_MESSAGE_OVERHEAD_BYTES entries).
 */
export class AbsentPeerBudget {
  private readonly entries: Entry[] = [];
  private head = 0;
  private readonly perClient = new Map<string, number>();
  private bytes = 0;
  private readonly now: () => number;

  constructor(private readonly options: AbsentPeerBudgetOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Books one message of `messageBytes` from `client` for an absent peer; false (nothing booked) past a bound. */
  admit(client: string, messageBytes: number): boolean {
    const t = this.now();
    this.expire(t);
    const charge = messageBytes + QUEUED_MESSAGE_OVERHEAD_BYTES;
    const count = this.perClient.get(client) ?? 0;
    if (count >= this.options.maxPerClient || this.bytes + charge > this.options.maxTotalBytes) return false;
    this.perClient.set(client, count + 1);
    this.bytes += charge;
    this.entries.push({ client, charge, until: t + this.options.holdMs });
    return true;
  }

  /** Bytes booked now (messages and their overhead). */
  get queuedBytes(): number {
    this.expire(this.now());
    return this.bytes;
  }

  private expire(t: number): void {
    while (this.head < this.entries.length && (this.entries[this.head] as Entry).until <= t) {
      const { client, charge } = this.entries[this.head++] as Entry;
      this.bytes -= charge;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    }
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}
