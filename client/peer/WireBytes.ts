import type { StatsSource } from './isRelayed';

/** How often the connections' wire counters are read while the page uploads. */
const POLL_MS = 200;

/**
 * Less than this on the wire between two readings: the line was idle, so nothing is queued beyond the channels (see
 * backlogBytes). A backlogged 0.5 Mbit/s uplink carries 12.5 KB in a poll.
 */
const IDLE_BYTES = 2048;

/** What the page's connections had sent, and when that was read. */
export interface WireReading {
  bytes: number;
  at: number;
  /**
   * Bytes handed to the links and not on the wire yet, as of `handed` (see WireBytes.backlogBytes); absent when not
   * tracked.
   */
  backlogBytes?: number;
  /** The page's count of bytes handed to its links (see WireBytes's `handed`) when the reading began. */
  handed?: number;
}

/** A link whose connection's wire counter can be read. */
export interface WireLink {
  /** Bytes queued in the link's data channel, not sent yet (the poll runs while some link has any). */
  readonly sendBufferedBytes: number;
  /** Segment bytes the page handed to the link's channel so far (see WireBytes.backlogBytes); absent: not counted. */
  readonly uploadedBytes?: number;
  /** Bytes its connection's transport has sent so far; null when it cannot tell. */
  wireBytesSent?(): Promise<number | null>;
}

/** What one link's counters said at its last reading. */
interface LinkReading {
  wire: number;
  handed: number;
  backlog: number;
}

/**
 * What this page's connections have put on the wire, summed over its links and kept across links that close (each
 * link counted from its first reading on): read every POLL_MS while any link has bytes queued in its channel or, by
 * the wire's count, below it (backlogBytes), and not at all while the page does not upload (`getStats()` is not free). `total` is null until a reading came, or when no link can
 * tell (a browser without transport stats).
 */
export class WireBytes {
  private readonly last = new WeakMap<WireLink, LinkReading>();
  private sum: number | null = null;
  private sumAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private polling = false;
  private destroyed = false;
  private backlog = 0;
  /** `handed` at the last reading. */
  private handedAtRead = 0;

  /**
   * `handed`: bytes the page has handed to its links so far, given with each reading (see WireReading.handed).
   * `onReading`: called after each reading that counted a link's wire (the meter samples the line then, not only when
   * the page next sends).
   */
  constructor(
    private readonly links: Iterable<WireLink>,
    private readonly now: () => number = Date.now,
    private readonly handed: () => number = () => 0,
    private readonly onReading: () => void = () => {},
  ) {}

  get total(): number | null {
    return this.sum;
  }

  /**
   * Bytes handed to the links and not yet on the wire, at the last reading, summed over the links read: what their
   * channels queue, and what the SCTP send buffers under them took — a whole segment at once, so that the channels
   * looked empty while the line still had half a second of it to carry (a 2 Mbit/s uplink serving three viewers
   * never looked busy, was never measured, and every upload was admitted). Per link, the segment bytes handed to it
   * (`uploadedBytes`) less what its transport carried since the last reading (at its first reading, all it ever
   * sent: handshake and control bytes make the backlog smaller, never larger); retransmissions and headers count on
   * the wire too, so it errs low. A link whose wire did not move in a poll is idle: its backlog is what its channel
   * queues. A link that closes takes its backlog with it.
   */
  get backlogBytes(): number {
    return this.backlog;
  }

  /**
   * `total` with the time it was read (when its `getStats()` answered): a rate must divide by the time between two
   * readings, not between two looks at them — on a loaded machine `getStats()` answers late, and a look 200 ms after
   * the last that finds a reading covering 600 ms would count three times the line's rate.
   */
  get reading(): WireReading | null {
    return this.sum === null ? null : { bytes: this.sum, at: this.sumAt, backlogBytes: this.backlog, handed: this.handedAtRead };
  }

  /** The page handed bytes to a link: reads the counters now and then, until no link has anything queued or owed. */
  busy(): void {
    if (this.destroyed || this.timer || this.polling) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.read();
    }, POLL_MS);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async read(): Promise<void> {
    this.polling = true;
    let queued = 0;
    let backlog = 0;
    let counted = false;
    const handed = this.handed();
    const reads: Promise<void>[] = [];
    for (const link of this.links) {
      const channel = link.sendBufferedBytes;
      queued += channel;
      if (!link.wireBytesSent) {
        backlog += channel;
        continue;
      }
      const uploaded = link.uploadedBytes;
      reads.push(
        link.wireBytesSent().then(
          (bytes) => {
            if (bytes === null || !Number.isFinite(bytes) || bytes < 0) return void (backlog += channel);
            counted = true;
            const before = this.last.get(link);
            const moved = before === undefined ? bytes : Math.max(0, bytes - before.wire);
            this.sum = (this.sum ?? 0) + (before === undefined ? 0 : moved);
            const sent = uploaded === undefined ? 0 : uploaded - (before?.handed ?? 0);
            const owed = uploaded === undefined || (before !== undefined && moved < IDLE_BYTES) ? channel : Math.max(channel, (before?.backlog ?? 0) + sent - moved);
            this.last.set(link, { wire: bytes, handed: uploaded ?? 0, backlog: owed });
            backlog += owed;
          },
          () => void (backlog += channel),
        ),
      );
    }
    await Promise.all(reads);
    this.sumAt = this.now();
    this.backlog = backlog;
    this.handedAtRead = handed;
    this.polling = false;
    if (this.destroyed) return;
    if (counted) this.onReading();
    if (queued > 0 || backlog > 0) this.busy();
  }
}

/** Bytes a connection's transport has sent (Chromium: `transport`; else the selected candidate pair); null when unknown. */
export async function transportBytesSent(pc: StatsSource | undefined): Promise<number | null> {
  if (!pc) return null;
  const report = await pc.getStats();
  let transport: number | null = null;
  let pair: number | null = null;
  report.forEach((s) => {
    const sent = (s as { bytesSent?: unknown }).bytesSent;
    if (typeof sent !== 'number') return;
    if (s.type === 'transport') transport = (transport ?? 0) + sent;
    else if (s.type === 'candidate-pair' && (s.selected || s.nominated) && s.state === 'succeeded') pair ??= sent;
  });
  return transport ?? pair;
}
