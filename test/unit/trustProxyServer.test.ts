/** trustProxy against a real server: loopback 127.0.0.1 plays the proxy, other 127.0.0.x addresses direct clients. */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSwarmServer, type SwarmServer, type SwarmServerOptions } from '../../server/index';
import { inbox, request, type Inbox } from './helpers/serverClient';

const PROXY = '127.0.0.1';
const servers: SwarmServer[] = [];
const sockets: WebSocket[] = [];
let logged: string[] = [];

async function start(options: Partial<SwarmServerOptions>): Promise<SwarmServer> {
  const server = await createSwarmServer({ port: 0, stun: false, log: (line) => logged.push(line), ...options });
  servers.push(server);
  return server;
}

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  logged = [];
});

/** A tracker request (malformed body: 400 once past the rate budget) from `from`, saying X-Forwarded-For `xff`. */
async function ask(server: SwarmServer, from: string, xff?: string): Promise<number> {
  const headers: Record<string, string> = xff === undefined ? {} : { 'x-forwarded-for': xff };
  return (await request(`${server.url}/swarmfetch/v1/join`, { method: 'POST', body: {}, headers, localAddress: from })).status;
}

/** A signalling websocket from `from` saying X-Forwarded-For `xff`: its first message, or the handshake's refusal. */
function signal(server: SwarmServer, id: string, from: string, xff?: string): Promise<{ ws: WebSocket; inbox: Inbox; first: string }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/peerjs/peerjs?key=peerjs&id=${id}&token=tok-${id}`, {
    localAddress: from, headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
  });
  sockets.push(ws);
  const box = inbox(ws);
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      reject(new Error(`handshake refused: ${res.statusCode}`));
    });
    ws.once('error', reject);
    void box.until(() => true).then((m) => resolve({ ws, inbox: box, first: m.type }));
  });
}

describe('trustProxy', () => {
  it('gives two clients behind one trusted proxy separate request budgets; spoofed left-most entries change nothing', async () => {
    const server = await start({ trustProxy: [PROXY], maxTrackerRequestsPerSec: 3 });
    const a: number[] = [];
    for (let i = 0; i < 4; i++) a.push(await ask(server, PROXY, `10.9.9.${i}, 198.51.100.1`));
    expect(a).toEqual([400, 400, 400, 429]);
    // another client through the same proxy has a budget of its own
    expect(await ask(server, PROXY, '198.51.100.2')).toBe(400);
    // the proxy's own requests (no header) are the proxy's
    expect(await ask(server, PROXY)).toBe(400);
    expect(logged.some((l) => l.includes('(rate-exceeded)') && l.includes('ip=198.51.100.1') && l.includes(`proxy=${PROXY}`))).toBe(true);
  });

  it("ignores the X-Forwarded-For of a sender that is not a trusted proxy: one budget for its address", async () => {
    const server = await start({ trustProxy: [PROXY], maxTrackerRequestsPerSec: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push(await ask(server, '127.0.0.2', `198.51.100.${i}`));
    expect(statuses).toEqual([400, 400, 400, 429]);
    expect(logged.some((l) => l.includes('(rate-exceeded)') && l.includes('ip=127.0.0.2') && !l.includes('proxy='))).toBe(true);
  });

  it('trusts nothing by default: the proxy is one client', async () => {
    const server = await start({ maxTrackerRequestsPerSec: 2 });
    expect([await ask(server, PROXY, '198.51.100.1'), await ask(server, PROXY, '198.51.100.2'), await ask(server, PROXY, '198.51.100.3')]).toEqual([400, 400, 429]);
  });

  it('counts websockets through a trusted proxy per forwarded client, and not the proxy\'s own connections', async () => {
    const server = await start({ trustProxy: 1, maxConnectionsPerIp: 2 });
    await signal(server, 'a1', PROXY, '198.51.100.1');
    await signal(server, 'a2', PROXY, '198.51.100.1');
    await expect(signal(server, 'a3', PROXY, '198.51.100.1')).rejects.toThrow(/429/);
    expect(logged.some((l) => l.includes('(too-many-connections)') && l.includes('ip=198.51.100.1') && l.includes(`proxy=${PROXY}`))).toBe(true);
    // another client behind the proxy connects; the proxy holds 3 sockets and still gets HTTP answered
    const b = await signal(server, 'b1', PROXY, '198.51.100.2');
    expect(b.first).toBe('OPEN');
    expect((await request(`${server.url}/swarmfetch/v1/health`, { localAddress: PROXY })).status).toBe(200);
  });

  it('keeps counting direct connections per address, whatever X-Forwarded-For they say, when a proxy is trusted', async () => {
    const server = await start({ trustProxy: [PROXY], maxConnectionsPerIp: 2 });
    await signal(server, 'd1', '127.0.0.2', '198.51.100.1');
    await signal(server, 'd2', '127.0.0.2', '198.51.100.2');
    await expect(signal(server, 'd3', '127.0.0.2', '198.51.100.3')).rejects.toThrow(/429/);
  });

  it('queues signalling messages for absent peers per forwarded client', async () => {
    const server = await start({ trustProxy: [PROXY], maxQueuedMessagesPerClient: 1 });
    const a = await signal(server, 'a', PROXY, '198.51.100.1');
    const b = await signal(server, 'b', PROXY, '198.51.100.2');
    const offer = JSON.stringify({ type: 'OFFER', dst: 'ghost', payload: {} });
    a.ws.send(offer);
    a.ws.send(offer);
    b.ws.send(offer);
    // read in order on b's socket: once a has this, b's message for the ghost went through the guard
    b.ws.send(JSON.stringify({ type: 'OFFER', dst: 'a', payload: 'marker' }));
    // a's second message is over its own budget; b's first is within its own
    await a.inbox.until((m) => m.type === 'EXPIRE' && m.src === 'ghost');
    await a.inbox.until((m) => m.src === 'b');
    expect(logged.filter((l) => l.includes('(queue-full)'))).toEqual([expect.stringContaining('ip=198.51.100.1')]);
    expect(b.inbox.messages.some((m) => m.type === 'EXPIRE')).toBe(false);
  });
});
