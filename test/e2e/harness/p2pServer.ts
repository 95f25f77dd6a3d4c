/** The real P2P server CLI (`bin/swarmfetch.js server`) as a child process, for tests that stop and restart it. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { REPO_ROOT, freePort, type RunningServer } from './servers';

export async function startP2pServer(port?: number, args: string[] = []): Promise<RunningServer> {
  const p = port ?? (await freePort());
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/swarmfetch.js'), 'server', '--port', String(p), '--host', '127.0.0.1', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c));
  child.stderr.on('data', (c: Buffer) => (output += c));
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${p}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`${url}/swarmfetch/v1/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`P2P server did not start on ${url}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port: p,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
