// Starting a swarmfetch server process (the demo, or the P2P server CLI) and waiting until it is healthy: shared by
// the end-to-end harness and the benchmark. Plain JavaScript so `node bench/run.mjs` needs no TypeScript runner.
import { spawn } from 'node:child_process';

const OUTPUT_MAX = 256 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `node ...args` and resolves once `GET {url}/swarmfetch/v1/health` answers 2xx; throws (after stopping the
 * process) when it exits first or `timeoutMs` passes. `stop()` sends SIGTERM, then SIGKILL after 5 s, and waits
 * for the exit, so the port is free again. `kill(signal)` sends one signal (e.g. SIGKILL: a crash, no clean-up) and
 * waits for the exit.
 * @param {{ args: string[], url: string, cwd: string, env?: Record<string, string>, timeoutMs?: number, label: string }} o
 * @returns {Promise<{ pid: number, output(): string, stop(): Promise<void>, kill(signal: NodeJS.Signals): Promise<void> }>}
 */
export async function spawnServer({ args, url, cwd, env = {}, timeoutMs = 30_000, label }) {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk) => (output = (output + chunk.toString('utf8')).slice(-OUTPUT_MAX));
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  const exited = new Promise((resolve) => (ended() ? resolve() : child.once('exit', () => resolve())));
  const stop = async () => {
    if (ended()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const kill = async (signal) => {
    if (ended()) return;
    child.kill(signal);
    await exited;
  };
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (ended()) throw new Error(`${label} exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${output}`);
    try {
      const res = await fetch(`${url}/swarmfetch/v1/health`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) break;
      last = `health answered ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${label}: ${url}/swarmfetch/v1/health not healthy within ${timeoutMs} ms (${last}); output:\n${output}`);
    }
    await sleep(100);
  }
  return { pid: /** @type {number} */ (child.pid), output: () => output, stop, kill };
}
