import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import express from 'express';
import { ExpressPeerServer } from 'peer';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { liveClientIds, patchPeerRealm } from '../../server/patchPeerRealm';

/** A signalling socket as PeerJS uses it: what it was sent, whether it was closed. */
class FakeSocket extends EventEmitter {
  sent: Array<{ type: string; payload?: { msg?: string } }> = [];
  closed = false;
  send(text: string): void {
    this.sent.push(JSON.parse(text) as { type: string });
  }
  close(): void {
    this.closed = true;
  }
}

/** The `peer` package mounted as server/index.ts mounts it, with a ws server that never listens. */
function mountPeerServer(options: { concurrent_limit: number; alive_timeout?: number }) {
  const app = express();
  const peerServer = ExpressPeerServer(createServer(app), {
    path: '/', key: 'peerjs', allow_discovery: false, ...options,
    createWebSocketServer: () => (wss = new WebSocketServer({ noServer: true })),
  });
  let wss: WebSocketServer | null = null;
  const patched = patchPeerRealm(() => app.use('/peerjs', peerServer), () => wss);
  const disconnected: string[] = [];
  peerServer.on('disconnect', (client: { getId(): string }) => disconnected.push(client.getId()));
  const connect = (id: string): FakeSocket => {
    const socket = new FakeSocket();
    wss?.emit('connection', socket, { url: `/peerjs/peerjs?id=${id}&token=t-${id}&key=peerjs` });
    return socket;
  };
  return { patched, connect, disconnected, wss: () => wss };
}

describe('liveClientIds', () => {
  it('has the map size as length, iterates its keys (deleting the current one is fine), and is the id array in JSON', () => {
    const clients = new Map<string, unknown>([['a', 1], ['b', 2]]);
    const ids = liveClientIds(clients);
    expect(ids.length).toBe(2);
    clients.set('c', 3);
    expect(ids.length).toBe(3);
    const visited: string[] = [];
    for (const id of ids) {
      visited.push(id);
      clients.delete(id);
    }
    expect(visited).toEqual(['a', 'b', 'c']);
    expect(ids.length).toBe(0);
    clients.set('d', 4);
    expect(JSON.stringify(ids)).toBe('["d"]');
  });
});

describe('patchPeerRealm (with the installed peer package)', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('finds the realm, and puts EventEmitter.prototype.setMaxListeners back', () => {
    const before = EventEmitter.prototype.setMaxListeners;
    const server = mountPeerServer({ concurrent_limit: 10 });
    expect(server.patched).toBe(true);
    expect(EventEmitter.prototype.setMaxListeners).toBe(before);
  });

  it('keeps the concurrent limit: OPEN up to it, then ERROR, and room again after a peer left', () => {
    const server = mountPeerServer({ concurrent_limit: 2 });
    const a = server.connect('a');
    server.connect('b');
    const c = server.connect('c');
    expect(a.sent[0]?.type).toBe('OPEN');
    expect(c.sent[0]).toEqual({ type: 'ERROR', payload: { msg: 'Server has reached its concurrent user limit' } });
    expect(c.closed).toBe(true);
    a.emit('close');
    expect(server.connect('d').sent[0]?.type).toBe('OPEN');
  });

  it("keeps the broken-connection check: every peer silent past alive_timeout is dropped, while iterating the realm's ids", () => {
    const server = mountPeerServer({ concurrent_limit: 10, alive_timeout: 1_000 });
    const sockets = ['a', 'b', 'c'].map((id) => server.connect(id));
    vi.advanceTimersByTime(1_500);
    expect(server.disconnected.sort()).toEqual(['a', 'b', 'c']);
    expect(sockets.every((s) => s.closed)).toBe(true);
    // all three gone from the realm: the limit counts none of them
    expect(server.connect('a').sent[0]?.type).toBe('OPEN');
  });

  it('says false, and changes nothing, when no mounted emitter holds a realm with that socket server', () => {
    expect(patchPeerRealm(() => new EventEmitter().setMaxListeners(0), () => ({}))).toBe(false);
    expect(patchPeerRealm(() => undefined, () => null)).toBe(false);
  });
});
