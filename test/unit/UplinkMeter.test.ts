import { describe, expect, it } from 'vitest';
import { UplinkMeter } from '../../client/peer/UplinkMeter';

/** A page's data channels as the meter sees them: bytes handed, bytes still queued, a clock. */
function uplink() {
  const s = { t: 0, queued: 0 };
  const meter = new UplinkMeter(() => s.queued, () => s.t);
  /** `bytes` handed to the channels now (they queue). */
  const send = (bytes: number) => {
    meter.sent(bytes);
    s.queued += bytes;
  };
  /** `ms` pass while the line carries `bytesPerMs` of what is queued. */
  const pass = (ms: number, bytesPerMs: number) => {
    s.t += ms;
    s.queued = Math.max(0, s.queued - ms * bytesPerMs);
  };
  return { s, meter, send, pass };
}

describe('UplinkMeter', () => {
  it('has no estimate, and holds nothing back, before the uplink was ever busy', () => {
    const { meter, send, pass } = uplink();
    for (let i = 0; i < 20; i++) {
      send(16 * 1024); // each leaves before the next: never ≥ 32 KiB queued
      pass(250, 1000);
    }
    expect(meter.bytesPerMs).toBeNull();
    expect(meter.waitMs(400_000)).toBe(0);
  });

  it('measures a busy 1 Mbit/s uplink: 125 B/ms', () => {
    const { meter, send, pass } = uplink();
    send(600_000); // a backlog that lasts ~4.8 s on this line
    for (let i = 0; i < 10; i++) {
      pass(250, 125);
      meter.sent(0); // any event samples
    }
    expect(meter.bytesPerMs).toBeCloseTo(125, 0);
  });

  it('waitMs counts what is queued now plus the new bytes at the measured rate: 380 KB behind 200 KB on 1 Mbit/s, ~4.6 s', () => {
    const { s, meter, send, pass } = uplink();
    send(600_000);
    for (let i = 0; i < 10; i++) {
      pass(250, 125);
      meter.sent(0);
    }
    s.queued = 200_000;
    expect(meter.waitMs(380_000)).toBeGreaterThan(4500);
    expect(meter.waitMs(380_000)).toBeLessThan(4800);
  });

  it('takes no sample from an interval in which the channels ran dry (that is demand, not the line)', () => {
    const { meter, send, pass } = uplink();
    send(600_000);
    for (let i = 0; i < 4; i++) {
      pass(250, 125);
      meter.sent(0);
    }
    const busy = meter.bytesPerMs!;
    send(40_000);
    pass(250, 10_000); // drained at once: a fast moment, queue empty at the end
    meter.sent(0);
    expect(meter.bytesPerMs).toBe(busy);
  });

  it('follows a line that got faster, and relaxes an estimate not renewed for 10 s (by a quarter), so uploads are tried again', () => {
    const { meter, send, pass } = uplink();
    send(300_000);
    for (let i = 0; i < 8; i++) {
      pass(250, 125);
      meter.sent(0);
    }
    const slow = meter.bytesPerMs!;
    expect(slow).toBeCloseTo(125, 0);
    pass(10_000, 125); // nothing queued, no sample for 10 s
    expect(meter.bytesPerMs).toBeCloseTo(1.25 * slow, 5);
    send(2_000_000);
    for (let i = 0; i < 20; i++) {
      pass(250, 1250);
      meter.sent(0);
    }
    expect(meter.bytesPerMs!).toBeGreaterThan(1000);
  });

  it('highWaterBytes: 128 KiB before a measure; then 250 ms of the rate shared by the links sending, 32 KiB at least, never above the configured bound', () => {
    const { meter, send, pass } = uplink();
    expect(meter.highWaterBytes(1024 * 1024)).toBe(128 * 1024);
    expect(meter.highWaterBytes(64 * 1024)).toBe(64 * 1024);
    send(2_000_000);
    for (let i = 0; i < 10; i++) {
      pass(250, 1250); // 10 Mbit/s
      meter.sent(0);
    }
    const hw = meter.highWaterBytes(1024 * 1024);
    expect(hw).toBeGreaterThan(0.95 * 250 * 1250);
    expect(hw).toBeLessThan(1.05 * 250 * 1250);
    expect(meter.highWaterBytes(1024 * 1024, 4)).toBe(Math.floor(hw / 4));
    expect(meter.highWaterBytes(100_000)).toBe(100_000);
    expect(meter.highWaterBytes(1024 * 1024, 1000)).toBe(32 * 1024);
  });

  it('reads the rate from the wire when it can, not from what the SCTP buffer under the channels took', () => {
    // the channels drain at 250 B/ms into a growing SCTP buffer; the wire carries 62.5 B/ms (0.5 Mbit/s)
    const s = { t: 0, channel: 900_000, wire: 0 };
    const meter = new UplinkMeter(() => s.channel, () => s.t, () => ({ bytes: s.wire, at: s.t }));
    meter.sent(900_000);
    for (let i = 0; i < 12; i++) {
      s.t += 250;
      s.channel -= 250 * 250;
      s.wire += 250 * 62.5;
      meter.sent(0);
    }
    expect(meter.bytesPerMs).toBeCloseTo(62.5, 0);
    // the same channels read alone: what left the channels, four times the line
    const c = { t: 0, channel: 900_000 };
    const blind = new UplinkMeter(() => c.channel, () => c.t);
    blind.sent(900_000);
    for (let i = 0; i < 12; i++) {
      c.t += 250;
      c.channel -= 250 * 250;
      blind.sent(0);
    }
    expect(blind.bytesPerMs).toBeCloseTo(250, 0);
  });

  it('never mixes a wire reading with a channel reading in one sample', () => {
    const s = { t: 0, queued: 0, wire: null as number | null };
    const meter = new UplinkMeter(() => s.queued, () => s.t, () => (s.wire === null ? null : { bytes: s.wire, at: s.t }));
    meter.sent(600_000);
    s.queued = 600_000;
    s.t += 250;
    s.queued -= 250 * 125;
    meter.sent(0); // a channel reading: handed − queued = 31 250
    s.t += 250;
    s.queued -= 250 * 125;
    s.wire = 5_000_000; // the first wire reading, far from the channels' count
    meter.sent(0);
    expect(meter.bytesPerMs).toBeNull();
    s.t += 250;
    s.queued -= 250 * 125;
    s.wire += 250 * 125;
    meter.sent(0);
    expect(meter.bytesPerMs).toBeCloseTo(125, 0);
  });

  it('divides what the wire carried by the time between its readings, not between looks at them (getStats() late)', () => {
    // the line carries 125 B/ms (1 Mbit/s); the counters are read every 600 ms, the meter looks every 200 ms
    const s = { t: 0, queued: 600_000, wire: { bytes: 0, at: 0 } };
    const meter = new UplinkMeter(() => s.queued, () => s.t, () => s.wire);
    meter.sent(600_000);
    for (let i = 1; i <= 24; i++) {
      s.t += 200;
      s.queued -= 200 * 125;
      if (i % 3 === 0) s.wire = { bytes: s.t * 125, at: s.t };
      meter.sent(0);
    }
    expect(meter.bytesPerMs).toBeCloseTo(125, 0);
  });
});

describe('UplinkMeter: the backlog below the channels', () => {
  /**
   * A 2 Mbit/s uplink (250 B/ms) whose channels hand everything at once to the SCTP buffer under them: they queue
   * nothing, and only the wire's reading says what is still to go (WireBytes.backlogBytes).
   */
  function sctp() {
    const s = { t: 0, handed: 0, wire: 0, at: 0, handedAtRead: 0 };
    const meter = new UplinkMeter(() => 0, () => s.t, () => ({
      bytes: s.wire, at: s.at, backlogBytes: Math.max(0, s.handedAtRead - s.wire), handed: s.handedAtRead,
    }));
    const send = (bytes: number) => {
      meter.sent(bytes);
      s.handed += bytes;
    };
    /** `ms` pass; the line carries 250 B/ms of what is left; the counters are read at the end. */
    const pass = (ms: number) => {
      s.t += ms;
      s.wire = Math.min(s.handed, s.wire + ms * 250);
      s.at = s.t;
      s.handedAtRead = s.handed;
      meter.sent(0);
    };
    return { s, meter, send, pass };
  }

  it('measures a line whose channels never queue, from what the wire still owes', () => {
    const { meter, send, pass } = sctp();
    // three viewers' 60 KB segments at once: 720 ms of the line
    send(60_000);
    send(60_000);
    send(60_000);
    for (let i = 0; i < 3; i++) pass(200);
    expect(meter.bytesPerMs).toBeCloseTo(250, 0);
  });

  it('waitMs counts what the wire still owes and what was handed since its reading: ~1 s, not the 240 ms of one segment', () => {
    const { meter, send, pass } = sctp();
    for (let i = 0; i < 3; i++) send(60_000);
    pass(200);
    pass(200);
    // 80 KB of the three still to go at the reading, 120 KB handed since, then 60 KB more: 260 KB at 250 B/ms
    for (let i = 0; i < 2; i++) send(60_000);
    expect(meter.waitMs(60_000)).toBe(1040);
  });

  it('takes no sample over more than a second, though busy at both ends: the line may have run dry in between', () => {
    const { s, meter, send } = sctp();
    // a burst, carried in 720 ms; 1.2 s later the next burst, looked at only then
    for (let i = 0; i < 3; i++) send(60_000);
    s.t += 200;
    s.wire = 50_000;
    s.at = s.t;
    s.handedAtRead = s.handed;
    meter.sent(0);
    send(180_000);
    s.t += 1200;
    s.wire = 180_000 + 50_000;
    s.at = s.t;
    s.handedAtRead = s.handed;
    meter.sent(0); // 180 KB in 1.2 s: a third of the line
    expect(meter.bytesPerMs).toBeNull();
  });

  it('takes no sample while the wire owes less than a busy line would (it was demand, not the line)', () => {
    const { meter, send, pass } = sctp();
    for (let i = 0; i < 10; i++) {
      send(8_000); // a small answer now and then: never 16 KB owed
      pass(200);
    }
    expect(meter.bytesPerMs).toBeNull();
  });
});

describe('UplinkMeter: transfers given up as late', () => {
  /** A meter that measured a backlogged line at `bytesPerMs` for 2.5 s. */
  const measuredAt = (bytesPerMs: number) => {
    const u = uplink();
    u.send(bytesPerMs * 5000);
    for (let i = 0; i < 10; i++) {
      u.pass(250, bytesPerMs);
      u.meter.sent(0);
    }
    return u;
  };

  it('a late transfer lowers the estimate by a quarter, once for the transfers of one slow moment', () => {
    const { s, meter } = measuredAt(250); // the wire said 2 Mbit/s
    const before = meter.bytesPerMs!;
    meter.late();
    expect(meter.bytesPerMs).toBeCloseTo(before * 0.75, 5);
    meter.late(); // the same moment: no further
    expect(meter.bytesPerMs).toBeCloseTo(before * 0.75, 5);
    s.t += 1000;
    meter.late();
    expect(meter.bytesPerMs).toBeCloseTo(before * 0.75 * 0.75, 5);
  });

  it('caps the samples that follow (the wire keeps overcounting), and the cap relaxes by a quarter every 10 s', () => {
    const { s, meter, send, pass } = measuredAt(250);
    meter.late();
    const capped = meter.bytesPerMs!;
    // the wire goes on saying 250 B/ms: the estimate stays at the cap
    send(2_000_000);
    for (let i = 0; i < 20; i++) {
      pass(250, 250);
      meter.sent(0);
    }
    expect(meter.bytesPerMs).toBeLessThanOrEqual(capped + 1e-9);
    // 10 s after the late transfer the cap is a quarter higher, and samples reach it
    s.t += 5000;
    for (let i = 0; i < 12; i++) {
      pass(250, 250);
      meter.sent(0);
    }
    expect(meter.bytesPerMs).toBeGreaterThan(capped * 1.1);
    expect(meter.bytesPerMs).toBeLessThanOrEqual(capped * 1.25 ** 2 + 1e-9);
  });

  it('an unmeasured uplink stays unmeasured: a late transfer does not say how fast it is, and a fast line is never held back by a guess', () => {
    const { meter } = uplink();
    meter.late();
    expect(meter.bytesPerMs).toBeNull();
    expect(meter.waitMs(400_000)).toBe(0);
  });

  it('never under half of what the wire samples say (they overcount at most about twice), nor 32 kbit/s', () => {
    const { s, meter } = measuredAt(250);
    for (let i = 0; i < 10; i++) {
      meter.late();
      s.t += 1000;
    }
    expect(meter.bytesPerMs).toBeCloseTo(125, 5);
    const slow = measuredAt(6);
    for (let i = 0; i < 10; i++) {
      slow.meter.late();
      slow.s.t += 1000;
    }
    expect(slow.meter.bytesPerMs).toBe(4);
  });
});
