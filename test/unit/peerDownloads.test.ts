/**
 * client/peer/Downloads: a transfer that, at the rate it has come so far, would end after its deadline is given up
 * at once (peer-timeout, a cancel sent), so the segment can still go to the network in time; one on pace completes.
 * Fake time; the peer is driven by hand.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Downloads } from '../../client/peer/Downloads';
import type { RemoteHaves } from '../../client/peer/RemoteHaves';
import { Throughput } from '../../client/peer/Throughput';
import type { ControlMessage } from '../../client/protocol';

const KEY = 'http://cdn.example/v/seg1.ts';

function downloads() {
  const said: ControlMessage[] = [];
  const throughput = new Throughput(() => Date.now());
  const haves = { onlyFetching: () => false, absent: () => {}, delivered: () => {}, strike: () => {} } as unknown as RemoteHaves;
  const d = new Downloads({
    peer: 'peer-b',
    limits: { segmentMaxBytes: 8 * 1024 * 1024, stallMs: 750, maxRequestsInFlight: 4 },
    haves,
    throughput,
    send: (m) => void said.push(m),
    isOpen: () => true,
    now: () => Date.now(),
  });
  return { d, said, throughput };
}

/** The peer's answer: `send`, 16 KiB frames one every `everyMs`, `done` — until the request is given up. */
async function feed(d: Downloads, id: number, declared: number, everyMs: number): Promise<void> {
  d.onSend({ t: 'send', id, bytes: declared, totalBytes: declared, contentType: null });
  for (let sent = 0; sent < declared; ) {
    await vi.advanceTimersByTimeAsync(everyMs);
    if (d.size === 0) return; // given up: the peer's next frames are the tombstone's business
    const n = Math.min(16 * 1024, declared - sent);
    d.onFrame(id, new Uint8Array(n));
    sent += n;
  }
  d.onDone(id);
}

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('Downloads: late at its own rate', () => {
  it('gives up a 400 KB transfer coming at 64 KB/s with a 3 s deadline once it is clear (≥ 250 ms, ≥ 32 KiB), not at the deadline', async () => {
    const { d, said } = downloads();
    const t0 = Date.now();
    const got = d.request(KEY, 3000).then(() => 'ok', (e: { code: string }) => e.code);
    const settledAt = got.then(() => Date.now() - t0);
    const fed = feed(d, 1, 400 * 1024, 250); // 16 KiB per 250 ms: the whole would take 6.4 s
    expect(await got).toBe('peer-timeout');
    await fed;
    expect(await settledAt).toBeLessThanOrEqual(750);
    // late: the peer's uplink is told it carries less than it thought (see UplinkMeter.late)
    expect(said).toContainEqual({ t: 'cancel', id: 1, late: true });
  });

  it('lets a transfer on pace complete: 400 KB at 160 KB/s within 3 s', async () => {
    const { d, said } = downloads();
    const got = d.request(KEY, 3000).then((r) => r.body.size, (e: { code: string }) => e.code);
    const fed = feed(d, 1, 400 * 1024, 100); // 16 KiB per 100 ms: 2.5 s
    expect(await got).toBe(400 * 1024);
    await fed;
    expect(said.filter((m) => m.t === 'cancel')).toEqual([]);
  });

  it('measures a transfer late at its rate by what came (a slow uplink is not a dead peer); one that sent nothing counts 0', async () => {
    const { d, throughput } = downloads();
    const got = d.request(KEY, 3000).then(() => 'ok', (e: { code: string }) => e.code);
    const fed = feed(d, 1, 400 * 1024, 250); // 64 KiB/s: ~65 B/ms
    expect(await got).toBe('peer-timeout');
    await fed;
    expect(throughput.bytesPerMs).toBeGreaterThan(40);
    expect(throughput.bytesPerMs).toBeLessThan(80);

    const silent = downloads();
    const none = silent.d.request(KEY, 600).then(() => 'ok', (e: { code: string }) => e.code);
    silent.d.onSend({ t: 'send', id: 1, bytes: 400 * 1024, totalBytes: 400 * 1024, contentType: null });
    await vi.advanceTimersByTimeAsync(600);
    expect(await none).toBe('peer-timeout');
    expect(silent.throughput.bytesPerMs).toBe(0);
  });

  it('a transfer with a long deadline waits out a longer silence (an eighth of it, at most 3 s); a short try stalls at p2pStallMs', async () => {
    const silentFor = async (timeoutMs: number, silenceMs: number) => {
      const { d } = downloads();
      const got = d.request(KEY, timeoutMs).then(() => 'ok', (e: { code: string }) => e.code);
      d.onSend({ t: 'send', id: 1, bytes: 32 * 1024, totalBytes: 32 * 1024, contentType: null });
      d.onFrame(1, new Uint8Array(16 * 1024));
      await vi.advanceTimersByTimeAsync(silenceMs);
      if (d.size > 0) {
        d.onFrame(1, new Uint8Array(16 * 1024));
        d.onDone(1);
      }
      return got;
    };
    expect(await silentFor(2000, 800)).toBe('peer-stall'); // 750 ms
    expect(await silentFor(16_000, 1500)).toBe('ok'); // 2 s
    expect(await silentFor(16_000, 2100)).toBe('peer-stall');
    expect(await silentFor(60_000, 3100)).toBe('peer-stall'); // 3 s at most
  });

  it('one silence of the peer that stalls four transfers at once halves its rate once; a transfer asked later and stalling, again', async () => {
    const { d, throughput } = downloads();
    // a completed transfer: 64 KiB in 100 ms
    const first = d.request(KEY, 2000);
    d.onSend({ t: 'send', id: 1, bytes: 64 * 1024, totalBytes: 64 * 1024, contentType: null });
    await vi.advanceTimersByTimeAsync(100);
    for (let i = 0; i < 4; i++) d.onFrame(1, new Uint8Array(16 * 1024));
    d.onDone(1);
    await first;
    const rate = throughput.bytesPerMs!;
    expect(rate).toBeCloseTo((64 * 1024) / 100);
    // four asked, the peer silent: each stalls at 750 ms
    const four = [2, 3, 4, 5].map((i) => d.request(`${KEY}?${i}`, 2000).then(() => 'ok', (e: { code: string }) => e.code));
    await vi.advanceTimersByTimeAsync(800);
    expect(await Promise.all(four)).toEqual(['peer-stall', 'peer-stall', 'peer-stall', 'peer-stall']);
    expect(throughput.bytesPerMs).toBeCloseTo(rate / 2);
    const later = d.request(`${KEY}?6`, 2000).then(() => 'ok', (e: { code: string }) => e.code);
    await vi.advanceTimersByTimeAsync(800);
    expect(await later).toBe('peer-stall');
    expect(throughput.bytesPerMs).toBeCloseTo(rate / 4);
  });
});

describe('Downloads: what a cancel tells the peer', () => {
  it('late when our deadline passed or the peer went silent; plain when our caller gave up', async () => {
    const { d, said } = downloads();
    // the deadline passes with nothing sent (before the 750 ms stall limit)
    const timedOut = d.request(KEY, 700).catch((e: { code: string }) => e.code);
    await vi.advanceTimersByTimeAsync(700);
    expect(await timedOut).toBe('peer-timeout');
    // silence after the first frame: a stall
    const stalled = d.request(KEY, 20_000).catch((e: { code: string }) => e.code);
    d.onSend({ t: 'send', id: 2, bytes: 100_000, totalBytes: 100_000, contentType: null });
    d.onFrame(2, new Uint8Array(16 * 1024));
    await vi.advanceTimersByTimeAsync(3000);
    expect(await stalled).toBe('peer-stall');
    // our caller gives up (the segment came from elsewhere)
    const stop = new AbortController();
    const aborted = d.request(KEY, 20_000, 0, stop.signal).catch((e: { code: string }) => e.code);
    stop.abort();
    expect(await aborted).toBe('peer-timeout');
    expect(said.filter((m) => m.t === 'cancel')).toEqual([
      { t: 'cancel', id: 1, late: true },
      { t: 'cancel', id: 2, late: true },
      { t: 'cancel', id: 3 },
    ]);
  });
});
