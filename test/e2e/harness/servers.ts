/**
 * Servers for end-to-end tests: the demo (demo/serve.mjs, a child process) and a tiny in-process static server
 * for fixture pages. Everything listens on 127.0.0.1 (a secure context: service workers and crypto.subtle work).
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServer } from './spawnServer.mjs';

/** Root of the repository (this file is test/e2e/harness/servers.ts). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/**
 * A port free on `host` right now, for TCP and for UDP (the P2P server's STUN responder takes the same number);
 * another process could still take it before you do.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; ; tries++) {
    const server = createServer();
    server.listen(0, host);
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    server.close();
    await once(server, 'close');
    if ((await udpFree(host, port)) || tries >= 20) return port;
  }
}

async function udpFree(host: string, port: number): Promise<boolean> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  try {
    socket.bind(port, host);
    await once(socket, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    socket.close();
  }
}

export interface RunningServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface DemoServer extends RunningServer {
  /** What the demo printed so far (stdout and stderr, last 256 KiB). */
  output(): string;
}

export interface StartDemoOptions {
  /** @default a free port */
  port?: number;
  /** More environment for the demo process. */
  env?: Record<string, string>;
  /** Longest wait for the health route to answer. @default 30000 */
  timeoutMs?: number;
  /** Script to run instead of the demo (absolute, or relative to the repository root). @default 'demo/serve.mjs' */
  script?: string;
}


/**
 * Starts `node demo/serve.mjs` with PORT set and waits until `GET /swarmfetch/v1/health` answers 2xx (the demo
 * serves the page, dist/, /media/ and the P2P server routes on that one port).
 * `stop()` ends the process (SIGTERM, then SIGKILL after 5 s) and waits for it to exit, so the port is free again.
 */
export async function startDemo(options: StartDemoOptions = {}): Promise<DemoServer> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const script = resolve(REPO_ROOT, options.script ?? 'demo/serve.mjs');
  const { stop, output } = await spawnServer({
    args: [script],
    url,
    cwd: REPO_ROOT,
    env: { ...options.env, PORT: String(port) },
    timeoutMs: options.timeoutMs,
    label: `startDemo: ${script}`,
  });
  return { url, port, stop, output };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.css': 'text/css',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.webm': 'video/webm',
};

export interface StaticServer extends RunningServer {
  /** `METHOD path` of every request served, in order (e.g. to count origin hits). */
  requests: string[];
}

export interface StaticServerOptions {
  /** Directory served at `/` (files only; no listing). */
  root?: string;
  /** In-memory files by URL path (e.g. `'/index.html'`); they win over `root`. */
  files?: Record<string, string | Uint8Array>;
  /** More response headers for every answer. */
  headers?: Record<string, string>;
  /** Maps a URL path to the path served (e.g. many stream URLs onto one directory of media). */
  rewrite?(path: string): string;
  /** Address to listen on (a network lab's public address, say). @default '127.0.0.1' */
  host?: string;
  /** Milliseconds to hold the answer to a GET of `path` (the served path) back: a slow origin. 0: none. */
  delayMs?(path: string): number;
}

/**
 * A minimal static server on 127.0.0.1 with single-range support (what `<video>` needs), for fixture pages.
 */
export async function startStaticServer(options: StaticServerOptions = {}): Promise<StaticServer> {
  const requests: string[] = [];
  const root = options.root === undefined ? null : resolve(options.root);
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    serve(req, res, root, options).catch((err) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, root: string | null, options: StaticServerOptions) {
  const asked = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const path = options.rewrite ? options.rewrite(asked) : asked;
  const headers: Record<string, string> = {
    // revalidated every time (no stale bundle between runs), and still shareable: `no-store` media is never shared
    'Cache-Control': 'no-cache',
    'Accept-Ranges': 'bytes',
    'Content-Type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    ...options.headers,
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, headers).end();
    return;
  }
  const delay = options.delayMs?.(path) ?? 0;
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  const wanted = path.endsWith('/') ? `${path}index.html` : path;
  const memory = options.files?.[wanted];
  let size: number;
  let open: (start: number, end: number) => NodeJS.ReadableStream | Buffer;
  if (memory !== undefined) {
    const bytes = typeof memory === 'string' ? Buffer.from(memory) : Buffer.from(memory.buffer, memory.byteOffset, memory.byteLength);
    size = bytes.length;
    open = (start, end) => bytes.subarray(start, end + 1);
  } else {
    const file = root === null ? null : normalize(join(root, wanted));
    const info = file !== null && file.startsWith(root + sep) ? await stat(file).catch(() => null) : null;
    if (file === null || info === null || !info.isFile()) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    size = info.size;
    open = (start, end) => createReadStream(file, { start, end });
  }
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (range && (range[1] !== '' || range[2] !== '')) {
    if (range[1] === '') {
      start = Math.max(0, size - Number(range[2]));
    } else {
      start = Number(range[1]);
      if (range[2] !== '') end = Math.min(end, Number(range[2]));
    }
    if (start >= size || start > end) {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` }).end();
      return;
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['Content-Length'] = String(size === 0 ? 0 : end - start + 1);
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  const body = open(start, end);
  if (Buffer.isBuffer(body)) res.end(body);
  else body.pipe(res);
}
