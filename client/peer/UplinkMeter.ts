import type { WireReading } from './WireBytes';

/** A rate sample needs this much queued in the page's data channels at both of its ends (the uplink was busy). */
const BUSY_BYTES = 16 * 1024;
/** What the page's data channels may queue, in time at the measured rate (see highWaterBytes). */
const QUEUE_MS = 250;
/** ...never less than this (two frames: the line never waits for the page to hand it more). */
const MIN_HIGH_WATER_BYTES = 32 * 1024;
/** ...and before the uplink was measured: enough to measure it (on 0.5 Mbit/s, 2 s). */
const UNMEASURED_HIGH_WATER_BYTES = 128 * 1024;
/** Shortest interval between two samples. */
const SAMPLE_MS = 200;
/**
 * Longest: over a longer one the line may have run dry in between, though busy at both ends (live: a burst of
 * uploads every 2 s, looked at only when the next began, made samples of 1–1.2 s at a third of a 2 Mbit/s line).
 */
const MAX_SAMPLE_MS = 1000;
/** Without a sample for this long, the estimate grows by RELAX_FACTOR (a link that got faster is tried again). */
const RELAX_MS = 10_000;
/**
 * A quarter, not a doubling: uploads refused on a slow line take no sample, and a doubling every 10 s had a 1 Mbit/s
 * uplink estimated at 2–4 Mbit/s again within 20 s, admitting uploads its askers then gave up halfway.
 */
const RELAX_FACTOR = 1.25;
/** A transfer given up as late (see late) lowers the estimate by this factor... */
const LATE_FACTOR = 0.75;
/** ...at most once in this long (the transfers one slow moment fails together lower it once). */
const LATE_GAP_MS = 1000;
/** The estimate a late transfer leaves is never under this (bytes per ms: 32 kbit/s)... */
const MIN_RATE = 4;
/**
 * ...nor under this share of what the wire samples say: they overcount at most about twice (1.5–2 times the uplink
 * on 16/1 and 10/2 Mbit/s lab lines). Without it, live on 10/2 Mbit/s lines, where askers give up for their own short
 * deadlines too, late transfers one after another took a 2 Mbit/s uplink's estimate to 0.25 Mbit/s, and offload fell
 * from 43–57 % to 30–40 %.
 */
const LATE_FLOOR_SHARE = 0.5;

/**
 * What this page's uplink carries, measured from its own data channels: bytes handed to them minus what they still
 * buffer is what left the page — or, better, when `wire` reads it, what the connections' transports put on the wire
 * (`getStats()` `bytesSent`): the channels' `bufferedAmount` leaves out the SCTP send buffer under them, which took
 * whole segments at once and made the estimate 1–9 Mbit/s on 0.5–2 Mbit/s lines. Over an interval in which the channels stayed backlogged at both ends (≥ BUSY_BYTES
 * queued), what left is what the line could carry: the rate, an EWMA (0.7 old, 0.3 new) in bytes per ms. Until the
 * uplink has been busy once, there is no estimate (a fast line may never be). An estimate not renewed for
 * RELAX_MS grows by a quarter, so an estimate made on a congested moment does not refuse uploads for good.
 *
 * `waitMs(bytes)` — how long `bytes` more would take to leave behind what is queued now — lets uploads that cannot
 * finish in time be refused before they start, instead of being abandoned by their askers halfway (on a 1 Mbit/s
 * uplink a 380 KB segment takes 3 s; measured: all of 15 MB uploaded on dsl lines wasted).
 *
 * What the page puts on the wire is not what arrives: packets a full queue on the line dropped are counted, and sent
 * again. On 16/1 and 10/2 Mbit/s lab lines the estimate was 1.5–2 times the uplink (182–233 KB/s on 1 Mbit/s), and
 * uploads were admitted that their askers gave up, 1.7–2.8 MB per run. So the askers' word counts too: a transfer
 * given up as late (`late`) lowers the estimate by LATE_FACTOR and caps later samples there; the cap relaxes by
 * RELAX_FACTOR every RELAX_MS, as the estimate does. An unmeasured uplink stays so: a late transfer does not say how
 * fast it is (its asker's deadline, machine or downlink may be what was short), and a fast line must never be held
 * back by a guess (on a LAN, one stalled transfer would have set it to tens of KB/s for minutes).
 */
export class UplinkMeter {
  private handed = 0;
  private rate: number | null = null;
  private at: number;
  private left = 0;
  /** When `left` was read (the wire's reading time; the sample's otherwise). */
  private leftAt: number;
  private queued = 0;
  private ratedAt: number;
  /** Whether `left` was read from the wire (samples never mix the two readings). */
  private leftFromWire = false;
  /** What samples may not exceed since a late transfer (see late), and when it was set; Infinity: none. */
  private ceiling = Infinity;
  private ceilingAt = 0;
  private lateAt = -Infinity;
  /** The samples' own EWMA, uncapped by late transfers (see late: what they lower the estimate to at most). */
  private measured: number | null = null;

  /**
   * `buffered`: bytes queued now in this page's open data channels, summed. `wire`: bytes the page's connections have
   * put on the wire so far, and when that was read (latest reading; null while unknown): the rate divides by the
   * time between readings.
   */
  constructor(
    private readonly buffered: () => number,
    private readonly now: () => number,
    private readonly wire: () => WireReading | null = () => null,
  ) {
    this.at = now();
    this.leftAt = this.at;
    this.ratedAt = this.at;
  }

  /** Bytes per ms the uplink carried when busy (relaxed while unmeasured); null before it was ever busy. */
  get bytesPerMs(): number | null {
    this.sample();
    return this.rate;
  }

  /** Bytes handed to the data channels so far (see WireBytes's `handed`). */
  get handedBytes(): number {
    return this.handed;
  }

  /** A new wire reading came: samples the line now (see MAX_SAMPLE_MS). */
  observe(): void {
    this.sample();
  }

  /** `bytes` were handed to a data channel. */
  sent(bytes: number): void {
    this.sample();
    this.handed += bytes;
  }

  /**
   * What one of `busyLinks` data channels may queue before its sender waits, at most `max`: QUEUE_MS of the measured
   * rate, shared among the links sending now. Everything a link sends — its answers, `absent`, news — waits behind
   * that queue: with the 1 MiB default alone, a 0.5 Mbit/s uplink made an `absent` wait 16 s.
   */
  highWaterBytes(max: number, busyLinks = 1): number {
    const rate = this.bytesPerMs;
    if (rate === null) return Math.min(max, UNMEASURED_HIGH_WATER_BYTES);
    const share = (rate * QUEUE_MS) / Math.max(1, busyLinks);
    return Math.floor(Math.min(max, Math.max(MIN_HIGH_WATER_BYTES, share)));
  }

  /** An asker gave up a transfer of ours as late: the uplink carries less than estimated (see the class comment). */
  late(): void {
    this.sample();
    const t = this.now();
    if (this.rate === null || t - this.lateAt < LATE_GAP_MS) return;
    this.lateAt = t;
    const floor = Math.max(MIN_RATE, (this.measured ?? 0) * LATE_FLOOR_SHARE);
    if (this.rate <= floor) return;
    this.rate = Math.max(floor, this.rate * LATE_FACTOR);
    this.ratedAt = t;
    this.ceiling = this.rate;
    this.ceilingAt = t;
  }

  /** The cap a late transfer set, relaxed by RELAX_FACTOR per RELAX_MS since (see late). */
  private ceilingNow(t: number): number {
    if (this.ceiling === Infinity) return Infinity;
    const k = Math.floor((t - this.ceilingAt) / RELAX_MS);
    return k > 0 ? this.ceiling * RELAX_FACTOR ** k : this.ceiling;
  }

  /** How long until `bytes` more would have left, behind what is queued now; 0 without an estimate. */
  waitMs(bytes: number): number {
    this.sample();
    if (this.rate === null || this.rate <= 0) return 0;
    return Math.ceil((Math.max(0, this.buffered(), this.backlogNow(this.rate)) + bytes) / this.rate);
  }

  /**
   * What the wire's last reading left queued below the channels (see WireBytes.backlogBytes), plus what was handed
   * since, less what the line carried since at `rate`.
   */
  private backlogNow(rate: number): number {
    const r = this.wire();
    if (r?.backlogBytes === undefined || r.handed === undefined) return 0;
    return r.backlogBytes + Math.max(0, this.handed - r.handed) - rate * Math.max(0, this.now() - r.at);
  }

  private sample(): void {
    const t = this.now();
    if (t - this.at < SAMPLE_MS) return;
    const wire = this.wire();
    const fromWire = wire !== null;
    // busy: bytes queued in the channels, or (read from the wire) below them too
    const queued = Math.max(0, this.buffered(), wire?.backlogBytes ?? 0);
    const left = fromWire ? wire.bytes : this.handed - queued;
    const leftAt = fromWire ? wire.at : t;
    const sameReading = fromWire === this.leftFromWire;
    this.leftFromWire = fromWire;
    const span = leftAt - this.leftAt;
    if (sameReading && this.queued >= BUSY_BYTES && queued >= BUSY_BYTES && left > this.left && span > 0 && span <= MAX_SAMPLE_MS) {
      const measured = (left - this.left) / span;
      this.measured = this.measured === null ? measured : 0.7 * this.measured + 0.3 * measured;
      const r = Math.min(this.ceilingNow(t), measured);
      this.rate = this.rate === null ? r : 0.7 * this.rate + 0.3 * r;
      this.ratedAt = t;
    } else if (this.rate !== null && t - this.ratedAt >= RELAX_MS) {
      this.rate *= RELAX_FACTOR ** Math.floor((t - this.ratedAt) / RELAX_MS);
      this.ratedAt = t;
    }
    this.at = t;
    this.left = left;
    this.leftAt = leftAt;
    this.queued = queued;
  }
}
