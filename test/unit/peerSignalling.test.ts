/** This page's PeerJS Peer and its retries, on its own (fake timers). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Signalling } from '../../client/peer/Signalling';
import { FakeConnection } from './fakes/FakeConnection';
import { FakePeer } from './fakes/FakePeer';

afterEach(() => vi.useRealTimers());

function make() {
  vi.useFakeTimers();
  const peers: FakePeer[] = [];
  const ready: string[] = [];
  const incoming: string[] = [];
  const errors: string[] = [];
  const s = new Signalling({
    createPeer: () => {
      const p = new FakePeer();
      p.reconnect = vi.fn();
      peers.push(p);
      return p;
    },
    randomBytes: (n) => new Uint8Array(n).fill(0xab),
    onReady: (id) => ready.push(id),
    onConnection: (c) => incoming.push(c.peer),
    onError: (e) => errors.push(e.code),
  });
  return { s, peers, ready, incoming, errors };
}

describe('Signalling', () => {
  it('makes one Peer with a 128-bit hex token and reports its id once open', () => {
    const { s, peers, ready } = make();
    expect(s.token).toBe('ab'.repeat(16));
    expect(s.start()).toBe(true);
    expect(s.start()).toBe(true);
    expect(peers).toHaveLength(1);
    expect(s.peerId).toBeNull();
    peers[0]!.emit('open', 'me');
    expect(s.peerId).toBe('me');
    expect(ready).toEqual(['me']);
  });

  it('reconnects a lost signalling connection after 1 s, doubling each time up to 30 s, reset once it is up', async () => {
    const { s, peers } = make();
    s.start();
    const p = peers[0]!;
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const before = (p.reconnect as ReturnType<typeof vi.fn>).mock.calls.length;
      p.emit('disconnected');
      let ms = 0;
      while ((p.reconnect as ReturnType<typeof vi.fn>).mock.calls.length === before) {
        await vi.advanceTimersByTimeAsync(1000);
        ms += 1000;
      }
      waits.push(ms);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    p.emit('open', 'me');
    p.emit('disconnected');
    await vi.advanceTimersByTimeAsync(1000);
    expect((p.reconnect as ReturnType<typeof vi.fn>).mock.calls).toHaveLength(8);
  });

  it('replaces a Peer that closed (after the backoff); the old one is heard no more', async () => {
    const { s, peers, ready, incoming } = make();
    s.start();
    peers[0]!.emit('open', 'me');
    peers[0]!.emit('close');
    expect(s.peerId).toBeNull();
    expect(peers[0]!.destroyed).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(peers).toHaveLength(2);
    const late = new FakeConnection('ghost');
    peers[0]!.emit('connection', late);
    expect(late.closed).toBe(true);
    expect(incoming).toEqual([]);
    peers[1]!.emit('open', 'me2');
    peers[1]!.emit('connection', new FakeConnection('friend'));
    expect(ready).toEqual(['me', 'me2']);
    expect(incoming).toEqual(['friend']);
  });

  it('reports signalling errors (not a peer that left meanwhile) and refuses media calls', () => {
    const { s, peers, errors } = make();
    s.start();
    peers[0]!.emit('error', { type: 'peer-unavailable', message: 'gone' });
    peers[0]!.emit('error', { type: 'network', message: 'down' });
    expect(errors).toEqual(['server-unreachable']);
    const call = { close: vi.fn() };
    peers[0]!.emit('call', call);
    expect(call.close).toHaveBeenCalledTimes(1);
  });

  it('dials only while signalling is up; destroy() ends the Peer and every retry', async () => {
    const { s, peers } = make();
    expect(s.connect('x')).toBeUndefined();
    s.start();
    expect(s.connect('x')?.peer).toBe('x');
    peers[0]!.disconnected = true;
    expect(s.connect('y')).toBeUndefined();
    peers[0]!.emit('close');
    s.destroy();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(peers).toHaveLength(1);
    expect(s.start()).toBe(false);
  });

  it('a source that gives too few random bytes is refused (unsupported)', () => {
    expect(() => new Signalling({
      createPeer: () => new FakePeer(), randomBytes: () => new Uint8Array(8), onReady() {}, onConnection() {}, onError() {},
    })).toThrow(/too few bytes/);
  });
});
