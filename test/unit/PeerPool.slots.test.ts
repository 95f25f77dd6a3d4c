/**
 * Issue 9 §3, "bound every peer", pool side: slots kept for peers the tracker chose, idle peers replaced, media calls
 * refused, the signalling token from a cryptographic source. Fake timers throughout.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PeerPool, type PeerLike, type PeerPoolDeps } from '../../client/PeerPool';
import { decodeControl, encodeControl, PROTOCOL_VERSION } from '../../client/protocol';
import { SegmentStore } from '../../client/SegmentStore';
import type { TrackerClient } from '../../client/TrackerClient';
import { mergeConfig } from '../../core/mergeConfig';
import { FakeConnection } from './fakes/FakeConnection';

const SWARM = 'http://site|http://cdn/a/720p/';

/** One emitter for the listeners of every PeerJS event (each takes its own argument type). */
type Listener = (arg?: any) => void;

/**
 * A remote peer's end, played by hand: it answers hellos and pings. `dialledByUs`: it is the accepting side, so it
 * says hello first once open.
 */
function remote(id: string, dialledByUs: boolean): FakeConnection {
  const conn = new FakeConnection(id);
  let helloed = false;
  conn.intercept = (d) => {
    if (typeof d !== 'string') return;
    const m = decodeControl(d);
    if (m.t === 'hello' && !helloed && !dialledByUs) {
      helloed = true;
      queueMicrotask(() => conn.deliver(encodeControl({ t: 'hello', v: PROTOCOL_VERSION })));
    }
    if (m.t === 'ping') queueMicrotask(() => conn.deliver(encodeControl({ t: 'pong' })));
  };
  if (dialledByUs) {
    setTimeout(() => {
      conn.open = true;
      conn.emit('open');
      conn.deliver(encodeControl({ t: 'hello', v: PROTOCOL_VERSION }));
    }, 1);
  } else conn.open = true;
  return conn;
}

class FakePeer implements PeerLike {
  id: string | null = 'me';
  destroyed = false;
  disconnected = false;
  dials: FakeConnection[] = [];
  private listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string, arg?: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(arg);
  }
  connect(id: string): FakeConnection {
    const c = remote(id, true);
    this.dials.push(c);
    return c;
  }
  reconnect(): void {}
  destroy(): void {
    this.destroyed = true;
  }
}

const pools: PeerPool[] = [];
afterEach(() => {
  pools.splice(0).forEach((p) => p.destroy());
  vi.useRealTimers();
});

function setup(config: Record<string, unknown> = {}, over: Partial<PeerPoolDeps> = {}) {
  vi.useFakeTimers();
  const peer = new FakePeer();
  let offer: string[] = [];
  const joins: number[] = [];
  const tracker = {
    join: async () => {
      joins.push(Date.now());
      return offer;
    },
    leave: async () => {},
  } as unknown as TrackerClient;
  const store = new SegmentStore(64 * 1024 * 1024);
  const pool = new PeerPool({
    config: mergeConfig({ trackerRefreshMs: 5000, ...config }),
    createPeer: () => peer,
    tracker,
    store,
    provide: () => undefined,
    events: { peer: () => {}, ready: () => {}, upload: () => {}, error: () => {} },
    now: () => Date.now(),
    random: Math.random,
    ...over,
  });
  pools.push(pool);
  pool.start();
  peer.emit('open', 'me');
  pool.join(SWARM);
  const dialIn = (id: string) => {
    const c = remote(id, false);
    peer.emit('connection', c);
    return c;
  };
  return { pool, peer, joins, dialIn, setOffer: (ids: string[]) => (offer = ids) };
}

describe('PeerPool slots', () => {
  it('peers that dial in get at most half of maxPeers (rounded up); the tracker is still asked and its peers dialled', async () => {
    const { pool, peer, joins, dialIn, setOffer } = setup({ maxPeers: 8 });
    await vi.advanceTimersByTimeAsync(10);
    const inbound = Array.from({ length: 8 }, (_, i) => dialIn(`in${i}`));
    await vi.advanceTimersByTimeAsync(10);
    expect(inbound.filter((c) => c.closed)).toHaveLength(4);
    expect(pool.connectedCount).toBe(4);
    const asked = joins.length;
    setOffer(['out0', 'out1', 'out2', 'out3', 'out4']);
    await vi.advanceTimersByTimeAsync(5000 * 3);
    expect(joins.length).toBeGreaterThan(asked);
    expect(peer.dials.map((c) => c.peer).sort()).toEqual(['out0', 'out1', 'out2', 'out3']);
    expect(pool.connectedCount).toBe(8);
  });

  it('with maxPeers 1 the one slot may be taken by a peer dialling in', async () => {
    const { pool, dialIn } = setup({ maxPeers: 1 });
    const c = dialIn('in0');
    await vi.advanceTimersByTimeAsync(10);
    expect(c.closed).toBe(false);
    expect(pool.connectedCount).toBe(1);
  });

  it('a peer dialling in replaces an inbound peer idle for 30 s (nothing exchanged, nothing we need), not a newer one', async () => {
    const { pool, dialIn } = setup({ maxPeers: 8 });
    const first = Array.from({ length: 4 }, (_, i) => dialIn(`in${i}`));
    await vi.advanceTimersByTimeAsync(10);
    expect(pool.connectedCount).toBe(4);
    const early = dialIn('early');
    await vi.advanceTimersByTimeAsync(10);
    expect(early.closed).toBe(true); // nobody idle long enough yet
    await vi.advanceTimersByTimeAsync(31_000);
    const late = dialIn('late');
    await vi.advanceTimersByTimeAsync(10);
    expect(late.closed).toBe(false);
    expect(first.filter((c) => c.closed)).toHaveLength(1);
    expect(pool.connectedCount).toBe(4 + 0); // one replaced; the outbound slots stay free for the tracker's peers
    expect(pool.openPeerIds()).toContain('late');
  });

  it('an inbound peer announcing segments we lack is not idle', async () => {
    const { pool, dialIn } = setup({ maxPeers: 2 });
    const useful = dialIn('useful');
    await vi.advanceTimersByTimeAsync(10);
    useful.deliver(encodeControl({ t: 'have', swarm: SWARM, keys: ['http://cdn/a/720p/seg9.ts'] }));
    await vi.advanceTimersByTimeAsync(31_000);
    const other = dialIn('other');
    await vi.advanceTimersByTimeAsync(10);
    expect(other.closed).toBe(true);
    expect(useful.closed).toBe(false);
    expect(pool.openPeerIds()).toEqual(['useful']);
  });

  it('when every slot is taken, a peer the tracker offers replaces an idle one', async () => {
    const { pool, peer, dialIn, setOffer } = setup({ maxPeers: 2 });
    const inbound = dialIn('in0');
    setOffer(['out0']);
    await vi.advanceTimersByTimeAsync(5100);
    expect(pool.openPeerIds().sort()).toEqual(['in0', 'out0']);
    setOffer(['out0', 'out1']);
    await vi.advanceTimersByTimeAsync(40_000);
    expect(peer.dials.map((c) => c.peer)).toContain('out1');
    expect(pool.connectedCount).toBe(2);
    expect(pool.openPeerIds()).toContain('out1');
    expect(inbound.closed || peer.dials[0]!.closed).toBe(true);
  });
});

describe('PeerPool and a peer it cannot reach (symmetric NATs without TURN, a firewall)', () => {
  it('counts the dial as "peers coming" until its open deadline (10 s), and does not dial that peer again for a minute', async () => {
    const { pool, peer, setOffer } = setup({ maxPeers: 8, trackerRefreshMs: 5000 });
    const dials: string[] = [];
    // every dial to 'far' stays unopened (ICE never completes); the handshake's deadline closes it
    peer.connect = (id: string) => {
      dials.push(id);
      const c = new FakeConnection(id);
      peer.dials.push(c);
      return c;
    };
    setOffer(['far']);
    for (let waited = 0; dials.length === 0 && waited < 10_000; waited += 10) await vi.advanceTimersByTimeAsync(10);
    expect(dials).toEqual(['far']); // a tracker round offered it
    expect(pool.connecting).toBe(true);
    await vi.advanceTimersByTimeAsync(9000);
    expect(peer.dials[0]!.closed).toBe(false);
    expect(pool.connecting).toBe(true);
    await vi.advanceTimersByTimeAsync(1000); // the handshake's open deadline (10 s) has closed it
    expect(peer.dials[0]!.closed).toBe(true);
    expect(pool.connecting).toBe(false);
    const closedAt = Date.now();
    // the tracker keeps offering it: not dialled again within the minute
    await vi.advanceTimersByTimeAsync(55_000);
    expect(dials).toEqual(['far']);
    expect(pool.connecting).toBe(false);
    // a minute after: tried again
    await vi.advanceTimersByTimeAsync(60_000 - (Date.now() - closedAt) + 5000);
    expect(dials).toEqual(['far', 'far']);
  });

  it('a peer reached after all (its own dial in opened) is dialled again at once when it goes', async () => {
    const { pool, peer, setOffer, dialIn } = setup({ maxPeers: 8, trackerRefreshMs: 5000 });
    const dials: string[] = [];
    const original = peer.connect.bind(peer);
    let reachable = false;
    peer.connect = (id: string) => {
      dials.push(id);
      if (reachable) return original(id);
      const c = new FakeConnection(id);
      peer.dials.push(c);
      return c;
    };
    setOffer(['near']);
    await vi.advanceTimersByTimeAsync(5000 + 10_000); // dialled, never opened, closed
    expect(dials).toEqual(['near']);
    setOffer([]);
    const inbound = dialIn('near'); // it reaches us: a link opens, its unreachability is lifted
    await vi.advanceTimersByTimeAsync(10);
    expect(pool.connectedCount).toBe(1);
    inbound.close();
    await vi.advanceTimersByTimeAsync(10);
    expect(pool.connectedCount).toBe(0);
    reachable = true;
    setOffer(['near']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(dials).toEqual(['near', 'near']);
    expect(pool.connectedCount).toBe(1);
  });
});

describe('PeerPool and a peer that announces fetching and never sends', () => {
  it('once its fetching news is ignored, it stays ignored when the peer comes back on a new connection', async () => {
    const { pool, dialIn } = setup({ maxPeers: 8 });
    const KEY = 'http://cdn/a/720p/seg5.ts';
    for (let round = 0; round < 2; round++) {
      const c = dialIn('liar');
      await vi.advanceTimersByTimeAsync(10);
      c.deliver(encodeControl({ t: 'fetching', swarm: SWARM, keys: [KEY] }));
      if (round === 1) {
        expect(pool.fetchersOf(KEY)).toEqual([]);
        break;
      }
      for (let i = 0; i < 3; i++) {
        c.deliver(encodeControl({ t: 'fetching', swarm: SWARM, keys: [KEY] }));
        const link = pool.fetchersOf(KEY)[0]!;
        const p = link.request(KEY, 5000, 3000).catch((e: unknown) => e);
        await vi.advanceTimersByTimeAsync(5);
        const req = c.sent.filter((d): d is string => typeof d === 'string').map((d) => decodeControl(d)).filter((m) => m.t === 'req').at(-1) as { id: number };
        c.deliver(encodeControl({ t: 'absent', id: req.id }));
        await p;
      }
      c.deliver(encodeControl({ t: 'fetching', swarm: SWARM, keys: [KEY] }));
      expect(pool.fetchersOf(KEY)).toEqual([]);
      c.close();
      await vi.advanceTimersByTimeAsync(10);
      expect(pool.openPeerIds()).toEqual([]);
    }
    expect(pool.bannedCount).toBe(0);
  });
});

describe('PeerPool refuses media calls', () => {
  it('closes every incoming PeerJS media call at once', async () => {
    const { peer } = setup();
    const calls = Array.from({ length: 3 }, (_, i) => ({ peer: `caller${i}`, close: vi.fn(), answer: vi.fn() }));
    for (const c of calls) peer.emit('call', c);
    for (const c of calls) {
      expect(c.close).toHaveBeenCalledTimes(1);
      expect(c.answer).not.toHaveBeenCalled();
    }
  });
});

describe('PeerPool signalling token', () => {
  it('comes from the injected random-bytes source (crypto.getRandomValues), never Math.random', () => {
    vi.useFakeTimers();
    const tokens: string[] = [];
    const asked: number[] = [];
    const pool = new PeerPool({
      config: mergeConfig({}),
      createPeer: (token) => {
        tokens.push(token);
        return new FakePeer();
      },
      tracker: { join: async () => [] } as unknown as TrackerClient,
      store: new SegmentStore(1_000_000),
      provide: () => undefined,
      events: { peer: () => {}, ready: () => {}, upload: () => {}, error: () => {} },
      now: () => Date.now(),
      random: () => {
        throw new Error('Math.random must not make the token');
      },
      randomBytes: (n: number) => {
        asked.push(n);
        return new Uint8Array(n).map((_, i) => i * 17);
      },
    } as PeerPoolDeps);
    pools.push(pool);
    pool.start();
    expect(asked).toEqual([16]);
    expect(tokens).toEqual([Array.from({ length: 16 }, (_, i) => ((i * 17) & 0xff).toString(16).padStart(2, '0')).join('')]);
  });
});
