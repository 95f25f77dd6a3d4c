/**
 * close() leaves nothing that keeps Node running: a child `node` process runs the server (compiled from the sources
 * here with esbuild, dependencies external, as the build does), and must end by itself, code 0, after close() — or,
 * for the CLI, after SIGTERM. No process.exit anywhere on those paths.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closed, openSignalling, request } from './helpers/serverClient';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Longest a child may run in all (under the unit tests' 30 s): a bound for a stuck child, not a timing expectation. */
const CHILD_BOUND_MS = 25_000;
/** After close() the child waits this long (an unref'd timer: it fires only if something else keeps Node up), then
 * prints what is still open and exits 3. */
const STUCK_AFTER_MS = 10_000;

// the bundle goes under node_modules (the server workspace's, if it has its own), so that its external imports
// (express, peer, ws) resolve
let dir = '';
beforeAll(async () => {
  const own = join(ROOT, 'server', 'node_modules');
  const cache = join(existsSync(own) ? own : join(ROOT, 'node_modules'), '.cache');
  mkdirSync(cache, { recursive: true });
  dir = mkdtempSync(join(cache, 'swarmfetch-close-'));
  await build({
    entryPoints: { server: join(ROOT, 'server/index.ts'), cli: join(ROOT, 'server/cli.ts') },
    bundle: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external', splitting: true,
    outdir: dir, logLevel: 'silent',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <script>` in the bundle's directory; `onLine` sees each stdout line as it comes. */
function runChild(script: string, onLine: (line: string, child: ChildProcess) => void = () => {}): Promise<Ended> {
  const file = join(dir, `${script.length}-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, script);
  // no PORT, HOST or TURN secret of the machine's
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(PORT|HOST|SWARMFETCH_)/.test(k)));
  const child = spawn(process.execPath, [file], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    for (let at = pending.indexOf('\n'); at >= 0; at = pending.indexOf('\n')) {
      onLine(pending.slice(0, at), child);
      pending = pending.slice(at + 1);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const bound = setTimeout(() => child.kill('SIGKILL'), CHILD_BOUND_MS);
  return new Promise((done) =>
    child.once('close', (code, signal) => {
      clearTimeout(bound);
      done({ code, signal, stdout, stderr });
    }),
  );
}

describe('SwarmServer.close()', () => {
  it('lets the process exit by itself, code 0, after a peer connected and joined; a second close() gets the same promise', async () => {
    const ended = await runChild(`
      import { request } from 'node:http';
      import WebSocket from 'ws';
      import { createSwarmServer } from './server.js';

      const server = await createSwarmServer({ port: 0, host: '127.0.0.1', log: () => {}, metrics: true });
      const ws = new WebSocket('ws://127.0.0.1:' + server.port + '/peerjs/peerjs?key=peerjs&id=alice&token=tok-alice');
      const first = await new Promise((resolve, reject) => {
        ws.once('message', (data) => resolve(JSON.parse(String(data)).type));
        ws.once('error', reject);
      });
      const wsClosed = new Promise((resolve) => ws.once('close', () => resolve(true)));
      const join = await new Promise((resolve, reject) => {
        const req = request(server.url + '/swarmfetch/v1/join', { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ peerId: 'alice', token: 'tok-alice', swarm: 's' }));
      });
      const a = server.close();
      const b = server.close();
      await Promise.all([a, b, wsClosed]);
      await server.close();
      console.log(JSON.stringify({ first, join, same: a === b }));
      setTimeout(() => {
        console.log(JSON.stringify({ stuck: process.getActiveResourcesInfo() }));
        process.exit(3);
      }, ${STUCK_AFTER_MS}).unref();
    `);
    expect(ended.stderr).toBe('');
    expect(ended.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([{ first: 'OPEN', join: 200, same: true }]);
    expect([ended.code, ended.signal]).toEqual([0, null]);
  });

  it('lets the process exit by itself after close() with no peer ever connected, STUN off, and a static directory', async () => {
    const ended = await runChild(`
      import { createSwarmServer } from './server.js';
      const server = await createSwarmServer({ port: 0, host: '127.0.0.1', stun: false, log: () => {}, static: [{ urlPath: '/x', dir: '.' }] });
      await server.close();
      setTimeout(() => {
        console.log(JSON.stringify({ stuck: process.getActiveResourcesInfo() }));
        process.exit(3);
      }, ${STUCK_AFTER_MS}).unref();
    `);
    expect(ended.stdout).toBe('');
    expect([ended.code, ended.signal]).toEqual([0, null]);
  });
});

describe('swarmfetch server (the CLI)', () => {
  it('closes on SIGTERM and exits by itself with code 0, a peer connected and joined', async () => {
    const peer: Array<Promise<{ code: number }>> = [];
    const ended = await runChild(
      `
      import { run } from './cli.js';
      await run(['server', '--port', '0', '--host', '127.0.0.1']);
      process.on('SIGTERM', () => setTimeout(() => {
        console.log(JSON.stringify({ stuck: process.getActiveResourcesInfo() }));
        process.exit(3);
      }, ${STUCK_AFTER_MS}).unref());
      `,
      (line, child) => {
        const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
        if (!m) return;
        // a PeerJS peer and a tracker join from this process, then the signal
        peer.push((async () => {
          const port = Number(m[2]);
          const { ws, first } = await openSignalling(port, 'bob', 'tok-bob');
          expect(first.type).toBe('OPEN');
          const join = await request(`${m[1]}/swarmfetch/v1/join`, { method: 'POST', body: { peerId: 'bob', token: 'tok-bob', swarm: 's' } });
          expect(join.status).toBe(200);
          const gone = closed(ws);
          child.kill('SIGTERM');
          return gone;
        })());
      },
    );
    expect(peer).toHaveLength(1);
    expect((await peer[0])?.code).toBe(1006); // the server cut the socket
    expect(ended.stderr).toBe('');
    const lines = ended.stdout.trim().split('\n');
    expect(lines.slice(1)).toEqual(['swarmfetch server: SIGTERM, closing', 'swarmfetch server: closed']);
    expect([ended.code, ended.signal]).toEqual([0, null]);
  });
});
