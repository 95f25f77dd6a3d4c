/** Ping/pong liveness of one link. Fake timers; the clock is the fake one. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat } from '../../client/peer/Heartbeat';
import type { ControlMessage } from '../../client/protocol';

function make(intervalMs = 1000) {
  vi.useFakeTimers();
  const sent: ControlMessage['t'][] = [];
  const silent: string[] = [];
  const hb = new Heartbeat({
    intervalMs, now: () => Date.now(), send: (m) => sent.push(m.t), onSilent: (d) => silent.push(d),
  });
  return { hb, sent, silent };
}

afterEach(() => vi.useRealTimers());

describe('Heartbeat', () => {
  it('pings a peer silent for an interval, and is silent when nothing answers for twice that', async () => {
    const { hb, sent, silent } = make(1000);
    hb.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1); // checked every 500 ms: at 1000 the peer has been silent 1000 ms
    expect(sent).toEqual(['ping']);
    await vi.advanceTimersByTimeAsync(1500);
    expect(silent).toEqual([]);
    await vi.advanceTimersByTimeAsync(500); // the ping is 2000 ms old
    expect(silent).toHaveLength(1);
    expect(silent[0]).toMatch(/no answer to a ping for 2000 ms/);
    expect(sent).toEqual(['ping']); // one ping out at a time
  });

  it('anything heard answers a ping; a peer that keeps answering is never silent', async () => {
    const { hb, sent, silent } = make(1000);
    hb.start();
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      hb.heard();
    }
    expect(silent).toEqual([]);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((t) => t === 'ping')).toBe(true);
  });

  it('a peer that talks is not pinged', async () => {
    const { hb, sent } = make(1000);
    hb.start();
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(400);
      hb.heard();
    }
    expect(sent).toEqual([]);
  });

  it('answers pings with pongs, at most one per 100 ms', async () => {
    const { hb, sent } = make();
    hb.onPing();
    hb.onPing();
    await vi.advanceTimersByTimeAsync(99);
    hb.onPing();
    await vi.advanceTimersByTimeAsync(1);
    hb.onPing();
    expect(sent).toEqual(['pong', 'pong']);
  });

  it('does nothing before start() or after stop()', async () => {
    const { hb, sent, silent } = make(100);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toEqual([]);
    hb.start();
    hb.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toEqual([]);
    expect(silent).toEqual([]);
  });
});
