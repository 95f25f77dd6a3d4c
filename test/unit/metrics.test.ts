import { createHash } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { createSwarmServer, type SwarmServer, type SwarmServerOptions } from '../../server/index';
import { createDropLog } from '../../server/dropLog';
import { MetricsRegistry } from '../../server/MetricsRegistry';
import { openSignalling, request } from './helpers/serverClient';

// ---- a strict reader of the Prometheus text exposition format (0.0.4) ----

interface Family {
  help: string;
  type: string;
  /** Label set (`a="1",b="2"`, as unescaped values joined) → value. */
  samples: Map<string, number>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** The label pairs of `{…}`, unescaped, as `name=value` joined by ','; throws on anything malformed. */
function readLabels(text: string): string {
  const pairs: string[] = [];
  const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
  let at = 0;
  while (at < text.length) {
    pair.lastIndex = at;
    const m = pair.exec(text);
    if (!m) throw new Error(`bad labels at ${at}: ${text}`);
    pairs.push(`${m[1]}=${unescape(m[2] as string)}`);
    at = pair.lastIndex;
  }
  return pairs.join(',');
}

function readValue(text: string): number {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?$/i.test(text)) throw new Error(`bad value ${text}`);
  return Number(text);
}

/**
 * Parses an exposition; throws unless every family has one HELP and one TYPE line before its samples, its samples
 * come together, every line ends with '\n' and no series repeats.
 */
function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('no final newline');
  const families = new Map<string, Family>();
  let current: string | null = null;
  for (const line of text.slice(0, -1).split('\n')) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (help) {
      if (families.has(help[1] as string)) throw new Error(`second HELP for ${help[1]}`);
      families.set(help[1] as string, { help: unescape(help[2] as string), type: '', samples: new Map() });
      current = help[1] as string;
    } else if (type) {
      const f = families.get(type[1] as string);
      if (!f || current !== type[1] || f.type !== '') throw new Error(`TYPE out of place: ${line}`);
      f.type = type[2] as string;
    } else {
      const m = SAMPLE.exec(line);
      if (!m) throw new Error(`bad line: ${JSON.stringify(line)}`);
      const f = families.get(m[1] as string);
      if (!f || current !== m[1] || f.type === '') throw new Error(`sample without its HELP and TYPE: ${line}`);
      const labels = m[2] === undefined ? '' : readLabels(m[2]);
      if (f.samples.has(labels)) throw new Error(`repeated series: ${line}`);
      f.samples.set(labels, readValue(m[3] as string));
    }
  }
  return families;
}

/** One sample's value; 0 for a labelled series not there yet (a counter that has not moved). */
function sample(families: Map<string, Family>, name: string, labels = ''): number {
  const f = families.get(name);
  if (!f) throw new Error(`no metric ${name}`);
  return f.samples.get(labels) ?? 0;
}

// ---- the registry ----

describe('MetricsRegistry', () => {
  it('writes HELP and TYPE for every metric, then its series; a labelled counter with none yet has only those', () => {
    const r = new MetricsRegistry();
    const plain = r.counter('x_requests_total', 'Requests.');
    const byReason = r.counter('x_drops_total', 'Drops by reason.', ['reason', 'via']);
    r.counter('x_unused_total', 'Never moved.', ['kind']);
    let now = 7;
    r.sampled('x_peers', 'Peers now.', 'gauge', () => now);
    plain.inc();
    plain.inc(undefined, 2);
    byReason.inc({ reason: 'rate-exceeded', via: 'tracker' });
    byReason.inc({ reason: 'rate-exceeded', via: 'tracker' });
    byReason.inc({ reason: 'queue-full', via: 'signalling' });
    const text = r.render();
    expect(text).toBe(
      [
        '# HELP x_requests_total Requests.', '# TYPE x_requests_total counter', 'x_requests_total 3',
        '# HELP x_drops_total Drops by reason.', '# TYPE x_drops_total counter',
        'x_drops_total{reason="rate-exceeded",via="tracker"} 2', 'x_drops_total{reason="queue-full",via="signalling"} 1',
        '# HELP x_unused_total Never moved.', '# TYPE x_unused_total counter',
        '# HELP x_peers Peers now.', '# TYPE x_peers gauge', 'x_peers 7', '',
      ].join('\n'),
    );
    const parsed = parseExposition(text);
    expect(parsed.get('x_drops_total')).toEqual({
      help: 'Drops by reason.', type: 'counter', samples: new Map([['reason=rate-exceeded,via=tracker', 2], ['reason=queue-full,via=signalling', 1]]),
    });
    now = 3;
    expect(sample(parseExposition(r.render()), 'x_peers')).toBe(3);
  });

  it('escapes label values and help text so they parse back as given', () => {
    const r = new MetricsRegistry();
    const c = r.counter('x_total', 'Help with \\ a backslash\nand a newline.', ['v']);
    const nasty = 'a"b\\c\nd}e{,f=g';
    c.inc({ v: nasty });
    const parsed = parseExposition(r.render());
    expect(parsed.get('x_total')?.help).toBe('Help with \\ a backslash\nand a newline.');
    expect(sample(parsed, 'x_total', `v=${nasty}`)).toBe(1);
  });

  it('never goes down, and bounds its series: past 64, new label values share one "other" series', () => {
    const r = new MetricsRegistry();
    const c = r.counter('x_total', 'X.', ['v']);
    c.inc({ v: 'a' }, 5);
    c.inc({ v: 'a' }, -3);
    c.inc({ v: 'a' }, Number.NaN);
    for (let i = 0; i < 100; i++) c.inc({ v: `value-${i}` });
    const parsed = parseExposition(r.render());
    expect(sample(parsed, 'x_total', 'v=a')).toBe(5);
    expect(parsed.get('x_total')?.samples.size).toBe(65);
    expect(sample(parsed, 'x_total', 'v=other')).toBe(37);
  });

  it('writes NaN for a source that throws, and refuses bad or repeated names', () => {
    const r = new MetricsRegistry();
    r.sampled('x_broken', 'Broken.', 'gauge', () => {
      throw new Error('no');
    });
    expect(sample(parseExposition(r.render()), 'x_broken')).toBeNaN();
    expect(() => r.counter('x_broken', 'Again.')).toThrow();
    expect(() => r.counter('x-bad', 'Bad.')).toThrow();
    expect(() => r.counter('x_ok_total', 'Bad label.', ['__reserved'])).toThrow();
  });
});

// ---- the server's /metrics ----

const SECRET = 'a-turn-secret-of-some-length';
const SCRAPER = '127.0.0.9';
const servers: SwarmServer[] = [];
const sockets: WebSocket[] = [];
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function start(options: Partial<SwarmServerOptions> = {}): Promise<SwarmServer> {
  const server = await createSwarmServer({ port: 0, log: () => {}, metrics: true, ...options });
  servers.push(server);
  return server;
}

async function connect(server: SwarmServer, id: string): Promise<void> {
  const { ws, first } = await openSignalling(server.port, id, `tok-${id}`);
  sockets.push(ws);
  expect(first.type).toBe('OPEN');
}

const post = (server: SwarmServer, path: string, body: unknown, localAddress?: string) =>
  request(`${server.url}/swarmfetch/v1/${path}`, { method: 'POST', body, ...(localAddress ? { localAddress } : {}) });

/** The server's metrics, scraped from an address of its own (the scrape has a request budget like any client). */
async function scrape(server: SwarmServer): Promise<Map<string, Family>> {
  const res = await request(`${server.url}/swarmfetch/v1/metrics`, { localAddress: SCRAPER });
  expect(res.status).toBe(200);
  return parseExposition(res.body);
}

/** Every counter sample of `after` is at least what it was in `before`. */
function expectMonotonic(before: Map<string, Family>, after: Map<string, Family>): void {
  for (const [name, f] of before) {
    if (f.type !== 'counter') continue;
    for (const [labels, value] of f.samples) expect(sample(after, name, labels), `${name}{${labels}}`).toBeGreaterThanOrEqual(value);
  }
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GET /swarmfetch/v1/metrics', () => {
  it('is off by default: 404', async () => {
    const server = await start({ metrics: undefined });
    expect((await request(`${server.url}/swarmfetch/v1/metrics`)).status).toBe(404);
  });

  it('answers a scraper in the text format 0.0.4; a page script (an Origin header) is refused 403, with no CORS header', async () => {
    const server = await start();
    const res = await request(`${server.url}/swarmfetch/v1/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    const families = parseExposition(res.body);
    for (const [name, f] of families) {
      expect(name).toMatch(/^swarmfetch_/);
      expect(f.help.length, name).toBeGreaterThan(0);
      expect(name.endsWith('_total'), name).toBe(f.type === 'counter');
    }
    expect([...families.keys()]).toEqual(expect.arrayContaining([
      'swarmfetch_peers', 'swarmfetch_swarms', 'swarmfetch_tracker_joins_total', 'swarmfetch_tracker_leaves_total',
      'swarmfetch_tracker_ice_answers_total', 'swarmfetch_turn_credentials_total', 'swarmfetch_drops_total',
      'swarmfetch_oracle_requests_total', 'swarmfetch_oracle_fetches_total', 'swarmfetch_oracle_errors_total',
      'swarmfetch_stun_answers_total', 'swarmfetch_stun_drops_total', 'swarmfetch_stun_malformed_total',
    ]));
    const page = await request(`${server.url}/swarmfetch/v1/metrics`, { headers: { origin: 'https://any.example' } });
    expect(page.status).toBe(403);
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('moves with the tracker: peers, swarms, joins, leaves, ICE answers, TURN credentials, drops by reason', async () => {
    const server = await start({ maxTrackerRequestsPerSec: 5, turnUrls: ['turn:t.example'], turnSecret: SECRET });
    const m0 = await scrape(server);
    expect([sample(m0, 'swarmfetch_peers'), sample(m0, 'swarmfetch_swarms'), sample(m0, 'swarmfetch_tracker_joins_total')]).toEqual([0, 0, 0]);
    await connect(server, 'alice');
    await connect(server, 'bob');
    expect((await post(server, 'join', { peerId: 'alice', token: 'tok-alice', swarm: 's' })).status).toBe(200);
    expect((await post(server, 'join', { peerId: 'bob', token: 'tok-bob', swarm: 's' })).status).toBe(200);
    expect((await post(server, 'leave', { peerId: 'bob', token: 'tok-bob', swarm: 's' })).status).toBe(204);
    expect((await post(server, 'ice', { peerId: 'alice', token: 'tok-alice' })).status).toBe(200);
    expect((await post(server, 'ice', { peerId: 'alice', token: 'tok-alice', relay: false })).status).toBe(200);
    // another client over its request budget
    let status = 0;
    for (let i = 0; i < 20 && status !== 429; i++) status = (await post(server, 'join', {}, '127.0.0.2')).status;
    expect(status).toBe(429);
    const m1 = await scrape(server);
    expect(sample(m1, 'swarmfetch_peers')).toBe(2);
    expect(sample(m1, 'swarmfetch_peer_connections_total')).toBe(2);
    expect(sample(m1, 'swarmfetch_swarms')).toBe(1);
    expect(sample(m1, 'swarmfetch_tracker_joins_total')).toBe(2);
    expect(sample(m1, 'swarmfetch_tracker_leaves_total')).toBe(1);
    expect(sample(m1, 'swarmfetch_tracker_ice_answers_total')).toBe(2);
    expect(sample(m1, 'swarmfetch_turn_credentials_total')).toBe(1);
    expect(sample(m1, 'swarmfetch_drops_total', 'reason=rate-exceeded,via=tracker')).toBeGreaterThanOrEqual(1);
    expectMonotonic(m0, m1);
    // a peer leaving lowers the gauges, never a counter
    (sockets.shift() as WebSocket).terminate();
    const m2 = await until(() => scrape(server), (m) => sample(m, 'swarmfetch_peers') === 1);
    expect(sample(m2, 'swarmfetch_peers')).toBe(1);
    expect(sample(m2, 'swarmfetch_swarms')).toBe(0);
    expectMonotonic(m1, m2);
  });

  it('counts oracle asks, upstream fetches (a cached hash fetches nothing) and errors by error', async () => {
    const body = Buffer.alloc(1000, 7);
    const upstream: Server = createServer((req, res) => {
      if (req.url === '/seg.ts') res.end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => upstream.close(() => r())));
    const origin = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const server = await start({ hashOrigins: [origin] });
    const hash = (url: string) => request(`${server.url}/swarmfetch/v1/hash?url=${encodeURIComponent(url)}`);
    const first = await hash(`${origin}/seg.ts`);
    expect(first.json()).toEqual({ sha256: createHash('sha256').update(body).digest('hex'), bytes: 1000, totalBytes: 1000 });
    expect((await hash(`${origin}/seg.ts`)).status).toBe(200);
    expect((await hash(`${origin}/gone.ts`)).status).toBe(404);
    expect((await hash('https://elsewhere.example/seg.ts')).status).toBe(403);
    const m = await scrape(server);
    expect(sample(m, 'swarmfetch_oracle_requests_total')).toBe(4);
    expect(sample(m, 'swarmfetch_oracle_fetches_total')).toBe(2);
    expect(sample(m, 'swarmfetch_oracle_errors_total', 'error=upstream-not-found')).toBe(1);
    expect(sample(m, 'swarmfetch_oracle_errors_total', 'error=not-allowed')).toBe(1);
  });

  it('counts STUN answers, datagrams dropped as malformed, and requests over the budget', async () => {
    const server = await start();
    const socket: UdpSocket = createSocket('udp4');
    closers.push(() => new Promise<void>((r) => socket.close(() => r())));
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const answered = new Promise<void>((r) => socket.once('message', () => r()));
    const binding = Buffer.from('000100002112a442000000000000000000000001', 'hex');
    socket.send(Buffer.from('not stun'), server.stunPort as number, '127.0.0.1');
    socket.send(binding, server.stunPort as number, '127.0.0.1');
    await answered;
    // a burst of 100 is answered, then 50 a second: 120 at once leave about 20 over the budget
    for (let i = 0; i < 120; i++) socket.send(binding, server.stunPort as number, '127.0.0.1');
    const total = (m: Map<string, Family>) => sample(m, 'swarmfetch_stun_answers_total') + sample(m, 'swarmfetch_stun_drops_total');
    const m = await until(() => scrape(server), (x) => total(x) === 121);
    expect(sample(m, 'swarmfetch_stun_malformed_total')).toBe(1);
    expect(total(m)).toBe(121);
    expect(sample(m, 'swarmfetch_stun_drops_total')).toBeGreaterThan(0);
    expect(sample(m, 'swarmfetch_drops_total', 'reason=rate-exceeded,via=stun')).toBe(sample(m, 'swarmfetch_stun_drops_total'));
  });
});

describe('logFormat json', () => {
  it('writes each drop as one JSON object per line', async () => {
    const lines: string[] = [];
    const server = await start({ metrics: false, logFormat: 'json', log: (l) => lines.push(l), maxTrackerRequestsPerSec: 1 });
    await post(server, 'join', {});
    expect((await post(server, 'join', {})).status).toBe(429);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: 'warn', msg: 'dropped', reason: 'rate-exceeded', ip: '127.0.0.1', via: 'tracker', limitPerSec: 1,
    });
  });

  it('counts the lines left out in the next one, as notLogged', () => {
    let now = Date.UTC(2026, 0, 2, 3, 4, 5);
    const lines: string[] = [];
    const drop = createDropLog((l) => lines.push(l), () => now, 'json');
    for (let i = 0; i < 25; i++) drop('queue-full', { ip: '10.0.0.1', via: 'signalling' });
    now += 1000;
    drop('queue-full', { ip: '10.0.0.2', via: 'signalling' });
    expect(lines).toHaveLength(21);
    expect(JSON.parse(lines[0] as string)).toEqual({ time: '2026-01-02T03:04:05.000Z', level: 'warn', msg: 'dropped', reason: 'queue-full', ip: '10.0.0.1', via: 'signalling' });
    expect(JSON.parse(lines[20] as string)).toMatchObject({ ip: '10.0.0.2', notLogged: 5 });
  });
});
