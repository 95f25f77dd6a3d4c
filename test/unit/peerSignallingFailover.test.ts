/** Signalling over several P2P servers: a lost server moves the page to the next one, same peer id (fake timers). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Signalling } from '../../client/peer/Signalling';
import { ServerList } from '../../client/ServerList';
import { FakeConnection } from './fakes/FakeConnection';
import { FakePeer } from './fakes/FakePeer';

afterEach(() => vi.useRealTimers());

const PAGE = 'https://site.example/watch';
const TOKEN = 'ab'.repeat(16);

/** Signalling over `serverUrl`'s servers (the first picked: random 0); each Peer made records where and as whom. */
function make(serverUrl = 'https://p1.example,https://p2.example,https://p3.example') {
  vi.useFakeTimers();
  const servers = new ServerList(serverUrl, PAGE, () => 0);
  const made: Array<{ peer: FakePeer; server: string; token: string; id: string | undefined; args: number }> = [];
  const ready: string[] = [];
  const incoming: string[] = [];
  const s = new Signalling({
    createPeer: (...args: [string, string?]) => {
      const peer = new FakePeer();
      peer.reconnect = vi.fn();
      made.push({ peer, server: servers.current().href, token: args[0], id: args[1], args: args.length });
      return peer;
    },
    servers,
    random: () => 0.5,
    randomBytes: (n) => new Uint8Array(n).fill(0xab),
    onReady: (id) => ready.push(id),
    onConnection: (c) => incoming.push(c.peer),
    onError: () => {},
  });
  const peer = (i: number) => made[i]!.peer;
  return { s, servers, made, ready, incoming, peer };
}

/** The ms until the next Peer is made (at most 60 s), advancing fake time 100 ms at a time. */
async function msUntilNextPeer(made: unknown[]): Promise<number> {
  const before = made.length;
  let ms = 0;
  while (made.length === before && ms < 60_000) {
    await vi.advanceTimersByTimeAsync(100);
    ms += 100;
  }
  return ms;
}

describe('Signalling over several servers', () => {
  it('on a network error, makes a new Peer on the next server with the same id and token, within 1 s', async () => {
    const { s, servers, made, ready, peer } = make();
    s.start();
    expect(made.map((m) => [m.server, m.id])).toEqual([['https://p1.example/', undefined]]);
    peer(0).emit('open', 'me');
    peer(0).emit('error', { type: 'network', message: 'Lost connection to server.' });
    // the tracker and the oracle move at once
    expect(servers.current().href).toBe('https://p2.example/');
    expect(await msUntilNextPeer(made)).toBeLessThanOrEqual(1000);
    expect(made[1]).toMatchObject({ server: 'https://p2.example/', token: TOKEN, id: 'me' });
    expect(s.peerId).toBe('me'); // the same id all along: links keep their tie-break
    peer(1).emit('open', 'me');
    expect(ready).toEqual(['me', 'me']);
  });

  it('keeps the old Peer for its links: disconnected, not destroyed; its events are not heard', async () => {
    const { s, made, incoming, peer } = make();
    s.start();
    peer(0).emit('open', 'me');
    peer(0).emit('error', { type: 'socket-error' });
    expect(peer(0).disconnected).toBe(true);
    expect(peer(0).destroyed).toBe(false);
    await msUntilNextPeer(made);
    peer(0).emit('disconnected');
    peer(0).emit('close');
    expect(made).toHaveLength(2); // no second move for the old one's events
    const late = new FakeConnection('ghost');
    peer(0).emit('connection', late);
    expect(late.closed).toBe(true);
    peer(1).emit('connection', new FakeConnection('friend'));
    expect(incoming).toEqual(['friend']);
  });

  it('dials nothing through the new Peer before it opens (its offer would be dropped)', async () => {
    const { s, made, peer } = make();
    s.start();
    peer(0).emit('open', 'me');
    expect(s.connect('x')?.peer).toBe('x');
    peer(0).emit('disconnected');
    expect(s.connect('x')).toBeUndefined();
    await msUntilNextPeer(made);
    expect(s.connect('x')).toBeUndefined();
    peer(1).emit('open', 'me');
    expect(s.connect('x')?.peer).toBe('x');
  });

  it('moves on round robin while servers keep failing, each further move after the backoff (1 s doubling)', async () => {
    const { s, made, peer } = make();
    s.start();
    peer(0).emit('open', 'me');
    peer(0).emit('error', { type: 'network' });
    const waits = [await msUntilNextPeer(made)];
    for (let i = 1; i < 4; i++) {
      // PeerJS: a Peer that never opened is destroyed after its error
      peer(i).emit('error', { type: 'server-error' });
      peer(i).destroyed = true;
      peer(i).emit('close');
      waits.push(await msUntilNextPeer(made));
    }
    expect(made.map((m) => m.server)).toEqual([
      'https://p1.example/', 'https://p2.example/', 'https://p3.example/', 'https://p1.example/', 'https://p2.example/',
    ]);
    expect(made.slice(1).map((m) => m.id)).toEqual(['me', 'me', 'me', 'me']);
    expect(waits).toEqual([500, 1000, 2000, 4000]);
    // up again: the next loss is a first move again
    peer(4).emit('open', 'me');
    peer(4).emit('close');
    expect(await msUntilNextPeer(made)).toBe(500);
  });

  it('a Peer that does not open within 10 s counts as lost', async () => {
    const { s, made, peer } = make();
    s.start();
    expect(await msUntilNextPeer(made)).toBe(10_500);
    expect(made[1]!.server).toBe('https://p2.example/');
    expect(peer(0).disconnected).toBe(true);
    peer(1).emit('open', 'me');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(made).toHaveLength(2);
  });

  it('an id the next server says is taken is given up: the Peer after is made without one', async () => {
    const { s, made, ready, peer } = make();
    s.start();
    peer(0).emit('open', 'me');
    peer(0).emit('error', { type: 'network' });
    await msUntilNextPeer(made);
    peer(1).emit('error', { type: 'unavailable-id' });
    expect(s.peerId).toBeNull();
    peer(1).destroyed = true;
    peer(1).emit('close');
    await msUntilNextPeer(made);
    expect(made[2]!.args).toBe(1);
    peer(2).emit('open', 'fresh');
    expect(ready).toEqual(['me', 'fresh']);
  });

  it('stop() destroys the current Peer and those kept for their links, and moves no more', async () => {
    const { s, made, peer } = make();
    s.start();
    peer(0).emit('open', 'me');
    peer(0).emit('error', { type: 'socket-closed' });
    await msUntilNextPeer(made);
    s.stop();
    expect(peer(0).destroyed).toBe(true);
    expect(peer(1).destroyed).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(made).toHaveLength(2);
    s.start();
    expect(made[2]!.args).toBe(1); // after a stop, a new peer id
  });

  it('errors of one connection (not the server) move nothing', async () => {
    const { s, made, peer } = make();
    s.start();
    peer(0).emit('open', 'me');
    peer(0).emit('error', { type: 'peer-unavailable' });
    peer(0).emit('error', { type: 'webrtc' });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(made).toHaveLength(1);
    expect(peer(0).disconnected).toBe(false);
  });
});

describe('Signalling over one server (a list of one)', () => {
  it('reconnects the same Peer after the backoff, as without a list; never a new Peer, never a move', async () => {
    const { s, servers, made, peer } = make('https://only.example');
    s.start();
    peer(0).emit('open', 'me');
    peer(0).emit('error', { type: 'network' });
    peer(0).disconnected = true;
    peer(0).emit('disconnected');
    expect(peer(0).reconnect).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(peer(0).reconnect).toHaveBeenCalledTimes(1);
    peer(0).emit('disconnected');
    await vi.advanceTimersByTimeAsync(1999);
    expect(peer(0).reconnect).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(peer(0).reconnect).toHaveBeenCalledTimes(2);
    expect(made).toHaveLength(1);
    expect(servers.current().href).toBe('https://only.example/');
    // a Peer that never opens is left to PeerJS (no deadline of ours)
    await vi.advanceTimersByTimeAsync(60_000);
    expect(made).toHaveLength(1);
  });

  it('replaces a closed Peer under a new id from the server, as without a list', async () => {
    const { s, made, peer } = make('https://only.example');
    s.start();
    peer(0).emit('open', 'me');
    peer(0).emit('close');
    expect(peer(0).destroyed).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(made).toHaveLength(2);
    expect(made[1]!.args).toBe(1);
  });
});
