import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { createSwarmServer, type SwarmServer, type SwarmServerOptions } from '../../server/index';
import { createDropLog } from '../../server/dropLog';
import { closed, openSignalling, request } from './helpers/serverClient';

const servers: SwarmServer[] = [];
const sockets: WebSocket[] = [];
let logged: string[] = [];

async function start(options: Partial<SwarmServerOptions> = {}): Promise<SwarmServer> {
  const server = await createSwarmServer({ port: 0, log: (line) => logged.push(line), ...options });
  servers.push(server);
  return server;
}

async function peer(server: SwarmServer, id: string, token: string, localAddress?: string): Promise<WebSocket> {
  const { ws, first } = await openSignalling(server.port, id, token, { localAddress });
  sockets.push(ws);
  if (first.type !== 'OPEN') throw new Error(`PeerJS server said ${first.type}: ${first.payload?.msg}`);
  return ws;
}

const join = (server: SwarmServer, body: unknown, headers: Record<string, string> = {}, localAddress?: string) =>
  request(`${server.url}/swarmfetch/v1/join`, { method: 'POST', body, headers, localAddress });

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  logged = [];
});

describe('server bounds', () => {
  it('refuses connections over maxConnectionsPerIp (websocket and HTTP, 429) and logs why; other IPs are unaffected', async () => {
    const server = await start({ maxConnectionsPerIp: 2 });
    const a = await peer(server, 'a', 'tokA');
    await peer(server, 'b', 'tokB');
    await expect(openSignalling(server.port, 'c', 'tokC')).rejects.toThrow(/429/);
    const http = await request(`${server.url}/swarmfetch/v1/health`);
    expect(http.status).toBe(429);
    expect(http.json()).toEqual({ error: 'too-many-connections' });
    expect(logged.some((l) => l.includes('(too-many-connections)') && l.includes('ip=127.0.0.1'))).toBe(true);
    // another address is counted on its own, and the connections already open keep working
    await peer(server, 'd', 'tokD', '127.0.0.2');
    expect((await request(`${server.url}/swarmfetch/v1/health`, { localAddress: '127.0.0.3' })).status).toBe(200);
    expect(a.readyState).toBe(a.OPEN);
    // a freed slot can be used again
    a.terminate();
    await closed(a);
    // the server sees a's socket close on its own I/O turn: poll (no sleep) until a connection from this address is
    // let in again — b and the health request itself make 2 — then a new peer takes the slot
    let status = 429;
    for (let tries = 0; status !== 200 && tries < 100; tries++) status = (await request(`${server.url}/swarmfetch/v1/health`)).status;
    expect(status).toBe(200);
    await expect(peer(server, 'e', 'tokE')).resolves.toBeDefined();
  });

  it('closes a signalling socket that sends a message over maxMessageBytes (1009); others keep going', async () => {
    const server = await start({ maxMessageBytes: 1024 });
    const bad = await peer(server, 'bad', 'tokB');
    const good = await peer(server, 'good', 'tokG');
    bad.send(JSON.stringify({ type: 'HEARTBEAT', pad: 'x'.repeat(2000) }));
    expect((await closed(bad)).code).toBe(1009);
    expect(logged.some((l) => l.includes('(message-too-large)'))).toBe(true);
    good.send(JSON.stringify({ type: 'HEARTBEAT' }));
    expect((await join(server, { peerId: 'good', token: 'tokG', swarm: 's' })).status).toBe(200);
    expect(good.readyState).toBe(good.OPEN);
  });

  it('closes a signalling socket that sends faster than maxMessagesPerSec (1008 rate-exceeded)', async () => {
    const server = await start({ maxMessagesPerSec: 5 });
    const flood = await peer(server, 'flood', 'tokF');
    const calm = await peer(server, 'calm', 'tokC');
    for (let i = 0; i < 5; i++) calm.send(JSON.stringify({ type: 'HEARTBEAT' }));
    for (let i = 0; i < 50; i++) flood.send(JSON.stringify({ type: 'HEARTBEAT' }));
    expect(await closed(flood)).toEqual({ code: 1008, reason: 'rate-exceeded' });
    expect(logged.some((l) => l.includes('(rate-exceeded)') && l.includes('via=signalling'))).toBe(true);
    expect(calm.readyState).toBe(calm.OPEN);
  });

  it('closes a signalling socket that sends something other than a JSON message (1007 bad-message)', async () => {
    const server = await start();
    const garbage = ['{not json', '[1,2]', '"text"', JSON.stringify({ type: 7 }), new Uint8Array([1, 2, 3])];
    const results = await Promise.all(
      garbage.map(async (g, i) => {
        const ws = await peer(server, `g${i}`, 'tok');
        ws.send(g);
        return closed(ws);
      }),
    );
    expect(results).toEqual(garbage.map(() => ({ code: 1007, reason: 'bad-message' })));
  });

  it('refuses peers over maxPeers with the PeerJS limit error', async () => {
    const server = await start({ maxPeers: 2 });
    await peer(server, 'a', 'tokA');
    await peer(server, 'b', 'tokB');
    const third = await openSignalling(server.port, 'c', 'tokC');
    sockets.push(third.ws);
    expect(third.first.type).toBe('ERROR');
    expect(third.first.payload?.msg).toMatch(/limit/i);
    await closed(third.ws);
  });

  it('answers tracker requests over maxTrackerRequestsPerSec per IP with 429 rate-exceeded; health and other IPs pass', async () => {
    const server = await start({ maxTrackerRequestsPerSec: 3 });
    await peer(server, 'a', 'tokA');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await join(server, { peerId: 'a', token: 'tokA', swarm: 's' })).status);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    const limited = await join(server, { peerId: 'a', token: 'tokA', swarm: 's' });
    expect(limited.json()).toEqual({ error: 'rate-exceeded' });
    expect(limited.headers['retry-after']).toBe('1');
    expect((await request(`${server.url}/swarmfetch/v1/health`)).status).toBe(200);
    expect((await join(server, { peerId: 'a', token: 'tokA', swarm: 's' }, {}, '127.0.0.2')).status).toBe(200);
    expect(logged.some((l) => l.includes('(rate-exceeded)') && l.includes('via=tracker'))).toBe(true);
  });

  it('answers a tracker body over 8 KiB with 413 too-large', async () => {
    const server = await start();
    await peer(server, 'a', 'tokA');
    const res = await join(server, { peerId: 'a', token: 'tokA', swarm: 's', pad: 'x'.repeat(9000) });
    expect(res.status).toBe(413);
    expect(res.json()).toEqual({ error: 'too-large' });
  });

  it('logs at most 20 drop lines a second for each reason and counts the rest in its next line', () => {
    let now = 0;
    const lines: string[] = [];
    const drop = createDropLog((l) => lines.push(l), () => now);
    for (let i = 0; i < 50; i++) drop('rate-exceeded', { ip: '10.0.0.1', n: i });
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe('swarmfetch server: dropped (rate-exceeded) ip=10.0.0.1 n=0');
    // another kind of drop in the same second is not hidden behind the flood
    drop('too-many-connections', { ip: '10.0.0.2' });
    expect(lines.at(-1)).toBe('swarmfetch server: dropped (too-many-connections) ip=10.0.0.2');
    now += 1000;
    drop('rate-exceeded', { ip: '10.0.0.3' });
    expect(lines.at(-1)).toBe('swarmfetch server: dropped (rate-exceeded) ip=10.0.0.3 (+30 not logged)');
  });
});

describe('server isolation', () => {
  it("refuses a second client taking a connected peer's id (ID-TAKEN) and a join with its id but another token", async () => {
    const server = await start();
    const owner = await peer(server, 'alice', 'secret-a');
    const thief = await openSignalling(server.port, 'alice', 'guess');
    sockets.push(thief.ws);
    expect(thief.first.type).toBe('ID-TAKEN');
    expect((await join(server, { peerId: 'alice', token: 'guess', swarm: 's' })).status).toBe(403);
    // the owner still holds its id
    expect(owner.readyState).toBe(owner.OPEN);
    expect((await join(server, { peerId: 'alice', token: 'secret-a', swarm: 's' })).status).toBe(200);
  });

  it("refuses a browser's join of another site's swarm (403 wrong-origin)", async () => {
    const server = await start();
    await peer(server, 'eve', 'tokE');
    const swarm = 'https://good.example|https://cdn.example/live/720p/';
    const evil = await join(server, { peerId: 'eve', token: 'tokE', swarm }, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.json()).toEqual({ error: 'wrong-origin' });
    // a prefix trick is no way round it
    const prefix = await join(server, { peerId: 'eve', token: 'tokE', swarm: 'https://good.example.evil|x' }, { origin: 'https://good.example' });
    expect(prefix.status).toBe(403);
    const own = await join(server, { peerId: 'eve', token: 'tokE', swarm }, { origin: 'https://good.example' });
    expect(own.status).toBe(200);
  });

  it('lists only peers of the swarm asked for', async () => {
    const server = await start();
    await peer(server, 'a', 'tokA');
    await peer(server, 'b', 'tokB');
    await peer(server, 'c', 'tokC');
    const x = 'http://site|http://cdn/x/';
    const y = 'http://site|http://cdn/y/';
    await join(server, { peerId: 'a', token: 'tokA', swarm: x });
    await join(server, { peerId: 'b', token: 'tokB', swarm: y });
    expect((await join(server, { peerId: 'c', token: 'tokC', swarm: y })).json()).toEqual({ peers: ['b'] });
    expect((await join(server, { peerId: 'c', token: 'tokC', swarm: x })).json()).toEqual({ peers: ['a'] });
  });
});
