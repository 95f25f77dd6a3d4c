/** Talking to a running P2P server from unit tests like a browser or a hostile client would (node:http and ws). */
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => unknown;
}

export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Source address on loopback (127.0.0.0/8), to play another client IP. */
  localAddress?: string;
}

/** One HTTP request on a connection of its own. */
export function request(url: string, init: RequestInit = {}): Promise<Reply> {
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  const headers = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers, agent: false, localAddress: init.localAddress }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface SignallingOptions {
  origin?: string;
  localAddress?: string;
}

/** Opens a PeerJS signalling websocket; resolves with the socket and the server's first message (OPEN or ERROR…). */
export function openSignalling(port: number, id: string, token: string, o: SignallingOptions = {}): Promise<{ ws: WebSocket; first: { type: string; payload?: { msg?: string } } }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/peerjs/peerjs?key=peerjs&id=${id}&token=${token}`, {
    origin: o.origin,
    localAddress: o.localAddress,
  });
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve({ ws, first: JSON.parse(String(data)) as { type: string } }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      reject(new Error(`handshake refused: ${res.statusCode}`));
    });
    ws.once('error', reject);
  });
}

/** Resolves with the close code and reason once the socket closes. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve({ code: 1006, reason: '' });
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) }));
  });
}

/** A parsed signalling message as the PeerJS server sends it. */
export interface SignalMessage {
  type: string;
  src?: string;
  dst?: string;
  payload?: unknown;
}

/** Every message a socket received, from its first on, and a way to wait for one. */
export interface Inbox {
  readonly messages: SignalMessage[];
  /** Resolves with the first message (already received or still to come) that `match` accepts. */
  until(match: (m: SignalMessage) => boolean): Promise<SignalMessage>;
}

/**
 * Collects `ws`'s messages from now on. Attach it before the messages can arrive: ws emits all the messages of one
 * TCP chunk synchronously, so a collector attached after an `await` can miss some.
 */
export function inbox(ws: WebSocket): Inbox {
  const messages: SignalMessage[] = [];
  const waiters = new Set<{ match: (m: SignalMessage) => boolean; resolve: (m: SignalMessage) => void }>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as SignalMessage;
    messages.push(m);
    for (const w of waiters) {
      if (!w.match(m)) continue;
      waiters.delete(w);
      w.resolve(m);
    }
  });
  return {
    messages,
    until: (match) =>
      new Promise((resolve) => {
        const hit = messages.find(match);
        if (hit) resolve(hit);
        else waiters.add({ match, resolve });
      }),
  };
}

/** Opens a signalling websocket that collects every message from the first (OPEN or ERROR…) on. */
export async function openSignallingWithInbox(port: number, id: string, token: string, o: SignallingOptions = {}): Promise<{ ws: WebSocket; first: SignalMessage; inbox: Inbox }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/peerjs/peerjs?key=peerjs&id=${id}&token=${token}`, {
    origin: o.origin,
    localAddress: o.localAddress,
  });
  const box = inbox(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      reject(new Error(`handshake refused: ${res.statusCode}`));
    });
    ws.once('error', reject);
  });
  const first = await box.until(() => true);
  return { ws, first, inbox: box };
}

/**
 * Writes `texts` as client text frames in ONE write on the TCP socket, as a client batching its sends would: the
 * server then reads them all in one chunk.
 */
export function sendInOneWrite(ws: WebSocket, texts: readonly string[]): void {
  const socket = (ws as unknown as { _socket: { write(b: Buffer): boolean } })._socket;
  socket.write(Buffer.concat(texts.map(clientTextFrame)));
}

/** One masked (key 0: the payload is unchanged) final text frame. */
function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const n = payload.length;
  let head: Buffer;
  if (n < 126) head = Buffer.from([0x81, 0x80 | n]);
  else if (n < 65536) head = Buffer.from([0x81, 0x80 | 126, n >> 8, n & 0xff]);
  else {
    head = Buffer.alloc(10);
    head[0] = 0x81;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}
