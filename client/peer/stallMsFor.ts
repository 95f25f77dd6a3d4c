/** A transfer's silence limit grows with its deadline (see stallMsFor), up to this. */
const MAX_STALL_MS = 3000;

/**
 * How long a transfer with a `timeoutMs` deadline may go without a byte: `stallMs`, or an eighth of its deadline
 * when that is longer (at most MAX_STALL_MS). A prefetch given 10 s waits out a 1 s pause of a peer whose uplink
 * serves others too; a player's 2 s try keeps the short limit (on 10/2 Mbit/s lines prefetches from peers serving
 * two viewers stalled at 750 ms, and a peer that never completed a transfer counted as a rate of 0).
 *
 * The asker's rule (Downloads), and the holder's reading of it (Uploads): an upload whose first bytes could not
 * leave before its asker's silence ends is refused rather than started.
 */
export function stallMsFor(stallMs: number, timeoutMs: number): number {
  return Math.max(stallMs, Math.min(MAX_STALL_MS, Math.floor(timeoutMs / 8)));
}
