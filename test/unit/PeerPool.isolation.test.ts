import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeerPool, type PeerLike } from '../../client/PeerPool';
import { decodeControl, encodeControl, PROTOCOL_VERSION, type ControlMessage } from '../../client/protocol';
import { SegmentStore, type StoredSegment } from '../../client/SegmentStore';
import type { TrackerClient } from '../../client/TrackerClient';
import { mergeConfig } from '../../core/mergeConfig';
import { FakeConnection } from './fakes/FakeConnection';

const JOINED = 'http://site|http://cdn/a/720p/';
const OTHER = 'http://site|http://cdn/b/720p/';
const KEY_JOINED = 'http://cdn/a/720p/seg1.ts';
const KEY_OTHER = 'http://cdn/b/720p/seg1.ts';

/** One emitter for the listeners of every PeerJS event (each takes its own argument type). */
type Listener = (arg?: any) => void;

/** A PeerJS Peer stand-in: `incoming(conn)` plays a remote peer dialling us. */
class FakePeer implements PeerLike {
  id: string | null = 'me';
  destroyed = false;
  disconnected = false;
  private listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string, arg?: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(arg);
  }
  connect(): undefined {
    return undefined;
  }
  reconnect(): void {}
  destroy(): void {
    this.destroyed = true;
  }
}

const segment = (key: string, swarm: string): StoredSegment => ({
  key, swarm, body: new Blob([new Uint8Array(1000).fill(7)]), totalBytes: 1000, contentType: 'video/mp2t',
});

// the fake clock: the links' timers (stalls, heartbeats, open deadline) and their clock move only when a test says
beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());
const pools: PeerPool[] = [];
afterEach(() => pools.splice(0).forEach((p) => p.destroy()));

function setup(config: Record<string, unknown> = {}, errors: Array<{ code: string; message: string }> = []) {
  const store = new SegmentStore(64 * 1024 * 1024);
  store.put(segment(KEY_JOINED, JOINED));
  store.put(segment(KEY_OTHER, OTHER)); // held from an earlier stream, but that swarm was never joined here
  const peer = new FakePeer();
  const tracker = { join: async () => [], leave: async () => {} } as unknown as TrackerClient;
  const pool = new PeerPool({
    config: mergeConfig({ trackerRefreshMs: 600_000, iceServers: [], ...config }),
    createPeer: () => peer,
    tracker,
    store,
    provide: (key) => store.get(key),
    events: { peer: () => {}, ready: () => {}, upload: () => {}, error: (e) => errors.push(e) },
    now: () => Date.now(), // the fake clock's
    random: Math.random,
  });
  pools.push(pool);
  pool.start();
  peer.emit('open', 'me');
  pool.join(JOINED);
  // a remote peer dials us; its side of the channel is driven by hand
  const [, toRemote] = FakeConnection.pair('me', 'remote');
  toRemote.intercept = () => {};
  toRemote.open = true;
  peer.emit('connection', toRemote);
  return { toRemote, pool };
}

function answers(conn: FakeConnection): Array<{ t: string; id?: number }> {
  return conn.sent.filter((d): d is string => typeof d === 'string').map((d) => decodeControl(d));
}

describe('PeerPool isolation', () => {
  it('bans a peer that breaks the protocol during its handshake, and reports the rule it broke', async () => {
    const errors: Array<{ code: string; message: string }> = [];
    const { toRemote, pool } = setup({}, errors);
    await vi.advanceTimersByTimeAsync(10);
    expect(answers(toRemote).some((m) => m.t === 'hello')).toBe(true);
    toRemote.deliver(encodeControl({ t: 'req', id: 1, key: KEY_JOINED, waitMs: 0 })); // before its hello
    expect(pool.bannedCount).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('protocol-violation');
    expect(errors[0]!.message).toMatch(/during its handshake.*expected hello/);
  });

  it("answers a peer's request for a key of a swarm this page did not join with absent, never bytes", async () => {
    const { toRemote } = setup();
    await vi.advanceTimersByTimeAsync(10);
    expect(answers(toRemote).some((m) => m.t === 'hello')).toBe(true);
    toRemote.deliver(encodeControl({ t: 'hello', v: PROTOCOL_VERSION }));
    toRemote.deliver(encodeControl({ t: 'req', id: 1, key: KEY_OTHER, waitMs: 0 }));
    toRemote.deliver(encodeControl({ t: 'req', id: 2, key: KEY_JOINED, waitMs: 0 }));
    await vi.advanceTimersByTimeAsync(10);
    expect(answers(toRemote).filter((m) => m.t === 'done' || m.t === 'absent')).toHaveLength(2);
    const byId = new Map(answers(toRemote).filter((m) => m.id !== undefined).map((m) => [m.id, m.t]));
    expect(byId.get(1)).toBe('absent');
    expect(byId.get(2)).toBe('done');
    // the one segment sent is the joined swarm's: 1000 bytes plus one 5-byte frame header
    const binary = toRemote.sent.filter((d): d is ArrayBuffer => d instanceof ArrayBuffer);
    expect(binary.reduce((n, f) => n + f.byteLength, 0)).toBe(1005);
    expect(new DataView(binary[0]!).getUint32(1)).toBe(2);
  });

  it('announces to a peer only what it holds of the swarms it joined', async () => {
    const { toRemote } = setup();
    await vi.advanceTimersByTimeAsync(10);
    expect(answers(toRemote).some((m) => m.t === 'hello')).toBe(true);
    toRemote.deliver(encodeControl({ t: 'hello', v: PROTOCOL_VERSION }));
    const haves = toRemote.sent
      .filter((d): d is string => typeof d === 'string')
      .map((d) => decodeControl(d))
      .filter((m): m is Extract<ControlMessage, { t: 'have' }> => m.t === 'have');
    expect(haves).toEqual([{ t: 'have', swarm: JOINED, keys: [KEY_JOINED] }]);
  });

  it('with uploadEnabled false answers absent even for the joined swarm', async () => {
    const { toRemote } = setup({ uploadEnabled: false });
    await vi.advanceTimersByTimeAsync(10);
    expect(answers(toRemote).some((m) => m.t === 'hello')).toBe(true);
    toRemote.deliver(encodeControl({ t: 'hello', v: PROTOCOL_VERSION }));
    toRemote.deliver(encodeControl({ t: 'req', id: 1, key: KEY_JOINED, waitMs: 0 }));
    await vi.advanceTimersByTimeAsync(10);
    expect(answers(toRemote).some((m) => m.t === 'absent' && m.id === 1)).toBe(true);
    expect(toRemote.sent.some((d) => d instanceof ArrayBuffer)).toBe(false);
  });
});
