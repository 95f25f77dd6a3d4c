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
