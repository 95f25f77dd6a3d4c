#!/usr/bin/env node
// Load and garbage generator for the P2P server (issue 4 §6). Runs as its own process, next to a running server on
// loopback, and prints one JSON report on stdout (progress on stderr):
//
//   node bench/serverLoad.mjs --url http://127.0.0.1:PORT [--server-pid PID] [--peers 1000] [--peers-per-ip 4]
//                             [--swarms 100] [--announce-seconds 10] [--concurrency 64]
//
// Only loopback: peers use source addresses 127.1.x.y (all of 127.0.0.0/8 is this machine), a few per address so the
// server's per-IP limits see what a real crowd would. Every loop is bounded in count and time, and the run stops by
// itself (hard limit: 60 s of work). Phases:
//   1. connect: N PeerJS signalling websockets, each waits for OPEN (peers held, ms, RSS per peer);
//   2. announce: tracker joins as fast as `concurrency` requests in flight allow, for S seconds (announces/s);
//   3. garbage: bad JSON, huge and binary messages, floods, bad tracker bodies, too many connections, raw junk:
//      each must get its clear error; after each, the server's health must answer;
//   4. check: the N well-behaved peers are all still connected and can still join.
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';

const HARD_LIMIT_MS = 60_000;
const started = Date.now();
const log = (...a) => console.error('[serverLoad]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseArgs(argv) {
  const o = { url: '', serverPid: 0, peers: 1000, peersPerIp: 4, swarms: 100, announceSeconds: 10, concurrency: 64 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const key = { '--url': 'url', '--server-pid': 'serverPid', '--peers': 'peers', '--peers-per-ip': 'peersPerIp',
      '--swarms': 'swarms', '--announce-seconds': 'announceSeconds', '--concurrency': 'concurrency' }[flag];
    if (!key || value === undefined) throw new Error(`bad argument ${flag}`);
    o[key] = key === 'url' ? value : Number(value);
  }
  if (!/^http:\/\/(127\.|\[::1\]|localhost)/.test(o.url)) throw new Error('--url must be a loopback http URL');
  o.peers = Math.min(2000, Math.max(1, o.peers));
  o.announceSeconds = Math.min(20, Math.max(1, o.announceSeconds));
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const base = new URL(opts.url);
const wsBase = `ws://${base.host}/peerjs/peerjs?key=peerjs`;
const ORIGIN = 'http://load.example';
const swarmOf = (i) => `${ORIGIN}|http://cdn.load.example/stream${i % opts.swarms}/720p/`;
/** Source address of peer i: 127.1.x.y, `peersPerIp` peers each. */
const ipOf = (i) => {
  const n = Math.floor(i / opts.peersPerIp) + 1;
  return `127.1.${(n >> 8) & 0xff}.${n & 0xff}`;
};

function rssBytes(pid) {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) the server process has used, in ms (Linux clock ticks are 10 ms). */
function cpuMs(pid) {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

function timeLeft() {
  const left = HARD_LIMIT_MS - (Date.now() - started);
  if (left <= 0) throw new Error('serverLoad: hard time limit reached');
  return left;
}

const agents = new Map();
/**
 * A keep-alive agent per source address (a browser's few connections). Idle sockets are closed after 3 s, before the
 * server's 5 s keep-alive timeout, so no request is sent on a socket the server is closing.
 */
function agentFor(ip) {
  let a = agents.get(ip);
  if (!a) agents.set(ip, (a = new Agent({ keepAlive: true, maxSockets: 2, localAddress: ip, timeout: 3_000 })));
  return a;
}

/** One HTTP request; resolves { status, body } or { status: 0, error }. Never waits more than 10 s. */
function http(path, { method = 'GET', body, headers = {}, ip = '127.0.0.1', agent } = {}) {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const req = httpRequest(
      { host: base.hostname, port: base.port, path, method, agent: agent ?? agentFor(ip), localAddress: ip,
        headers: { ...(data !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, timeout: 10_000 },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, error: String(err.message) }));
    req.end(data);
  });
}

const health = async () => (await http('/swarmfetch/v1/health', { agent: false })).status === 200;

/** Opens one signalling socket; resolves { ws, first } (first = the server's first message type) or { error }. */
function openPeer(id, token, ip, { origin = ORIGIN, key = 'peerjs' } = {}) {
  const q = key === 'peerjs' ? '' : `&key=${key}`;
  const url = key === 'peerjs' ? `${wsBase}&id=${id}&token=${token}` : `ws://${base.host}/peerjs/peerjs?id=${id}&token=${token}${q}`;
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { origin, localAddress: ip, handshakeTimeout: 5_000, perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({ error: 'no first message in 5 s' });
    }, 5_000);
    ws.once('message', (data) => {
      clearTimeout(timer);
      resolve({ ws, first: JSON.parse(String(data)) });
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      res.resume();
      resolve({ error: `http ${res.statusCode}`, status: res.statusCode });
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      resolve({ error: String(err.message) });
    });
  });
}

const closeOf = (ws, ms = 5_000) =>
  new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve({ code: 1006, reason: '' });
    const timer = setTimeout(() => resolve({ code: 0, reason: 'still open' }), ms);
    ws.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: String(reason) });
    });
  });

async function pool(count, concurrency, work) {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      await work(i);
    }
  });
  await Promise.all(runners);
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null;
}

// ---- 1. connect ----
const report = { peers: opts.peers, peersPerIp: opts.peersPerIp, swarms: opts.swarms };
const rssBefore = rssBytes(opts.serverPid);
const peers = [];
let unexpectedCloses = 0;
let heartbeatTimer = null;
{
  const t0 = Date.now();
  const failures = {};
  await pool(opts.peers, 50, async (i) => {
    timeLeft();
    const id = `load-${i}`;
    const token = `t${i}x${Math.random().toString(36).slice(2)}`;
    const r = await openPeer(id, token, ipOf(i));
    if (r.ws && r.first?.type === 'OPEN') {
      const peer = { id, token, ip: ipOf(i), ws: r.ws, expectClose: false };
      r.ws.on('close', () => {
        if (!peer.expectClose) unexpectedCloses++;
      });
      peers.push(peer);
    } else {
      r.ws?.terminate();
      const why = r.error ?? r.first?.type ?? 'unknown';
      failures[why] = (failures[why] ?? 0) + 1;
    }
  });
  // PeerJS clients send a heartbeat every 5 s; so do these
  heartbeatTimer = setInterval(() => {
    for (const p of peers) if (p.ws.readyState === WebSocket.OPEN) p.ws.send('{"type":"HEARTBEAT"}');
  }, 5_000);
  await sleep(500);
  const held = JSON.parse((await http('/swarmfetch/v1/health', { agent: false })).body || '{}');
  const rssAfter = rssBytes(opts.serverPid);
  report.connect = {
    opened: peers.length,
    failures,
    ms: Date.now() - t0,
    peersHeldByServer: held.peers ?? null,
    rssBeforeBytes: rssBefore,
    rssAfterBytes: rssAfter,
    rssPerPeerBytes: rssBefore && rssAfter ? Math.round((rssAfter - rssBefore) / Math.max(1, peers.length)) : null,
  };
  log('connect', JSON.stringify(report.connect));
}

// ---- 2. announce ----
{
  const statuses = {};
  const errors = {};
  const latencies = [];
  let count = 0;
  const until = Date.now() + opts.announceSeconds * 1000;
  const t0 = Date.now();
  const cpu0 = cpuMs(opts.serverPid);
  await Promise.all(
    Array.from({ length: opts.concurrency }, async (_, lane) => {
      for (let k = lane; Date.now() < until && timeLeft() > 0; k += opts.concurrency) {
        const p = peers[k % peers.length];
        const s = Date.now();
        const r = await http('/swarmfetch/v1/join', {
          method: 'POST', ip: p.ip, headers: { origin: ORIGIN },
          body: { peerId: p.id, token: p.token, swarm: swarmOf(k), want: 10 },
        });
        latencies.push(Date.now() - s);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.error) errors[r.error] = (errors[r.error] ?? 0) + 1;
        count++;
      }
    }),
  );
  const seconds = (Date.now() - t0) / 1000;
  const cpu1 = cpuMs(opts.serverPid);
  const serverCpuMs = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
  latencies.sort((a, b) => a - b);
  const h = JSON.parse((await http('/swarmfetch/v1/health', { agent: false })).body || '{}');
  const rss = rssBytes(opts.serverPid);
  report.announce = {
    requests: count,
    seconds: Math.round(seconds * 10) / 10,
    perSec: Math.round(count / seconds),
    // what one core of server CPU handles: independent of how busy the machine's other processes keep it
    serverCpuMs,
    perServerCpuSec: serverCpuMs ? Math.round((count * 1000) / serverCpuMs) : null,
    statuses,
    errors,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    swarmsHeldByServer: h.swarms ?? null,
    rssBytes: rss,
    rssPerPeerBytes: rssBefore && rss ? Math.round((rss - rssBefore) / Math.max(1, peers.length)) : null,
  };
  log('announce', JSON.stringify(report.announce));
}

// ---- 3. garbage ----
const garbage = [];
async function expectCase(name, run) {
  timeLeft();
  let got;
  try {
    got = await run();
  } catch (err) {
    got = { error: String(err) };
  }
  const serverUp = await health();
  garbage.push({ name, ...got, serverUp });
  log('garbage', name, JSON.stringify(got), serverUp ? 'server up' : 'SERVER DOWN');
}
const GARBAGE_IP = '127.2.0.1';
let g = 0;
async function garbageSocket(ip = GARBAGE_IP) {
  const r = await openPeer(`junk-${g}`, `tok${g++}`, ip);
  if (!r.ws) throw new Error(`could not open a socket: ${r.error}`);
  return r.ws;
}

await expectCase('signalling: bad JSON', async () => {
  const ws = await garbageSocket();
  ws.send('{"type": "OFFER", oops');
  return closeOf(ws);
});
await expectCase('signalling: not an object', async () => {
  const ws = await garbageSocket();
  ws.send('[1,2,3]');
  return closeOf(ws);
});
await expectCase('signalling: binary message', async () => {
  const ws = await garbageSocket();
  ws.send(Buffer.alloc(100, 0xff));
  return closeOf(ws);
});
await expectCase('signalling: 1 MiB message', async () => {
  const ws = await garbageSocket();
  ws.send(JSON.stringify({ type: 'OFFER', payload: 'x'.repeat(1024 * 1024) }));
  return closeOf(ws);
});
await expectCase('signalling: flood of 2000 messages', async () => {
  const ws = await garbageSocket();
  const victim = peers[0];
  for (let i = 0; i < 2000 && ws.readyState === WebSocket.OPEN; i++) {
    ws.send(JSON.stringify({ type: 'CANDIDATE', dst: victim.id, payload: { i } }));
  }
  return closeOf(ws);
});
await expectCase('signalling: LEAVE without dst', async () => {
  const ws = await garbageSocket();
  ws.send(JSON.stringify({ type: 'LEAVE' }));
  return closeOf(ws);
});
await expectCase('signalling: 40 offers of 48 KB to absent ids', async () => {
  // the server queues 16 per client (maxQueuedMessagesPerClient) for ids that may still connect; the rest: EXPIRE
  const ws = await garbageSocket();
  let expired = 0;
  ws.on('message', (data) => {
    if (String(data).includes('"EXPIRE"')) expired++;
  });
  for (let i = 0; i < 40; i++) ws.send(JSON.stringify({ type: 'OFFER', dst: `absent-${i}`, payload: 'x'.repeat(48 * 1024) }));
  const deadline = Date.now() + 5_000;
  while (expired < 24 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  ws.terminate();
  return { expired };
});
await expectCase('signalling: wrong key', async () => {
  const r = await openPeer(`junk-${g}`, `tok${g++}`, GARBAGE_IP, { key: 'nope' });
  r.ws?.terminate();
  return { first: r.first?.type, msg: r.first?.payload?.msg, error: r.error };
});
await expectCase("signalling: another peer's id", async () => {
  const r = await openPeer(peers[1].id, 'not-its-token', GARBAGE_IP);
  r.ws?.terminate();
  return { first: r.first?.type, error: r.error };
});
await expectCase('signalling: 100 connections from one IP', async () => {
  const ip = '127.2.0.2';
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => openPeer(`crowd-${i}`, `t${i}`, ip)));
  const opened = results.filter((r) => r.first?.type === 'OPEN').length;
  const refused429 = results.filter((r) => r.status === 429).length;
  for (const r of results) r.ws?.terminate();
  return { opened, refused429 };
});
await expectCase('tracker: bad JSON', async () => {
  const r = await http('/swarmfetch/v1/join', { method: 'POST', ip: '127.2.0.3', body: '{"peerId": ' });
  return { status: r.status, body: r.body };
});
await expectCase('tracker: wrong types', async () => {
  const r = await http('/swarmfetch/v1/join', { method: 'POST', ip: '127.2.0.3', body: { peerId: 7, token: [], swarm: {} } });
  return { status: r.status, body: r.body };
});
await expectCase('tracker: 1 MiB body', async () => {
  const r = await http('/swarmfetch/v1/join', { method: 'POST', ip: '127.2.0.3', body: { pad: 'x'.repeat(1024 * 1024) } });
  return { status: r.status, body: r.body };
});
await expectCase('tracker: forged token', async () => {
  const p = peers[2];
  const r = await http('/swarmfetch/v1/join', { method: 'POST', ip: '127.2.0.3', body: { peerId: p.id, token: 'forged', swarm: swarmOf(2) } });
  return { status: r.status, body: r.body };
});
await expectCase("tracker: another site's swarm", async () => {
  const p = peers[3];
  const r = await http('/swarmfetch/v1/join', {
    method: 'POST', ip: p.ip, headers: { origin: 'http://evil.example' }, body: { peerId: p.id, token: p.token, swarm: swarmOf(3) },
  });
  return { status: r.status, body: r.body };
});
await expectCase('tracker: flood of 300 requests from one IP', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 8, localAddress: '127.2.0.4' });
  const statuses = {};
  await pool(300, 8, async () => {
    const r = await http('/swarmfetch/v1/join', { method: 'POST', ip: '127.2.0.4', agent, body: { peerId: 'x', token: 'y', swarm: 'z' } });
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  });
  agent.destroy();
  return { statuses };
});
await expectCase('raw TCP: junk bytes', async () => {
  const reply = await new Promise((resolve) => {
    const s = tcpConnect({ host: base.hostname, port: Number(base.port), localAddress: '127.2.0.5' });
    let text = '';
    s.on('connect', () => s.write(Buffer.from('\x16\x03\x01garbage\r\n\r\nGET / HTTP/9.9\r\n\r\n', 'latin1')));
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('close', () => resolve(text.split('\r\n')[0]));
    s.on('error', () => {});
    setTimeout(() => s.destroy(), 3_000);
  });
  return { statusLine: reply };
});
report.garbage = garbage;

// ---- 4. the well-behaved peers ----
{
  await sleep(300);
  const open = peers.filter((p) => p.ws.readyState === WebSocket.OPEN).length;
  const sample = peers.filter((_, i) => i % Math.max(1, Math.floor(peers.length / 20)) === 0).slice(0, 20);
  const joins = await Promise.all(
    sample.map((p, i) =>
      http('/swarmfetch/v1/join', { method: 'POST', ip: p.ip, headers: { origin: ORIGIN }, body: { peerId: p.id, token: p.token, swarm: swarmOf(i) } }),
    ),
  );
  const h = JSON.parse((await http('/swarmfetch/v1/health', { agent: false })).body || '{}');
  report.after = {
    stillOpen: open,
    unexpectedCloses,
    sampleJoinStatuses: joins.map((r) => r.status),
    peersHeldByServer: h.peers ?? null,
  };
  log('after', JSON.stringify(report.after));
}

// ---- done ----
clearInterval(heartbeatTimer);
for (const p of peers) {
  p.expectClose = true;
  p.ws.terminate();
}
for (const a of agents.values()) a.destroy();
report.totalMs = Date.now() - started;
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);
