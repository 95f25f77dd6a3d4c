import { createHmac } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { SwarmError } from '../../core/SwarmError';
import { createSwarmServer, mergeServerOptions, type SwarmServer, type SwarmServerOptions } from '../../server/index';
import { openSignalling, request } from './helpers/serverClient';
import { thrownCode } from './helpers/thrownCode';

const SECRET = 'a-turn-secret-of-some-length';

const servers: SwarmServer[] = [];
const sockets: WebSocket[] = [];
const udp: Socket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const s of udp.splice(0)) s.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<SwarmServerOptions> = {}): Promise<SwarmServer> {
  const server = await createSwarmServer({ host: '127.0.0.1', port: 0, log: () => {}, ...options });
  servers.push(server);
  return server;
}

/** A PeerJS-protocol signalling socket: the server then knows `id` with `token`, as for join. */
async function connect(server: SwarmServer, id = 'alice', token = 'tokA'): Promise<void> {
  const { ws, first } = await openSignalling(server.port, id, token);
  sockets.push(ws);
  expect(first.type).toBe('OPEN');
}

function ice(server: SwarmServer, body: unknown, headers: Record<string, string> = {}) {
  return request(`${server.url}/swarmfetch/v1/ice`, { method: 'POST', body, headers });
}

function udpSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  udp.push(socket);
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket)));
}

/** A UDP port free right now (bound and released). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('POST /swarmfetch/v1/ice', () => {
  it('is forbidden without a connected peer, or with another peer\'s token', async () => {
    const server = await start();
    expect(await ice(server, { peerId: 'nobody', token: 't' })).toMatchObject({ status: 403 });
    await connect(server);
    const wrong = await ice(server, { peerId: 'alice', token: 'tokB' });
    expect(wrong.status).toBe(403);
    expect(wrong.json()).toEqual({ error: 'forbidden' });
  });

  it('answers 400 for a malformed body, 413 for a large one', async () => {
    const server = await start();
    await connect(server);
    for (const body of [{ peerId: 'alice' }, { peerId: 'alice', token: 'tokA', relay: 'yes' }, [1], 'nope', { peerId: 7, token: 'tokA' }, '{"peerId":']) {
      const res = await ice(server, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json()).toEqual({ error: 'bad-request' });
    }
    expect((await ice(server, { peerId: 'alice', token: 'tokA', pad: 'x'.repeat(9000) })).status).toBe(413);
  });

  it('hands a connected peer this server\'s STUN at the port actually bound and the host name it was reached by', async () => {
    const server = await start();
    expect(server.stunPort).toBe(server.port);
    await connect(server);
    const res = await ice(server, { peerId: 'alice', token: 'tokA' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({ iceServers: [{ urls: `stun:127.0.0.1:${server.port}` }], ttlSec: 3600 });

    const via = async (host: string) => ((await ice(server, { peerId: 'alice', token: 'tokA' }, { host })).json() as { iceServers: unknown[] }).iceServers;
    expect(await via('Media.Example.com:8443')).toEqual([{ urls: `stun:media.example.com:${server.port}` }]);
    expect(await via('[::1]:80')).toEqual([{ urls: `stun:[::1]:${server.port}` }]);
    expect(await via('localhost')).toEqual([{ urls: `stun:localhost:${server.port}` }]);
    // not a plain host name: nothing advertised from it
    for (const bad of ['a_b.example', 'a.example:99999', 'a.example:x', '[nope]:80', '-a.example', `${'a'.repeat(64)}.example`]) {
      expect(await via(bad), bad).toEqual([]);
    }
  });

  it('advertises stunPort when given', async () => {
    const stunPort = await freeUdpPort();
    const server = await start({ stunPort });
    expect(server.stunPort).toBe(stunPort);
    await connect(server);
    expect((await ice(server, { peerId: 'alice', token: 'tokA' })).json()).toMatchObject({ iceServers: [{ urls: `stun:127.0.0.1:${stunPort}` }] });
  });

  it('advertises iceUrls instead of its own STUN, with or without its own responder', async () => {
    const iceUrls = ['stun:stun.example.com:3478', 'stuns:stun.example.com'];
    for (const stun of [true, false]) {
      const server = await start({ iceUrls, stun });
      expect(server.stunPort === null).toBe(!stun);
      await connect(server);
      expect((await ice(server, { peerId: 'alice', token: 'tokA' })).json()).toEqual({ iceServers: [{ urls: iceUrls }], ttlSec: 3600 });
      expect((await request(`${server.url}/swarmfetch/v1/health`)).json()).toMatchObject({ stun: true, turn: false });
    }
  });

  it('hands no STUN with stun: false and no iceUrls', async () => {
    const server = await start({ stun: false });
    expect(server.stunPort).toBeNull();
    await connect(server);
    expect((await ice(server, { peerId: 'alice', token: 'tokA' })).json()).toEqual({ iceServers: [], ttlSec: 3600 });
    expect((await request(`${server.url}/swarmfetch/v1/health`)).json()).toEqual({ ok: true, peers: 1, swarms: 0, oracle: false, stun: false, turn: false });
  });

  it('hands TURN credentials for the peer\'s own id, a TURN server holding the secret can check; relay:false omits them', async () => {
    const turnUrls = ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349?transport=tcp'];
    const server = await start({ turnUrls, turnSecret: SECRET, turnCredentialTtlSec: 600 });
    await connect(server);
    const before = Math.floor(Date.now() / 1000);
    const res = (await ice(server, { peerId: 'alice', token: 'tokA', relay: true })).json() as { iceServers: Array<{ urls: unknown; username?: string; credential?: string }>; ttlSec: number };
    const after = Math.floor(Date.now() / 1000);
    expect(res.ttlSec).toBe(600);
    expect(res.iceServers[0]).toEqual({ urls: `stun:127.0.0.1:${server.port}` });
    const turn = res.iceServers[1]!;
    expect(turn.urls).toEqual(turnUrls);
    const [expiry, id] = turn.username!.split(':');
    expect(id).toBe('alice');
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(expiry)).toBeLessThanOrEqual(after + 600);
    expect(turn.credential).toBe(createHmac('sha1', SECRET).update(turn.username!).digest('base64'));
    expect(res.iceServers).toHaveLength(2);

    expect((await ice(server, { peerId: 'alice', token: 'tokA', relay: false })).json()).toEqual({
      iceServers: [{ urls: `stun:127.0.0.1:${server.port}` }], ttlSec: 600,
    });
    expect((await request(`${server.url}/swarmfetch/v1/health`)).json()).toMatchObject({ stun: true, turn: true });
  });

  it('keeps the tracker\'s origin rule and request budget', async () => {
    const server = await start({ allowedOrigins: ['https://a.example'], maxTrackerRequestsPerSec: 2 });
    await connect(server, 'alice', 'tokA');
    const refused = await ice(server, { peerId: 'alice', token: 'tokA' }, { origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await ice(server, { peerId: 'alice', token: 'tokA' }, { origin: 'https://a.example' })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe('the server\'s STUN responder', () => {
  it('answers a Binding Request on the server\'s UDP port with the sender\'s address', async () => {
    const server = await start();
    const socket = await udpSocket();
    const txid = Buffer.from('0102030405060708090a0b0c', 'hex');
    const answer = new Promise<Buffer>((resolve) => socket.once('message', resolve));
    socket.send(Buffer.concat([Buffer.from('000100002112a442', 'hex'), txid]), server.stunPort!, '127.0.0.1');
    const res = await answer;
    expect(res.readUInt16BE(0)).toBe(0x0101);
    expect(res.subarray(8, 20)).toEqual(txid);
    expect(res.readUInt16BE(20)).toBe(0x0020);
    expect(res.readUInt16BE(26) ^ 0x2112).toBe(socket.address().port);
    expect([...res.subarray(28, 32)].map((b, i) => b ^ [0x21, 0x12, 0xa4, 0x42][i]!).join('.')).toBe('127.0.0.1');
  });

  it('is closed by close(): its UDP port can be bound again', async () => {
    const server = await start();
    const port = server.stunPort!;
    await server.close();
    const socket = createSocket('udp4');
    udp.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', () => resolve());
    });
  });

  it('fails to start, saying so, when the UDP port is taken — and frees the TCP port it had', async () => {
    const taken = await udpSocket();
    const stunPort = taken.address().port;
    let error: unknown;
    try {
      await start({ stunPort });
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'EADDRINUSE' });
    expect((error as Error).message).toContain(`cannot bind the STUN responder to UDP 127.0.0.1 port ${stunPort}`);
    expect(servers).toHaveLength(0);
  });

  it('frees the TCP port when the STUN bind fails', async () => {
    // the TCP port of a failed start can be listened on at once
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const taken = createSocket('udp4');
    udp.push(taken);
    await new Promise<void>((r) => taken.bind(port, '127.0.0.1', () => r()));
    await expect(createSwarmServer({ host: '127.0.0.1', port, log: () => {} })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const again = await start({ port, stun: false });
    expect(again.port).toBe(port);
  });
});

describe('ICE options', () => {
  it('defaults: STUN on at the HTTP port number, no other STUN URL, no TURN', () => {
    expect(mergeServerOptions({})).toMatchObject({ stun: true, stunPort: 0, iceUrls: [], turnUrls: [], turnSecret: '', turnCredentialTtlSec: 3600 });
  });

  it('takes STUN and TURN URLs of the documented forms', () => {
    const o = mergeServerOptions({
      iceUrls: ['stun:stun.example.com', 'stun:192.0.2.1:3478', 'stuns:[2001:db8::1]:5349', 'stun:stun.example.com'], // 4: the most
      turnUrls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com?transport=tcp', 'turn:[::1]'],
      turnSecret: SECRET,
      stunPort: 3478,
      stun: false,
    });
    expect(o.iceUrls).toEqual(['stun:stun.example.com', 'stun:192.0.2.1:3478', 'stuns:[2001:db8::1]:5349']);
    expect(o.turnUrls).toHaveLength(3);
    expect(Object.isFrozen(o.iceUrls)).toBe(true);
  });

  it('refuses what is not a STUN or TURN URL, too many, or a bad port', () => {
    const bad: Array<Partial<Record<keyof SwarmServerOptions, unknown>>> = [
      { iceUrls: ['http://stun.example.com'] },
      { iceUrls: ['turn:turn.example.com'] },
      { iceUrls: ['stun:stun.example.com:3478?transport=udp'] },
      { iceUrls: ['stun:stun.example.com/path'] },
      { iceUrls: ['stun:'] },
      { iceUrls: ['stun:a b'] },
      { iceUrls: [`stun:${'a.'.repeat(130)}example`] },
      { iceUrls: Array.from({ length: 5 }, (_, i) => `stun:s${i}.example.com`) },
      { iceUrls: 'stun:stun.example.com' },
      { turnUrls: ['stun:turn.example.com'], turnSecret: SECRET },
      { turnUrls: ['turn:turn.example.com?transport=sctp'], turnSecret: SECRET },
      { turnUrls: ['turn:user@turn.example.com'], turnSecret: SECRET },
      { stunPort: 65536 },
      { stunPort: -1 },
      { stunPort: 1.5 },
      { stun: 'yes' },
    ];
    for (const options of bad) expect(thrownCode(() => mergeServerOptions(options)), JSON.stringify(options)).toBe('config-invalid');
  });

  it('needs turnUrls and turnSecret together, and a secret of 16+ characters it never repeats in an error', () => {
    expect(thrownCode(() => mergeServerOptions({ turnUrls: ['turn:t.example.com'] }))).toBe('config-invalid');
    expect(thrownCode(() => mergeServerOptions({ turnSecret: SECRET }))).toBe('config-invalid');
    const short = 'short-secret-15';
    for (const options of [{ turnUrls: ['turn:t.example.com'], turnSecret: short }, { turnSecret: SECRET }]) {
      let error: unknown;
      try {
        mergeServerOptions(options);
      } catch (err) {
        error = err;
      }
      expect(SwarmError.is(error, 'config-invalid')).toBe(true);
      expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain(options.turnSecret);
    }
  });

  it('clamps turnCredentialTtlSec to 60–86400', () => {
    const turn = { turnUrls: ['turn:t.example.com'], turnSecret: SECRET };
    expect(mergeServerOptions({ ...turn, turnCredentialTtlSec: 1 }).turnCredentialTtlSec).toBe(60);
    expect(mergeServerOptions({ ...turn, turnCredentialTtlSec: 1e9 }).turnCredentialTtlSec).toBe(86_400);
    expect(thrownCode(() => mergeServerOptions({ turnCredentialTtlSec: 'x' }))).toBe('config-invalid');
  });
});
