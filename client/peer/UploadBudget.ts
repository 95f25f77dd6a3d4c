import { TokenBucket } from '../TokenBucket';
import { UplinkMeter } from './UplinkMeter';
import { WireBytes, type WireLink } from './WireBytes';

/** What the budget reads of each of the page's links: what its channel queues, and what its connection sent. */
export type SendingLink = WireLink;

/**
 * This page's uploads over all its links: the `uploadMaxBytesPerSec` cap (a token bucket) and the uplink as the
 * uploads measured it (UplinkMeter) — how long a transfer would wait now, and how much one link may queue.
 */
export class UploadBudget {
  private readonly cap: TokenBucket;
  private readonly uplink: UplinkMeter;
  private readonly wire: WireBytes;
  /** Bytes promised to uploads under way and not yet handed to a channel (see promise). */
  private promisedBytes = 0;

  constructor(maxBytesPerSec: number, private readonly links: Iterable<SendingLink>, now: () => number) {
    this.cap = new TokenBucket(maxBytesPerSec, now);
    this.wire = new WireBytes(links, now, () => this.uplink.handedBytes, () => this.uplink.observe());
    this.uplink = new UplinkMeter(
      () => {
        let queued = 0;
        for (const l of links) queued += l.sendBufferedBytes;
        return queued;
      },
      now,
      () => this.wire.reading,
    );
  }

  /** Books `bytes` against the cap: milliseconds to wait before sending them (0: at once). */
  take(bytes: number): number {
    return this.cap.take(bytes);
  }

  /** Milliseconds the cap would hold a `bytes` transfer back now (nothing booked). */
  capWaitMs(bytes: number): number {
    return this.cap.waitFor(bytes);
  }

  /**
   * Milliseconds until `bytes` more would have left the uplink, behind what the links queue now and what uploads
   * under way still owe it (see promise); 0 unmeasured.
   */
  uplinkWaitMs(bytes: number): number {
    return this.uplink.waitMs(this.promisedBytes + bytes);
  }

  /**
   * `deltaBytes` more (or fewer) promised to uploads and not handed to a channel yet. An upload admitted is owed in
   * full until its frames are handed on, while the channels queue only a quarter second of it: counted by what they
   * queue alone, a page on a 2 Mbit/s uplink serving three viewers admitted a fourth's request, and every transfer
   * then ran late (its asker gave it up halfway, the bytes sent so far wasted).
   */
  promise(deltaBytes: number): void {
    if (!Number.isFinite(deltaBytes)) return;
    this.promisedBytes = Math.max(0, this.promisedBytes + deltaBytes);
  }

  /**
   * What one link may queue before its sender waits, at most `max`: a short time of the measured uplink, shared by
   * the links sending now — what else a link says is not stuck behind it.
   */
  highWaterBytes(max: number): number {
    let sending = 0;
    for (const l of this.links) if (l.sendBufferedBytes > 0) sending++;
    return this.uplink.highWaterBytes(max, Math.max(1, sending));
  }

  /** A transfer of ours was given up as late by its asker (see UplinkMeter.late). */
  late(): void {
    this.uplink.late();
  }

  /** `bytes` were handed to a link's data channel. */
  sent(bytes: number): void {
    this.uplink.sent(bytes);
    this.wire.busy();
  }

  /** Stops reading the connections' counters. */
  destroy(): void {
    this.wire.destroy();
  }

  /** The uplink as the uploads measured it (bytes/s when busy), or null before it was ever busy. */
  get uplinkBytesPerSec(): number | null {
    const r = this.uplink.bytesPerMs;
    return r === null ? null : Math.round(r * 1000);
  }
}
