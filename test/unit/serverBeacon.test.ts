/** Viewer offload beacons: POST /swarmfetch/v1/beacon against a real server on 127.0.0.1, and its pure parts. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type WebSocket from 'ws';
import { BeaconThrottle } from '../../server/BeaconThrottle';
import { createSwarmServer, type SwarmServer, type SwarmServerOptions } from '../../server/index';
import { MAX_BEACON_DELTA_BYTES, parseBeacon } from '../../server/parseBeacon';
import { openSignalling, request, type Reply } from './helpers/serverClient';

describe('parseBeacon', () => {
  const ok = { peerId: 'p', token: 't', httpBytes: 1, p2pBytes: 0, uploadedBytes: MAX_BEACON_DELTA_BYTES };

  it('takes the five fields, the counts integers in [0, 2^31], and ignores any other', () => {
    expect(parseBeacon({ ...ok, extra: { deep: [1] }, swarm: 'x' })).toEqual(ok);
    expect(MAX_BEACON_DELTA_BYTES).toBe(2 ** 31);
  });

  it('names the first field at fault', () => {
    for (const body of [null, [], 'text', 7]) expect(parseBeacon(body)).toEqual({ field: 'body' });
    expect(parseBeacon({ ...ok, peerId: '' })).toEqual({ field: 'peerId' });
    expect(parseBeacon({ ...ok, peerId: 'x'.repeat(129) })).toEqual({ field: 'peerId' });
    expect(parseBeacon({ ...ok, token: 5 })).toEqual({ field: 'token' });
    expect(parseBeacon({ ...ok, token: 'x'.repeat(257) })).toEqual({ field: 'token' });
    for (const bad of [-1, 0.5, MAX_BEACON_DELTA_BYTES + 1, Number.NaN, Infinity, '10', null, undefined]) {
      expect(parseBeacon({ ...ok, httpBytes: bad }), String(bad)).toEqual({ field: 'httpBytes' });
      expect(parseBeacon({ ...ok, p2pBytes: bad }), String(bad)).toEqual({ field: 'p2pBytes' });
      expect(parseBeacon({ ...ok, uploadedBytes: bad }), String(bad)).toEqual({ field: 'uploadedBytes' });
    }
  });
});

describe('BeaconThrottle', () => {
  it('lets one beacon per peer through in 5 s, each peer on its own', () => {
    let now = 1_000_000;
    const t = new BeaconThrottle(5000, () => now);
    expect(t.take('a')).toBe(true);
    expect(t.take('a')).toBe(false);
    now += 2000;
    expect(t.take('b')).toBe(true);
    now += 2999;
    expect(t.take('a')).toBe(false);
    now += 1;
    expect(t.take('a')).toBe(true);
    expect(t.take('b')).toBe(false);
    expect(t.take('a')).toBe(false);
    now += 2000;
    expect(t.take('b')).toBe(true);
  });

  it('forgets peers not heard from for 5 s, so it holds only the last interval\'s', () => {
    let now = 0;
    const t = new BeaconThrottle(5000, () => now);
    for (let i = 0; i < 1000; i++) t.take(`p${i}`);
    expect(t.size).toBe(1000);
    now += 5000;
    expect(t.take('late')).toBe(true);
    expect(t.size).toBe(1);
  });

  it('starts over from a clock that went back', () => {
    let now = 10_000;
    const t = new BeaconThrottle(5000, () => now);
    expect(t.take('a')).toBe(true);
    now = 1_000;
    expect(t.take('a')).toBe(true);
    expect(t.take('a')).toBe(false);
  });
});

// ---- the route ----

const SCRAPER = '127.0.0.9';
const servers: SwarmServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A server with metrics on, on a clock that stands still unless moved (vi.setSystemTime): only Date is faked. */
async function start(options: Partial<SwarmServerOptions> = {}): Promise<SwarmServer> {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 0, 1) });
  const server = await createSwarmServer({ port: 0, stun: false, log: () => {}, metrics: true, ...options });
  servers.push(server);
  return server;
}

async function connect(server: SwarmServer, id: string): Promise<void> {
  const { ws, first } = await openSignalling(server.port, id, `tok-${id}`);
  sockets.push(ws);
  expect(first.type).toBe('OPEN');
}

const beacon = (server: SwarmServer, body: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
  request(`${server.url}/swarmfetch/v1/beacon`, { method: 'POST', body, headers });

const counts = (id: string, httpBytes: number, p2pBytes: number, uploadedBytes: number) => ({
  peerId: id, token: `tok-${id}`, httpBytes, p2pBytes, uploadedBytes,
});

/** The unlabelled and `reason`-labelled beacon series of the server's metrics, by `name` or `name{labels}`. */
async function scrape(server: SwarmServer): Promise<Record<string, number>> {
  const res = await request(`${server.url}/swarmfetch/v1/metrics`, { localAddress: SCRAPER });
  expect(res.status).toBe(200);
  const out: Record<string, number> = {};
  for (const line of res.body.split('\n')) {
    const m = /^(swarmfetch_(?:viewer_\w+|beacons_\w+))(\{[^}]*\})? (\S+)$/.exec(line);
    if (m) out[`${m[1]}${m[2] ?? ''}`] = Number(m[3]);
  }
  return out;
}

describe('POST /swarmfetch/v1/beacon', () => {
  it('is not there without metrics: 404 not-found, like any unknown route', async () => {
    const server = await start({ metrics: false });
    await connect(server, 'alice');
    const res = await beacon(server, counts('alice', 1, 2, 3));
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ error: 'not-found' });
  });

  it('adds a verified peer\'s deltas to the totals; one beacon per peer per 5 s (429 too-often, counted, bytes not)', async () => {
    const server = await start();
    await connect(server, 'alice');
    await connect(server, 'bob');
    const m0 = await scrape(server);
    expect(m0).toMatchObject({
      swarmfetch_viewer_http_bytes_total: 0, swarmfetch_viewer_p2p_bytes_total: 0, swarmfetch_viewer_uploaded_bytes_total: 0,
      swarmfetch_beacons_total: 0,
    });
    const first = await beacon(server, counts('alice', 1000, 3000, 500));
    expect(first.status).toBe(204);
    expect(first.headers['cache-control']).toBe('no-store');
    expect((await beacon(server, counts('bob', 10, 20, MAX_BEACON_DELTA_BYTES))).status).toBe(204);
    const again = await beacon(server, counts('alice', 7, 7, 7));
    expect(again.status).toBe(429);
    expect(again.json()).toEqual({ error: 'too-often' });
    expect(again.headers['retry-after']).toBe('5');
    vi.setSystemTime(Date.now() + 4999);
    expect((await beacon(server, counts('alice', 7, 7, 7))).status).toBe(429);
    vi.setSystemTime(Date.now() + 1);
    // zero deltas and fields the server does not know are fine
    expect((await beacon(server, { ...counts('alice', 0, 1, 0), swarm: 'ignored', v: 2 })).status).toBe(204);
    expect(await scrape(server)).toEqual({
      swarmfetch_viewer_http_bytes_total: 1010,
      swarmfetch_viewer_p2p_bytes_total: 3021,
      swarmfetch_viewer_uploaded_bytes_total: 500 + MAX_BEACON_DELTA_BYTES,
      swarmfetch_beacons_total: 3,
      'swarmfetch_beacons_refused_total{reason="too-often"}': 2,
    });
  });

  it('refuses what is not from a connected peer holding its token (403 forbidden), without using up its 5 s', async () => {
    const server = await start();
    await connect(server, 'alice');
    const wrong = await beacon(server, { ...counts('alice', 1, 1, 1), token: 'not-hers' });
    expect(wrong.status).toBe(403);
    expect(wrong.json()).toEqual({ error: 'forbidden' });
    expect((await beacon(server, counts('nobody', 1, 1, 1))).status).toBe(403);
    expect((await beacon(server, counts('alice', 1, 1, 1))).status).toBe(204);
    expect(await scrape(server)).toMatchObject({
      swarmfetch_beacons_total: 1, swarmfetch_viewer_http_bytes_total: 1, 'swarmfetch_beacons_refused_total{reason="forbidden"}': 2,
    });
  });

  it('refuses malformed beacons 400 naming the field, bad JSON 400 bad-request, a body over 1 KiB 413 unread', async () => {
    const server = await start();
    await connect(server, 'alice');
    const negative = await beacon(server, counts('alice', -1, 0, 0));
    expect(negative.status).toBe(400);
    expect(negative.json()).toEqual({ error: 'bad-beacon', field: 'httpBytes' });
    const tooBig = await beacon(server, counts('alice', 0, MAX_BEACON_DELTA_BYTES + 1, 0));
    expect(tooBig.json()).toEqual({ error: 'bad-beacon', field: 'p2pBytes' });
    const missing = await beacon(server, { peerId: 'alice', token: 'tok-alice', httpBytes: 1, p2pBytes: 1 });
    expect(missing.json()).toEqual({ error: 'bad-beacon', field: 'uploadedBytes' });
    const notObject = await beacon(server, '[1,2]');
    expect([notObject.status, notObject.json()]).toEqual([400, { error: 'bad-beacon', field: 'body' }]);
    const notJson = await beacon(server, '{"peerId":');
    expect([notJson.status, notJson.json()]).toEqual([400, { error: 'bad-request' }]);
    const large = await beacon(server, { ...counts('alice', 1, 1, 1), pad: 'x'.repeat(1024) });
    expect([large.status, large.json()]).toEqual([413, { error: 'too-large' }]);
    // none of them counted anything, or used up alice's 5 s
    expect((await beacon(server, counts('alice', 1, 2, 3))).status).toBe(204);
    expect(await scrape(server)).toEqual({
      swarmfetch_viewer_http_bytes_total: 1, swarmfetch_viewer_p2p_bytes_total: 2, swarmfetch_viewer_uploaded_bytes_total: 3,
      swarmfetch_beacons_total: 1,
      'swarmfetch_beacons_refused_total{reason="malformed"}': 5,
      'swarmfetch_beacons_refused_total{reason="too-large"}': 1,
    });
  });

  it('follows the tracker routes\' Origin rules: an allowed page gets CORS, a disallowed one 403 before any work', async () => {
    const server = await start({ allowedOrigins: ['https://site.example'] });
    await connect(server, 'alice');
    const preflight = await request(`${server.url}/swarmfetch/v1/beacon`, {
      method: 'OPTIONS', headers: { origin: 'https://site.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://site.example');
    const other = await beacon(server, counts('alice', 1, 1, 1), { origin: 'https://other.example' });
    expect([other.status, other.json()]).toEqual([403, { error: 'forbidden' }]);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const page = await beacon(server, counts('alice', 1, 1, 1), { origin: 'https://site.example' });
    expect(page.status).toBe(204);
    expect(page.headers['access-control-allow-origin']).toBe('https://site.example');
    expect(await scrape(server)).toMatchObject({ swarmfetch_beacons_total: 1, swarmfetch_viewer_http_bytes_total: 1 });
  });

  it('is within the per-client request budget of the tracker routes (429 rate-exceeded)', async () => {
    const server = await start({ maxTrackerRequestsPerSec: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await beacon(server, counts('nobody', 1, 1, 1))).status);
    expect(statuses).toEqual([403, 403, 429]);
  });
});
