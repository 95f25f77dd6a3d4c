#!/usr/bin/env node
// Load and garbage generator for the P2P server (issue 4 §6, grown for issue 11 §2). Runs as its own processes, next
// to one or several running server nodes on loopback, and prints one JSON report on stdout (progress on stderr):
//
//   node bench/serverLoad.mjs --url http://127.0.0.1:PORT [--url …] [--server-pid PID] [--server-pid …]
//        [--peers 1000] [--peers-per-ip 4] [--swarms 100] [--announce-seconds 10] [--concurrency 64]
//        [--workers 1] [--connect-concurrency 50] [--hold-seconds 3] [--relay-seconds 5] [--relay-per-sec 500]
//        [--no-garbage]
//
// `--url` (and `--server-pid`, in the same order) may be given several times or comma-separated: peer i goes to
// node i mod N (round robin), and relay latency is then measured between peers on different nodes. Only loopback:
// peers use source addresses 127.1.x.y (all of 127.0.0.0/8 is this machine), `--peers-per-ip` per address, so the
// server's per-IP limits (64 connections by default) see what a real crowd would. The peers are held by `--workers`
// forked processes (bench/serverLoadPeers.mjs), each owning a contiguous slice: one Node process cannot drive
// 20,000 sockets plus thousands of joins a second without becoming the bottleneck, and each process has its own
// file descriptor limit. Every loop is bounded in count and time, and the run stops by itself (hard limit: 180 s).
//
// File descriptors: the server holds one per peer, plus the tracker's keep-alive connections (`--concurrency` × 4
// gateway addresses, 127.3.x.y): start it with `ulimit -n` above peers + concurrency × 4 × nodes + 100 (and
// `--max-peers` above the peers, `--max-connections-per-ip` above `--peers-per-ip`). This machine's hard limit is
// 20,000 (no CAP_SYS_RESOURCE to raise it), so one node holds at most ~19,600 peers here.
//
// Phases:
//   1. connect: N PeerJS signalling websockets, each waits for OPEN (peers held, peers/s, RSS per peer);
//   2. hold: `--hold-seconds` with only heartbeats (every peer one per 5 s, as PeerJS clients): server CPU while idle;
//   3. announce: tracker joins in `--concurrency` closed loops for S seconds (joins/s overall and per second, p50/p99);
//   4. relay: CANDIDATE messages peer → peer at `--relay-per-sec` for `--relay-seconds` (p50/p99 until received);
//   5. garbage (first node only; `--no-garbage` skips it): bad JSON, huge and binary messages, floods, bad tracker
//      bodies, too many connections, raw junk: each must get its clear error; after each, the server's health must
//      answer;
//   6. check: the N well-behaved peers are all still connected and can still join.
import { fork } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';
import { ORIGIN, http as httpTo, openPeer as openPeerTo, peerOf, percentile, pool, swarmOf as swarmOfK } from './serverLoadCommon.mjs';

const HARD_LIMIT_MS = 180_000;
const MAX_PEERS = 40_000;
const started = Date.now();
const log = (...a) => console.error('[serverLoad]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseArgs(argv) {
  const o = {
    urls: [], serverPids: [], peers: 1000, peersPerIp: 4, swarms: 100, announceSeconds: 10, concurrency: 64, workers: 1,
    connectConcurrency: 50, holdSeconds: 3, relaySeconds: 5, relayPerSec: 500, garbage: true,
  };
  const keys = {
    '--peers': 'peers', '--peers-per-ip': 'peersPerIp', '--swarms': 'swarms', '--announce-seconds': 'announceSeconds',
    '--concurrency': 'concurrency', '--workers': 'workers', '--connect-concurrency': 'connectConcurrency',
    '--hold-seconds': 'holdSeconds', '--relay-seconds': 'relaySeconds', '--relay-per-sec': 'relayPerSec',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--no-garbage') {
      o.garbage = false;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`bad argument ${flag}`);
    if (flag === '--url') o.urls.push(...value.split(',').filter(Boolean));
    else if (flag === '--server-pid') o.serverPids.push(...value.split(',').filter(Boolean).map(Number));
    else if (keys[flag]) o[keys[flag]] = Number(value);
    else throw new Error(`bad argument ${flag}`);
  }
  if (o.urls.length === 0) throw new Error('--url is required');
  for (const u of o.urls) if (!/^http:\/\/(127\.|\[::1\]|localhost)/.test(u)) throw new Error('--url must be a loopback http URL');
  const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, Math.floor(Number.isFinite(x) ? x : lo)));
  o.peers = clamp(o.peers, 1, MAX_PEERS);
  o.peersPerIp = clamp(o.peersPerIp, 1, 1000);
  o.announceSeconds = clamp(o.announceSeconds, 1, 60);
  o.concurrency = clamp(o.concurrency, 1, 1024);
  o.workers = clamp(o.workers, 1, 16);
  o.connectConcurrency = clamp(o.connectConcurrency, 1, 2000);
  o.holdSeconds = clamp(o.holdSeconds, 0, 30);
  o.relaySeconds = clamp(o.relaySeconds, 0, 30);
  o.relayPerSec = clamp(o.relayPerSec, 1, 20_000);
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const nodes = opts.urls.length;
const bases = opts.urls.map((u) => new URL(u));
const base = bases[0];
const nonce = Math.random().toString(36).slice(2, 10);
const peerCfg = { peersPerIp: opts.peersPerIp, nonce, nodes };
/** Peer i of this run (id, token, ip, node); the garbage uses peers of the first node: 0, N, 2N, … */
const peerAt = (i) => peerOf(i, peerCfg);
const firstNodePeer = (k) => peerAt(k * nodes);
const swarmOf = (k) => swarmOfK(k, opts.swarms);
const http = (path, o = {}) => httpTo(base, path, o);
const openPeer = (id, token, ip, o) => openPeerTo(base, id, token, ip, o);

/** Reads a /proc file of `pid`; null when gone. */
function proc(pid, file) {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}
const rssOf = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(proc(pid, 'status') ?? '');
  return m ? Number(m[1]) * 1024 : null;
};
/** CPU time (user + system) the process has used, in ms (Linux clock ticks are 10 ms). */
const cpuOf = (pid) => {
  const stat = proc(pid, 'stat');
  if (!stat) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const fdsOf = (pid) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
};
const fdLimitOf = (pid) => {
  const m = /Max open files\s+(\d+)/.exec(proc(pid, 'limits') ?? '');
  return m ? Number(m[1]) : null;
};
/** Sum over the server pids given (null when none given or one is unreadable). */
const total = (f) => {
  if (opts.serverPids.length === 0) return null;
  let s = 0;
  for (const pid of opts.serverPids) {
    const v = f(pid);
    if (v === null) return null;
    s += v;
  }
  return s;
};
const rssBytes = () => total(rssOf);
const cpuMs = () => total(cpuOf);

function timeLeft() {
  const left = HARD_LIMIT_MS - (Date.now() - started);
  if (left <= 0) throw new Error('serverLoad: hard time limit reached');
  return left;
}
const watchdog = setTimeout(() => {
  log('hard time limit reached: stopping');
  for (const w of workers) w.child.kill('SIGKILL');
  process.exit(2);
}, HARD_LIMIT_MS + 5_000);
watchdog.unref();

const closeOf = (ws, ms = 5_000) =>
  new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve({ code: 1006, reason: '' });
    const timer = setTimeout(() => resolve({ code: 0, reason: 'still open' }), ms);
    ws.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: String(reason) });
    });
  });
const health = async () => (await http('/swarmfetch/v1/health')).status === 200;
/** Peers held and swarms, summed over the nodes' /health. */
async function held() {
  let peers = 0;
  let swarms = 0;
  for (const b of bases) {
    const h = JSON.parse((await httpTo(b, '/swarmfetch/v1/health')).body || '{}');
    peers += h.peers ?? 0;
    swarms += h.swarms ?? 0;
  }
  return { peers, swarms };
}

// ---- the workers ----
const workers = Array.from({ length: opts.workers }, (_, w) => {
  const from = Math.floor((w * opts.peers) / opts.workers);
  const to = Math.floor(((w + 1) * opts.peers) / opts.workers);
  const cfg = { urls: opts.urls, from, to, swarms: opts.swarms, ...peerCfg };
  const child = fork(new URL('./serverLoadPeers.mjs', import.meta.url), [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map();
  child.on('message', (m) => {
    waiting.get(m.reply)?.(m);
    waiting.delete(m.reply);
  });
  child.on('exit', (code) => {
    for (const done of waiting.values()) done({ error: `worker exited ${code}` });
    waiting.clear();
  });
  return {
    child, from, to,
    ask: (cmd, args = {}) =>
      new Promise((resolve) => {
        waiting.set(cmd, resolve);
        child.send({ cmd, ...args });
      }),
  };
});
const askAll = (cmd, args) => Promise.all(workers.map((w) => w.ask(cmd, args)));
const merge = (objects) => {
  const out = {};
  for (const o of objects) for (const [k, v] of Object.entries(o ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
};
const concatSorted = (arrays) => arrays.flat().sort((a, b) => a - b);
const ms1 = (x) => (x === null ? null : Math.round(x * 10) / 10);

// ---- 1. connect ----
const report = { nodes, peers: opts.peers, peersPerIp: opts.peersPerIp, swarms: opts.swarms, workers: opts.workers };
const rssBefore = rssBytes();
let opened = 0;
{
  const t0 = Date.now();
  const cpu0 = cpuMs();
  const replies = await askAll('connect', { concurrency: Math.max(1, Math.ceil(opts.connectConcurrency / opts.workers)) });
  const ms = Date.now() - t0;
  const cpu1 = cpuMs();
  opened = replies.reduce((s, r) => s + (r.opened ?? 0), 0);
  await sleep(500);
  const h = await held();
  const rssAfter = rssBytes();
  report.connect = {
    opened,
    failures: merge(replies.map((r) => r.failures)),
    ms,
    perSec: Math.round((opened * 1000) / Math.max(1, ms)),
    serverCpuMs: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null,
    peersHeldByServer: h.peers,
    rssBeforeBytes: rssBefore,
    rssAfterBytes: rssAfter,
    rssPerPeerBytes: rssBefore && rssAfter ? Math.round((rssAfter - rssBefore) / Math.max(1, opened)) : null,
    serverFds: total(fdsOf),
    serverFdLimit: opts.serverPids.length ? Math.min(...opts.serverPids.map(fdLimitOf)) : null,
  };
  log('connect', JSON.stringify(report.connect));
}

// ---- 2. hold ----
if (opts.holdSeconds > 0) {
  const cpu0 = cpuMs();
  const t0 = Date.now();
  await sleep(opts.holdSeconds * 1000);
  const cpu1 = cpuMs();
  const ms = Date.now() - t0;
  report.hold = {
    seconds: opts.holdSeconds,
    serverCpuPercent: cpu0 !== null && cpu1 !== null ? Math.round(((cpu1 - cpu0) * 1000) / ms) / 10 : null,
    heartbeatsPerSec: Math.round(opened / 5),
  };
  log('hold', JSON.stringify(report.hold));
}

// ---- 3. announce ----
{
  const cpu0 = cpuMs();
  const startAt = Date.now() + 200;
  const lanes = Math.max(1, Math.floor(opts.concurrency / opts.workers));
  const replies = await Promise.all(
    workers.map((w, k) => w.ask('join', { startAt, seconds: opts.announceSeconds, lanes, ipsPerLane: 4, laneOffset: k * lanes })),
  );
  const cpu1 = cpuMs();
  const seconds = Math.max(...replies.map((r) => r.ms ?? 0)) / 1000;
  const count = replies.reduce((s, r) => s + (r.count ?? 0), 0);
  const latencies = concatSorted(replies.map((r) => r.latencies ?? []));
  const perSecond = Array.from({ length: opts.announceSeconds }, (_, s) => replies.reduce((t, r) => t + (r.perSecond?.[s] ?? 0), 0));
  const serverCpuMs = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
  const h = await held();
  const rss = rssBytes();
  const sortedSeconds = perSecond.slice().sort((a, b) => a - b);
  report.announce = {
    requests: count,
    seconds: Math.round(seconds * 10) / 10,
    perSec: Math.round(count / seconds),
    // the slowest and the median full second
    perSecMin: sortedSeconds[0] ?? null,
    perSecMedian: percentile(sortedSeconds, 50),
    perSecond,
    concurrency: lanes * opts.workers,
    // what one core of server CPU handles: independent of how busy the machine's other processes keep it
    serverCpuMs,
    serverCpuPercent: serverCpuMs !== null ? Math.round((serverCpuMs * 1000) / (seconds * 1000)) / 10 : null,
    perServerCpuSec: serverCpuMs ? Math.round((count * 1000) / serverCpuMs) : null,
    statuses: merge(replies.map((r) => r.statuses)),
    errors: merge(replies.map((r) => r.errors)),
    p50Ms: ms1(percentile(latencies, 50)),
    p99Ms: ms1(percentile(latencies, 99)),
    swarmsHeldByServer: h.swarms,
    rssBytes: rss,
    rssPerPeerBytes: rssBefore && rss ? Math.round((rss - rssBefore) / Math.max(1, opened)) : null,
  };
  log('announce', JSON.stringify(report.announce));
}

// ---- 4. relay ----
if (opts.relaySeconds > 0) {
  const cpu0 = cpuMs();
  const replies = await askAll('relay', { seconds: opts.relaySeconds, perSec: opts.relayPerSec / opts.workers });
  const cpu1 = cpuMs();
  const latencies = concatSorted(replies.map((r) => r.latencies ?? []));
  report.relay = {
    crossNode: nodes > 1,
    sent: replies.reduce((s, r) => s + (r.sent ?? 0), 0),
    received: replies.reduce((s, r) => s + (r.received ?? 0), 0),
    lost: replies.reduce((s, r) => s + (r.lost ?? 0), 0),
    perSec: opts.relayPerSec,
    p50Ms: ms1(percentile(latencies, 50)),
    p99Ms: ms1(percentile(latencies, 99)),
    maxMs: ms1(latencies.at(-1) ?? null),
    serverCpuMs: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null,
  };
  log('relay', JSON.stringify(report.relay));
}

// ---- 5. garbage (first node) ----
const garbage = [];
if (opts.garbage) {
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
    const victim = firstNodePeer(0);
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
    const r = await openPeer(firstNodePeer(1).id, 'not-its-token', GARBAGE_IP);
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
    const p = firstNodePeer(2);
    const r = await http('/swarmfetch/v1/join', { method: 'POST', ip: '127.2.0.3', body: { peerId: p.id, token: 'forged', swarm: swarmOf(2) } });
    return { status: r.status, body: r.body };
  });
  await expectCase("tracker: another site's swarm", async () => {
    const p = firstNodePeer(3);
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
}
report.garbage = garbage;

// ---- 6. the well-behaved peers ----
{
  await sleep(300);
  const statuses = await askAll('status');
  const open = statuses.reduce((s, r) => s + (r.open ?? 0), 0);
  const sample = Array.from({ length: Math.min(20, opts.peers) }, (_, k) => peerAt(Math.floor((k * opts.peers) / Math.min(20, opts.peers))));
  const joins = await Promise.all(
    sample.map((p, k) =>
      httpTo(bases[p.node], '/swarmfetch/v1/join', { method: 'POST', ip: p.ip, headers: { origin: ORIGIN }, body: { peerId: p.id, token: p.token, swarm: swarmOf(k) } }),
    ),
  );
  const h = await held();
  report.after = {
    stillOpen: open,
    unexpectedCloses: statuses.reduce((s, r) => s + (r.unexpectedCloses ?? 0), 0),
    sampleJoinStatuses: joins.map((r) => r.status),
    peersHeldByServer: h.peers,
    rssBytes: rssBytes(),
  };
  log('after', JSON.stringify(report.after));
}

// ---- done ----
await askAll('close');
report.totalMs = Date.now() - started;
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);
