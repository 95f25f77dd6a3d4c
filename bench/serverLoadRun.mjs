#!/usr/bin/env node
// `npm run bench -- --server-load [--nodes 1|3] [--peers N] [--announce-seconds S] [--workers W]`: starts the P2P
// server (one node; or, with --nodes 3, three nodes sharing a redis-server of its own on a free port, `--save ''
// --appendonly no`), runs bench/serverLoad.mjs against it, prints its JSON report, stops everything. The figures and
// the file-descriptor ceiling of this machine: bench/README.md "Server load".
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { spawnServer } from '../test/e2e/harness/spawnServer.mjs';
import { REPO_ROOT } from './servers.mjs';

const o = { nodes: 1, peers: 5000, announceSeconds: 10, workers: 2 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = { '--nodes': 'nodes', '--peers': 'peers', '--announce-seconds': 'announceSeconds', '--workers': 'workers' }[argv[i]];
  const value = Number(argv[i + 1]);
  if (!key || !Number.isFinite(value)) throw new Error(`serverLoadRun: bad argument ${argv[i]} ${argv[i + 1] ?? ''}`);
  o[key] = Math.round(value);
}
o.nodes = Math.min(3, Math.max(1, o.nodes));
o.peers = Math.min(40_000, Math.max(1, o.peers));

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const stops = [];
let redis = null;
try {
  const extra = [];
  if (o.nodes > 1) {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    extra.push('--redis-url', `redis://127.0.0.1:${port}`);
  }
  const nodes = [];
  for (let k = 1; k <= o.nodes; k++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const node = await spawnServer({
      args: [join(REPO_ROOT, 'server/bin/swarmfetch-server.js'), 'server', '--port', String(port), '--host', '127.0.0.1', '--no-stun',
        '--max-peers', String(o.peers + 1000), '--max-connections-per-ip', '1000', ...extra, ...(o.nodes > 1 ? ['--node-id', `n${k}`] : [])],
      url, cwd: REPO_ROOT, timeoutMs: 15_000, label: `P2P server node ${k}`,
    });
    stops.push(node.stop);
    nodes.push({ url, pid: node.pid });
  }
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bench/serverLoad.mjs'),
      '--url', nodes.map((n) => n.url).join(','), '--server-pid', nodes.map((n) => n.pid).join(','),
      '--peers', String(o.peers), '--workers', String(o.workers), '--announce-seconds', String(o.announceSeconds),
      ...(o.nodes > 1 ? ['--no-garbage'] : [])], { stdio: 'inherit' });
    child.once('exit', (c) => resolve(c ?? 1));
  });
  process.exitCode = code;
} finally {
  for (const stop of stops) await stop().catch(() => {});
  redis?.kill('SIGKILL');
}
