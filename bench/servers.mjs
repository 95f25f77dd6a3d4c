// The servers of a benchmark run: the demo (demo/serve.mjs as a child process, its own port) and a tiny
// in-memory origin for the micro-benchmarks (large synthetic segments, CORS open, never cached).
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServer } from '../test/e2e/harness/spawnServer.mjs';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Short hash of the drop-in bundles under `root`/dist. */
export function distFingerprint(root = REPO_ROOT) {
  const h = createHash('sha256');
  for (const name of ['swarmfetch.js', 'swarmfetch-sw.js']) {
    try {
      h.update(readFileSync(join(root, 'dist', name)));
    } catch {
      h.update(`missing ${name}`);
    }
  }
  return h.digest('hex').slice(0, 12);
}

/**
 * A frozen copy of what the demo serves — dist/ and demo/ (media linked), node_modules linked — in a temp
 * directory, so a rebuild of dist/ while the benchmark runs cannot give viewers of one run different builds.
 * Throws when dist/ changed while it was being copied. `remove()` deletes the copy.
 */
export function snapshotBuild() {
  const before = distFingerprint();
  const dir = mkdtempSync(join(tmpdir(), 'swarmfetch-bench-'));
  try {
    cpSync(join(REPO_ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
    mkdirSync(join(dir, 'demo'));
    for (const entry of readdirSync(join(REPO_ROOT, 'demo'))) {
      if (entry === 'media') symlinkSync(join(REPO_ROOT, 'demo', 'media'), join(dir, 'demo', 'media'));
      else cpSync(join(REPO_ROOT, 'demo', entry), join(dir, 'demo', entry), { recursive: true });
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    copyFileSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json')); // "type": "module" for dist/esm
    // the demo imports swarmfetch-server through node_modules: the repository's server/dist/, not copied
    const missing = [join(dir, 'dist/swarmfetch.js'), join(dir, 'dist/swarmfetch-sw.js'), join(REPO_ROOT, 'server/dist/index.js')]
      .filter((f) => !existsSync(f));
    if (missing.length) throw new Error(`dist/ is incomplete (${missing.join(', ')} missing): run npm run build`);
    if (distFingerprint() !== before || distFingerprint(dir) !== before) {
      throw new Error('dist/ changed while the benchmark copied it (a build running at the same time?); run again');
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { root: dir, dist: before, remove: () => rmSync(dir, { recursive: true, force: true }) };
}


/** A TCP port free on `host` right now. */
export async function freePort(host = '127.0.0.1') {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Starts `node demo/serve.mjs` (of `root`: the repository or a snapshotBuild) on a free port of `host` (its HOST;
 * the network lab's public address with --net) and waits for the health route on that host. `env`: more
 * environment for it (e.g. SWARMFETCH_TURN_URL / SWARMFETCH_TURN_SECRET).
 * @returns {Promise<{ url: string, host: string, port: number, originStats(): Promise<{ total: number, byAgent: Record<string, number> }>, output(): string, stop(): Promise<void> }>}
 */
export async function startDemo({ root = REPO_ROOT, host = '127.0.0.1', env = {}, timeoutMs = 30_000 } = {}) {
  const port = await freePort(host);
  const url = `http://${host}:${port}`;
  const { stop, output } = await spawnServer({
    args: [join(root, 'demo/serve.mjs')],
    url,
    cwd: root,
    env: { ...env, PORT: String(port), HOST: host },
    timeoutMs,
    label: 'demo server',
  });
  const originStats = async () => {
    const res = await fetch(`${url}/demo-stats/origin`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`/demo-stats/origin answered ${res.status}`);
    return res.json();
  };
  return { url, host, port, originStats, output, stop };
}

/**
 * An origin on another port for the micro-benchmarks, answering from memory:
 *   GET /<dir>/<name>.ts  → `sizes[dir]` bytes (deterministic, different per name), CORS open, no-cache;
 *   GET /<dir>/swarmfetch-integrity.json → the integrity manifest of `hashed[dir]`'s names in that directory (the
 *                            pages' hash source: peer bytes are taken only when checked);
 *   GET /raw.html         → `pages['raw.html']`.
 * Counts the body bytes it sent.
 */
const PIECE_BYTES = 1024 * 1024;
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

export async function startSyntheticOrigin({ sizes, pages = {}, hashed = {} }) {
  const cache = new Map();
  const body = (dir, name) => {
    const key = `${dir}/${name}`;
    let b = cache.get(key);
    if (!b) {
      b = Buffer.alloc(sizes[dir]);
      // cheap, name-dependent filler (xorshift), so different names have different bytes
      let x = 2463534242;
      for (const ch of key) x = (x ^ ch.charCodeAt(0)) * 16777619 >>> 0;
      for (let i = 0; i < b.length; i += 4) {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        b.writeUInt32LE(x, i);
      }
      if (cache.size > 256) cache.clear();
      cache.set(key, b);
    }
    return b;
  };
  const manifests = new Map();
  const manifest = (dir) => {
    if (!manifests.has(dir)) {
      const files = {};
      for (const name of hashed[dir] ?? []) {
        const b = body(dir, name);
        const pieces = [];
        for (let at = 0; at < b.length; at += PIECE_BYTES) pieces.push(sha256(b.subarray(at, at + PIECE_BYTES)));
        files[name] = { bytes: b.length, sha256: sha256(b), ...(pieces.length > 1 ? { pieces } : {}) };
      }
      manifests.set(dir, JSON.stringify({ swarmfetchIntegrity: 1, algorithm: 'sha256', pieceBytes: PIECE_BYTES, files }));
    }
    return manifests.get(dir);
  };
  let bytesSent = 0;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const cors = { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-cache' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'Access-Control-Allow-Headers': '*', 'Access-Control-Allow-Methods': 'GET' }).end();
      return;
    }
    const page = pages[path.slice(1)];
    if (page !== undefined) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(page);
      return;
    }
    const mf = /^\/([a-z0-9]+)\/swarmfetch-integrity\.json$/.exec(path);
    if (mf && sizes[mf[1]] !== undefined && req.method === 'GET') {
      res.writeHead(200, { ...cors, 'Content-Type': 'application/json' }).end(manifest(mf[1]));
      return;
    }
    const m = /^\/([a-z0-9]+)\/([A-Za-z0-9_-]+\.ts)$/.exec(path);
    if (!m || sizes[m[1]] === undefined || req.method !== 'GET') {
      res.writeHead(404, cors).end();
      return;
    }
    const b = body(m[1], m[2]);
    bytesSent += b.length;
    res.writeHead(200, { ...cors, 'Content-Type': 'video/mp2t', 'Content-Length': String(b.length) }).end(b);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    bytesSent: () => bytesSent,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(() => r()));
    },
  };
}
