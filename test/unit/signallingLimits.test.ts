/** Issue 9 §4: signalling limits that actually limit (real sockets against a real in-process server). */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { createSwarmServer, type SwarmServer, type SwarmServerOptions } from '../../server/index';
import { ConnectionGuard } from '../../server/ConnectionGuard';
import { trackerRateLimit } from '../../server/trackerRateLimit';
import { AbsentPeerBudget, QUEUED_MESSAGE_OVERHEAD_BYTES } from '../../server/AbsentPeerBudget';
import { closed, inbox, openSignallingWithInbox, sendInOneWrite, type Inbox } from './helpers/serverClient';
import WebSocketClient from 'ws';

const servers: SwarmServer[] = [];
const sockets: WebSocket[] = [];
let logged: string[] = [];

async function start(options: Partial<SwarmServerOptions> = {}): Promise<SwarmServer> {
  const server = await createSwarmServer({ port: 0, log: (line) => logged.push(line), ...options });
  servers.push(server);
  return server;
}

async function peer(server: SwarmServer, id: string, localAddress?: string): Promise<{ ws: WebSocket; inbox: Inbox }> {
  const { ws, first, inbox } = await openSignallingWithInbox(server.port, id, `tok-${id}`, { localAddress });
  sockets.push(ws);
  if (first.type !== 'OPEN') throw new Error(`PeerJS server said ${first.type}`);
  return { ws, inbox };
}

const offer = (dst: string, payload: unknown) => JSON.stringify({ type: 'OFFER', dst, payload });

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  logged = [];
});

describe('signalling limits', () => {
  it('relays no message over the rate budget, even when a thousand arrive in one TCP write', async () => {
    const server = await start({ maxMessagesPerSec: 5 });
    const flood = await peer(server, 'flood');
    const sink = await peer(server, 'sink');
    const marker = await peer(server, 'marker');
    sendInOneWrite(flood.ws, Array.from({ length: 1000 }, (_, n) => offer('sink', { n })));
    expect(await closed(flood.ws)).toEqual({ code: 1008, reason: 'rate-exceeded' });
    // the server relays in order on sink's socket: once the marker is there, every relayed flood message is too
    marker.ws.send(offer('sink', 'marker'));
    await sink.inbox.until((m) => m.src === 'marker');
    expect(sink.inbox.messages.filter((m) => m.src === 'flood').length).toBeLessThanOrEqual(5);
  });

  it('does not let {"type":"LEAVE"} without dst take a socket out of the peer count', async () => {
    const server = await start({ maxPeers: 2 });
    const a = await peer(server, 'a');
    const b = await peer(server, 'b');
    a.ws.send(JSON.stringify({ type: 'LEAVE' }));
    a.ws.send(offer('b', 'after-leave'));
    // the server either closes `a` on its LEAVE or keeps counting it; the OFFER behind the LEAVE shows it was read
    await Promise.race([closed(a.ws), b.inbox.until((m) => m.src === 'a')]);
    const c = await openSignallingWithInbox(server.port, 'c', 'tok-c');
    sockets.push(c.ws);
    const admitted = [a.ws, b.ws].filter((ws) => ws.readyState === ws.OPEN).length + (c.first.type === 'OPEN' ? 1 : 0);
    expect(admitted).toBeLessThanOrEqual(2);
  });

  it('closes a socket that says LEAVE without dst, and frees its place', async () => {
    const server = await start({ maxPeers: 1 });
    const a = await peer(server, 'a');
    a.ws.send(JSON.stringify({ type: 'LEAVE' }));
    expect((await closed(a.ws)).code).toBe(1000);
    await expect(waitAdmitted(server, 'b')).resolves.toBe('OPEN');
  });

  it('holds one socket per peer: a second socket with the same id and token replaces the first, which is closed', async () => {
    const server = await start({ maxPeers: 1 });
    const a = await peer(server, 'a');
    const again = await openSignallingWithInboxNoFirst(server.port, 'a', 'tok-a');
    // PeerJS says nothing to the second socket; a message to itself shows the server took it as a's socket
    again.ws.send(offer('a', 'self'));
    await again.inbox.until((m) => m.payload === 'self');
    expect(await closed(a.ws)).toEqual({ code: 1000, reason: 'replaced' });
  });

  it('bounds the messages queued for absent peer ids per client and in total; the rest are answered EXPIRE', async () => {
    const text = (from: string, n: number) => offer('ghost', { from, n });
    const charge = Buffer.byteLength(text('s1', 0)) + QUEUED_MESSAGE_OVERHEAD_BYTES;
    // room for 4 such messages in total, 3 per client
    const server = await start({ maxQueuedMessagesPerClient: 3, maxQueuedBytes: 4 * charge + charge / 2 });
    const s1 = await peer(server, 's1', '127.0.0.1');
    const s2 = await peer(server, 's2', '127.0.0.2');
    const marker = await peer(server, 'marker', '127.0.0.3');
    for (let n = 0; n < 6; n++) s1.ws.send(text('s1', n));
    s1.ws.send(offer('marker', 's1-done'));
    await marker.inbox.until((m) => m.payload === 's1-done');
    for (let n = 0; n < 6; n++) s2.ws.send(text('s2', n));
    s2.ws.send(offer('marker', 's2-done'));
    await marker.inbox.until((m) => m.payload === 's2-done');

    // the queue is handed to ghost right after its OPEN; a message sent after it connected comes after the queue
    const ghost = await openSignallingWithInbox(server.port, 'ghost', 'tok-ghost', { localAddress: '127.0.0.4' });
    sockets.push(ghost.ws);
    s1.ws.send(offer('ghost', 'end'));
    await ghost.inbox.until((m) => m.payload === 'end');
    const queued = ghost.inbox.messages.filter((m) => m.type === 'OFFER' && m.payload !== 'end');
    expect(queued.filter((m) => m.src === 's1')).toHaveLength(3);
    expect(queued.filter((m) => m.src === 's2')).toHaveLength(1);
    // the senders were told at once that the messages they could not queue expired
    await s1.inbox.until((m) => m.type === 'EXPIRE' && m.src === 'ghost');
    await s2.inbox.until((m) => m.type === 'EXPIRE' && m.src === 'ghost');
    expect(logged.some((l) => l.includes('(queue-full)'))).toBe(true);
  });

  it('queues nothing for absent ids when maxQueuedMessagesPerClient is 0', async () => {
    const server = await start({ maxQueuedMessagesPerClient: 0 });
    const s = await peer(server, 's');
    s.ws.send(offer('ghost', 1));
    await s.inbox.until((m) => m.type === 'EXPIRE' && m.src === 'ghost');
    const ghost = await openSignallingWithInbox(server.port, 'ghost', 'tok-ghost');
    sockets.push(ghost.ws);
    s.ws.send(offer('ghost', 'end'));
    await ghost.inbox.until((m) => m.payload === 'end');
    expect(ghost.inbox.messages.filter((m) => m.type === 'OFFER')).toHaveLength(1);
  });
});

describe('AbsentPeerBudget', () => {
  it('counts each message for holdMs, per client and in bytes over all', () => {
    let now = 0;
    const charge = 100 + QUEUED_MESSAGE_OVERHEAD_BYTES;
    const b = new AbsentPeerBudget({ maxPerClient: 2, maxTotalBytes: 3 * charge, holdMs: 7000, now: () => now });
    expect([b.admit('A', 100), b.admit('A', 100), b.admit('A', 100)]).toEqual([true, true, false]);
    expect([b.admit('B', 100), b.admit('C', 100)]).toEqual([true, false]);
    expect(b.queuedBytes).toBe(3 * charge);
    now = 6999;
    expect(b.admit('C', 100)).toBe(false);
    now = 7000;
    // all three expired: A has its two places again
    expect([b.admit('A', 100), b.admit('A', 100), b.admit('A', 100), b.admit('C', 100)]).toEqual([true, true, false, true]);
    expect(b.queuedBytes).toBe(3 * charge);
    now = 20_000;
    expect(b.queuedBytes).toBe(0);
  });

  it('admits nothing with a bound of 0', () => {
    expect(new AbsentPeerBudget({ maxPerClient: 0, maxTotalBytes: 1 << 20, holdMs: 1 }).admit('A', 1)).toBe(false);
    expect(new AbsentPeerBudget({ maxPerClient: 5, maxTotalBytes: 0, holdMs: 1 }).admit('A', 1)).toBe(false);
  });
});

/** Opens a signalling socket that may get no first message (PeerJS sends none to a second socket of a peer). */
async function openSignallingWithInboxNoFirst(port: number, id: string, token: string): Promise<{ ws: WebSocket; inbox: Inbox }> {
  const ws = new WebSocketClient(`ws://127.0.0.1:${port}/peerjs/peerjs?key=peerjs&id=${id}&token=${token}`);
  sockets.push(ws);
  const box = inbox(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, inbox: box };
}

/** Connects `id` and answers the server's first message type. */
async function waitAdmitted(server: SwarmServer, id: string): Promise<string> {
  // the server may not have seen the previous socket's close yet: retry while it says the limit is reached
  for (;;) {
    const c = await openSignallingWithInbox(server.port, id, `tok-${id}`);
    sockets.push(c.ws);
    if (c.first.type === 'OPEN') return c.first.type;
    await closed(c.ws);
  }
}

/** A stand-in for a net.Socket: an address and a close event. */
function fakeSocket(remoteAddress: string): Socket {
  return Object.assign(new EventEmitter(), { remoteAddress, destroy() {} }) as unknown as Socket;
}

describe('per-client limits are keyed by address group', () => {
  it('counts connections of one IPv6 /64 (and IPv4 and its IPv4-mapped form) together', () => {
    const guard = new ConnectionGuard(1, () => {});
    const a = fakeSocket('2001:db8:1:2::1');
    const b = fakeSocket('2001:db8:1:2:ffff:1:2:3');
    const other = fakeSocket('2001:db8:1:3::1');
    for (const s of [a, b, other]) guard.admit(s);
    expect(guard.isRefused(a)).toBe(false);
    expect(guard.isRefused(b)).toBe(true);
    expect(guard.isRefused(other)).toBe(false);
    const v4 = fakeSocket('198.51.100.7');
    const mapped = fakeSocket('::ffff:198.51.100.7');
    guard.admit(v4);
    guard.admit(mapped);
    expect(guard.isRefused(mapped)).toBe(true);
    // a closed connection frees its group's place
    (a as unknown as EventEmitter).emit('close');
    const c = fakeSocket('2001:db8:1:2::99');
    (b as unknown as EventEmitter).emit('close');
    guard.admit(c);
    expect(guard.isRefused(c)).toBe(false);
  });

  it('gives one IPv6 /64 one tracker request budget', () => {
    const limit = trackerRateLimit(2, () => {}, () => 0);
    const statuses: number[] = [];
    const ask = (remoteAddress: string) => {
      let status = 200;
      const res = { setHeader() {}, status(s: number) { status = s; return res; }, json() {} };
      limit.middleware({ socket: { remoteAddress } } as never, res as never, () => {});
      statuses.push(status);
    };
    ask('2001:db8:1:2::1');
    ask('2001:db8:1:2::2');
    ask('2001:db8:1:2::3');
    ask('2001:db8:9:9::1');
    ask('::ffff:203.0.113.1');
    ask('203.0.113.1');
    ask('203.0.113.1');
    limit.destroy();
    expect(statuses).toEqual([200, 200, 429, 200, 200, 200, 429]);
  });
});
