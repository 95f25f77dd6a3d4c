// What bench/serverLoad.mjs (the orchestrator and its garbage) and bench/serverLoadPeers.mjs (a worker holding a
// slice of the peers) agree on: who peer i is (id, token, source address, node), and how to talk to a node.
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';

/** The page origin of every well-behaved peer; its swarms start with it. */
export const ORIGIN = 'http://load.example';

/**
 * Peer i of a run: id, token (deterministic from the run's nonce, so the orchestrator can speak for any peer without
 * holding its socket), source address 127.1.x.y (`peersPerIp` consecutive peers share one) and node (round robin).
 */
export function peerOf(i, { peersPerIp, nonce, nodes }) {
  const n = Math.floor(i / peersPerIp) + 1;
  return {
    i,
    id: `load-${i}`,
    token: `t${i}x${nonce}`,
    ip: `127.${1 + (n >> 16)}.${(n >> 8) & 0xff}.${n & 0xff}`,
    node: i % nodes,
  };
}

/** Swarm k of a run of `swarms` swarms. */
export const swarmOf = (k, swarms) => `${ORIGIN}|http://cdn.load.example/stream${k % swarms}/720p/`;

/**
 * One HTTP request to `base` (a URL); resolves { status, body } or { status: 0, error }. Never waits more than 10 s.
 */
export function http(base, path, { method = 'GET', body, headers = {}, ip = '127.0.0.1', agent = false } = {}) {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const req = httpRequest(
      { host: base.hostname, port: base.port, path, method, agent, localAddress: ip,
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

/**
 * Opens one PeerJS signalling socket to `base`; resolves { ws, first } (first = the server's first message, parsed)
 * or { error, status? }. Never waits more than `timeoutMs`.
 */
export function openPeer(base, id, token, ip, { origin = ORIGIN, key = 'peerjs', timeoutMs = 5_000 } = {}) {
  const url = `ws://${base.host}/peerjs/peerjs?key=${key}&id=${id}&token=${token}`;
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { origin, localAddress: ip, handshakeTimeout: timeoutMs, perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({ error: `no first message in ${timeoutMs} ms` });
    }, timeoutMs);
    ws.once('message', (data) => {
      clearTimeout(timer);
      try {
        resolve({ ws, first: JSON.parse(String(data)) });
      } catch {
        resolve({ ws, first: { type: 'unparsable' } });
      }
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

/** Nearest-rank percentile of an ascending array; null for none. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Runs `work(i)` for i < count, `concurrency` at a time. */
export async function pool(count, concurrency, work) {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await work(next++);
  });
  await Promise.all(runners);
}
