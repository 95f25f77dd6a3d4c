import { request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { SwarmError } from '../../core/SwarmError';
import { createSwarmServer, mergeServerOptions, type SwarmServer, type SwarmServerOptions } from '../../server/index';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => unknown;
}

/** Plain node:http, so Origin and Host can be set like a browser would. */
function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Reply> {
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  const headers = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Connects like the PeerJS browser client does; resolves once the server said OPEN. */
function connectPeer(server: SwarmServer, id: string, token: string, origin?: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/peerjs/peerjs?key=peerjs&id=${id}&token=${token}`, { origin });
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => {
      const msg = JSON.parse(String(data)) as { type: string };
      if (msg.type === 'OPEN') resolve(ws);
      else reject(new Error(`PeerJS server said ${msg.type}`));
    });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const servers: SwarmServer[] = [];
const sockets: WebSocket[] = [];
async function start(options: Partial<SwarmServerOptions> = {}): Promise<SwarmServer> {
  const server = await createSwarmServer({ port: 0, ...options });
  servers.push(server);
  return server;
}
async function peer(server: SwarmServer, id: string, token: string, origin?: string): Promise<WebSocket> {
  const ws = await connectPeer(server, id, token, origin);
  sockets.push(ws);
  return ws;
}

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('createSwarmServer', () => {
  it('listens on loopback on any port and answers health', async () => {
    const server = await start();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    const res = await request(`${server.url}/swarmfetch/v1/health`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({ ok: true, peers: 0, swarms: 0, oracle: false, stun: true, turn: false });
  });

  it('refuses a join for a peer id not connected to signalling (403)', async () => {
    const server = await start();
    const res = await request(`${server.url}/swarmfetch/v1/join`, {
      method: 'POST',
      body: { peerId: 'nobody', token: 't', swarm: 's' },
    });
    expect(res.status).toBe(403);
    expect(res.json()).toEqual({ error: 'forbidden' });
  });

  it('lets a connected PeerJS client join with its token, and only with it', async () => {
    const server = await start();
    await peer(server, 'alice', 'tokA');
    await peer(server, 'bob', 'tokB');
    const join = (body: object) => request(`${server.url}/swarmfetch/v1/join`, { method: 'POST', body });

    const a = await join({ peerId: 'alice', token: 'tokA', swarm: 's' });
    expect(a.status).toBe(200);
    expect(a.json()).toEqual({ peers: [] });
    const b = await join({ peerId: 'bob', token: 'tokB', swarm: 's', want: 5 });
    expect(b.json()).toEqual({ peers: ['alice'] });

    // bob cannot act for alice's id, with his token or a guess
    expect((await join({ peerId: 'alice', token: 'tokB', swarm: 's2' })).status).toBe(403);
    expect((await join({ peerId: 'alice', token: 'tokAx', swarm: 's2' })).status).toBe(403);

    expect((await request(`${server.url}/swarmfetch/v1/health`)).json()).toEqual({ ok: true, peers: 2, swarms: 1, oracle: false, stun: true, turn: false });
  });

  it('leave answers 204 and removes the peer from the swarm', async () => {
    const server = await start();
    await peer(server, 'alice', 'tokA');
    const body = { peerId: 'alice', token: 'tokA', swarm: 's' };
    await request(`${server.url}/swarmfetch/v1/join`, { method: 'POST', body });
    expect(server.tracker.has('alice', 's')).toBe(true);
    const res = await request(`${server.url}/swarmfetch/v1/leave`, { method: 'POST', body });
    expect(res.status).toBe(204);
    expect(server.tracker.has('alice', 's')).toBe(false);
    expect((await request(`${server.url}/swarmfetch/v1/leave`, { method: 'POST', body: { ...body, token: 'x' } })).status).toBe(403);
  });

  it('forgets a peer when its signalling socket closes', async () => {
    const server = await start();
    const ws = await peer(server, 'alice', 'tokA');
    await request(`${server.url}/swarmfetch/v1/join`, { method: 'POST', body: { peerId: 'alice', token: 'tokA', swarm: 's' } });
    expect(server.tracker.stats()).toEqual({ swarms: 1, peers: 1 });
    ws.close();
    await until(() => server.tracker.stats().peers === 0);
    const again = await request(`${server.url}/swarmfetch/v1/join`, {
      method: 'POST',
      body: { peerId: 'alice', token: 'tokA', swarm: 's' },
    });
    expect(again.status).toBe(403);
  });

  it('answers at most peersPerAnswer peers', async () => {
    const server = await start({ peersPerAnswer: 2 });
    for (const id of ['p1', 'p2', 'p3', 'p4']) {
      await peer(server, id, `t-${id}`);
      await request(`${server.url}/swarmfetch/v1/join`, { method: 'POST', body: { peerId: id, token: `t-${id}`, swarm: 's', want: 0 } });
    }
    const res = await request(`${server.url}/swarmfetch/v1/join`, {
      method: 'POST',
      body: { peerId: 'p1', token: 't-p1', swarm: 's', want: 50 },
    });
    expect((res.json() as { peers: string[] }).peers).toHaveLength(2);
  });

  it('answers 400 bad-request to malformed bodies', async () => {
    const server = await start();
    await peer(server, 'alice', 'tokA');
    const bad = [
      '{"peerId":',
      '[]',
      { peerId: 'alice', token: 'tokA' },
      { peerId: 'alice', token: 'tokA', swarm: '' },
      { peerId: 'alice', token: 'tokA', swarm: 'x'.repeat(2049) },
      { peerId: 'alice', token: 'tokA', swarm: 's', want: -1 },
      { peerId: 'alice', token: 'tokA', swarm: 's', want: '3' },
      { peerId: 7, token: 'tokA', swarm: 's' },
    ];
    for (const body of bad) {
      const res = await request(`${server.url}/swarmfetch/v1/join`, { method: 'POST', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json()).toEqual({ error: 'bad-request' });
    }
    const huge = await request(`${server.url}/swarmfetch/v1/join`, { method: 'POST', body: { pad: 'x'.repeat(10_000) } });
    expect(huge.status).toBe(413);
  });

  describe('CORS with allowedOrigins', () => {
    const allowed = 'https://a.example';
    const refused = 'https://evil.example';
    const preflight = (server: SwarmServer, origin: string) =>
      request(`${server.url}/swarmfetch/v1/join`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });

    it('answers the preflight of an allowed origin', async () => {
      const server = await start({ allowedOrigins: [allowed] });
      const res = await preflight(server, allowed);
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(allowed);
      expect(res.headers['access-control-allow-methods']).toContain('POST');
      expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toContain('content-type');
    });

    it('refuses a preflight and requests from another origin with 403', async () => {
      const server = await start({ allowedOrigins: [allowed] });
      const res = await preflight(server, refused);
      expect(res.status).toBe(403);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const health = await request(`${server.url}/swarmfetch/v1/health`, { headers: { origin: refused } });
      expect(health.status).toBe(403);
      expect(health.json()).toEqual({ error: 'forbidden' });
    });

    it("allows the server's own origin and requests without Origin", async () => {
      const server = await start({ allowedOrigins: [allowed] });
      expect((await request(`${server.url}/swarmfetch/v1/health`, { headers: { origin: server.url } })).status).toBe(200);
      expect((await request(`${server.url}/swarmfetch/v1/health`)).status).toBe(200);
    });

    it('refuses the signalling websocket of another origin', async () => {
      const server = await start({ allowedOrigins: [allowed] });
      await expect(peer(server, 'eve', 'tokE', refused)).rejects.toThrow(/401/);
      await expect(peer(server, 'ann', 'tokA', allowed)).resolves.toBeInstanceOf(WebSocket);
    });

    it("echoes any origin with the default '*'", async () => {
      const server = await start();
      const res = await preflight(server, refused);
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(refused);
    });
  });

  it('close() ends websockets and frees the port for a new server at once', async () => {
    const first = await start();
    const ws = await peer(first, 'alice', 'tokA');
    const closed = new Promise((resolve) => ws.once('close', resolve));
    // "at once": close() resolves on I/O alone, with the client's websocket still open on its side. With the
    // timers faked, a close that waited for any timer (a keep-alive timeout, a close handshake) would never resolve.
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
    try {
      await first.close();
    } finally {
      vi.useRealTimers();
    }
    await closed;
    await first.close(); // idempotent

    const second = await start({ port: first.port });
    expect(second.port).toBe(first.port);
    await peer(second, 'alice', 'tokA');
    const res = await request(`${second.url}/swarmfetch/v1/join`, {
      method: 'POST',
      body: { peerId: 'alice', token: 'tokA', swarm: 's' },
    });
    expect(res.status).toBe(200);
  });

  it('rejects when the port is taken', async () => {
    const first = await start();
    await expect(createSwarmServer({ port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('serves static dirs with media content types and ranges', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swarmfetch-static-'));
    writeFileSync(join(dir, 'index.m3u8'), '#EXTM3U\n');
    writeFileSync(join(dir, 'seg_000.ts'), Buffer.alloc(1000, 0x47));
    const server = await start({ static: [{ urlPath: '/media', dir }] });
    const m3u8 = await request(`${server.url}/media/index.m3u8`);
    expect(m3u8.headers['content-type']).toContain('application/vnd.apple.mpegurl');
    const part = await request(`${server.url}/media/seg_000.ts`, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers['content-type']).toBe('video/mp2t');
    expect(part.headers['content-range']).toBe('bytes 10-19/1000');
  });
});

describe('mergeServerOptions', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return SwarmError.is(err) ? err.code : 'other';
    }
    return 'none';
  };

  it('has the documented defaults', () => {
    const { log, ...rest } = mergeServerOptions({});
    expect(typeof log).toBe('function');
    expect(rest).toEqual({
      port: 8080,
      host: '127.0.0.1',
      allowedOrigins: '*',
      static: [],
      maxSwarmsPerPeer: 32,
      peersPerAnswer: 10,
      maxPeers: 5000,
      maxConnectionsPerIp: 64,
      maxMessageBytes: 65536,
      maxMessagesPerSec: 50,
      maxTrackerRequestsPerSec: 50,
      maxQueuedMessagesPerClient: 16,
      maxQueuedBytes: 4 * 1024 * 1024,
      hashOrigins: [],
      hashMaxBytes: 32 * 1024 * 1024,
      hashTimeoutMs: 10_000,
      hashSegmentPattern: '\\.(ts|m4s|mp4|m4v|m4a|aac|cmfv|cmfa)$',
      hashMinRangeBytes: 16 * 1024,
      hashMaxFetchesPerClient: 2,
      stun: true,
      stunPort: 0,
      iceUrls: [],
      turnUrls: [],
      turnSecret: '',
      turnCredentialTtlSec: 3600,
      redisUrl: '',
      redisPrefix: 'swarmfetch:',
      nodeId: '',
      peerTtlMs: 15_000,
      logFormat: 'text',
      trustProxy: 0,
      metrics: false,
    });
  });

  it('clamps counts and normalises origins', () => {
    const o = mergeServerOptions({ peersPerAnswer: 500, maxSwarmsPerPeer: 0, allowedOrigins: ['https://a.example/'] });
    expect(o.peersPerAnswer).toBe(50);
    expect(o.maxSwarmsPerPeer).toBe(1);
    expect(o.allowedOrigins).toEqual(['https://a.example']);
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('throws config-invalid for bad values and unknown keys', () => {
    expect(code(() => mergeServerOptions({ port: -1 }))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ port: 1.5 }))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ host: '' }))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ allowedOrigins: ['https://a.example/path'] }))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ allowedOrigins: ['ftp://a.example'] }))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ allowedOrigins: 'https://a.example' }))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ static: [{ urlPath: 'media', dir: tmpdir() }] }))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ static: [{ urlPath: '/m', dir: '/no/such/dir' }] }))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ peersPerAnswer: Number.NaN }))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ prot: 80 } as never))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ trustProxy: 1.5 }))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ trustProxy: 33 }))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ trustProxy: ['10.0.0.0/33'] }))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ trustProxy: ['proxy.example'] }))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ trustProxy: true } as never))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ metrics: 'yes' } as never))).toBe('config-invalid');
    expect(code(() => mergeServerOptions({ logFormat: 'xml' } as never))).toBe('config-invalid');
    expect(mergeServerOptions({ trustProxy: ['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.1'] }).trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.1']);
  });
});
