/** The real P2P server CLI (`server/bin/swarmfetch-server.js server`) as a child process, for tests that stop and restart it. */
import { join } from 'node:path';
import { REPO_ROOT, freePort, type RunningServer } from './servers';
import { spawnServer } from './spawnServer.mjs';

export interface P2pServer extends RunningServer {
  /** Sends one signal to the process and waits for it to exit (SIGKILL: a crash, sockets dropped unclosed). */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** `host`: the address to listen on (a network lab's public address, say); its STUN responder answers there too. */
export async function startP2pServer(port?: number, args: string[] = [], host = '127.0.0.1'): Promise<P2pServer> {
  const p = port ?? (await freePort(host));
  const url = `http://${host}:${p}`;
  const { stop, kill } = await spawnServer({
    args: [join(REPO_ROOT, 'server/bin/swarmfetch-server.js'), 'server', '--port', String(p), '--host', host, ...args],
    url,
    cwd: REPO_ROOT,
    timeoutMs: 15_000,
    label: 'P2P server',
  });
  return { url, port: p, stop, kill };
}
