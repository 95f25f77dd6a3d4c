/**
 * A rogue peer for chaos tests: a browser page that loads PeerJS, joins a swarmfetch swarm through the real tracker,
 * speaks the peer wire protocol (client/protocol.ts, its current version) to real viewers, announces `have` for every segment it
 * is told about, and answers requests according to a mode:
 *
 * - `correct`: the origin's bytes after `delayMs` (Infinity = never answers);
 * - `flip`: the origin's bytes with one bit flipped per 4 KiB;
 * - `wrong-length`: the origin's bytes plus 777 junk bytes, declared as such (well-formed, wrong);
 * - `short`: declares the real size, sends 1000 bytes less, then `done` (a protocol lie);
 * - `wrong-segment`: the bytes of the next segment of the list;
 * - `oversized-frame`: declares the size, then sends one 20 KiB binary frame (frames are at most 16 KiB);
 * - `drip`: declares the size, then 64 bytes every 300 ms, forever.
 *
 * The page runs on the site's origin (see startRoguePeer) and reads the true bytes of a segment from its key's URL
 * (or `mediaPath(key)`); PeerJS comes from node_modules. Everything the peer saw is counted in `stats()`. Change the
 * mode between viewers with `setMode`.
 *
 * `placeCalls(n)` also places `n` PeerJS media calls (a canvas stream) to every viewer connected now: swarmfetch never
 * answers one, and must not hold any.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REPO_ROOT } from './servers';
import { PROTOCOL_VERSION } from '../../../client/protocol';

export type RogueMode = 'correct' | 'flip' | 'wrong-length' | 'short' | 'wrong-segment' | 'oversized-frame' | 'drip';

export interface RogueSwarm {
  /** Swarm id as the viewers compute it: `<site origin>|<segment directory URL>` (see core/swarmId.ts). */
  swarm: string;
  /** Segment keys to announce (absolute URLs, no query). */
  keys: string[];
}

export interface RoguePeerOptions {
  /** The P2P server (signalling + tracker) base URL, e.g. the demo's. */
  serverUrl: string;
  /** The site whose swarms the rogue joins (its page runs on this origin). @default serverUrl */
  siteUrl?: string;
  swarms: RogueSwarm[];
  /** Maps a segment key to the URL the rogue page fetches its true bytes from. @default the key itself */
  mediaPath?(key: string): string;
  mode?: RogueMode;
  /** Delay before answering (mode `correct`); Infinity = never. @default 0 */
  delayMs?: number;
}

export interface RogueStats {
  peerId: string | null;
  /** Viewers connected now (hello exchanged). */
  open: number;
  /** Every connection that ever opened. */
  connections: number;
  /** `req` messages received. */
  requests: number;
  /** Answers begun (`send` sent). */
  answers: number;
  /** Connections the viewer closed. */
  closedByViewer: number;
}

export interface RoguePeer {
  page: Page;
  setMode(mode: RogueMode, delayMs?: number): Promise<void>;
  stats(): Promise<RogueStats>;
  /**
   * Waits until at least `n` viewers have completed the handshake since `since` (a `stats().connections` taken
   * earlier). Counts handshakes, not open connections: a viewer that catches a lie closes within milliseconds, often
   * before a poll of the open count could see it.
   */
  waitForViewers(n: number, timeoutMs?: number, since?: number): Promise<void>;
  /** Places `n` media calls to each viewer connected now; resolves with the number placed. */
  placeCalls(n: number): Promise<number>;
  close(): Promise<void>;
}

/** The page-side program, as text (no test-runner transform touches it). */
const ROGUE_SCRIPT = String.raw`
(() => {
  const cfg = window.__rogueConfig;
  const server = new URL(cfg.serverUrl);
  const token = Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  const st = { peerId: null, open: 0, connections: 0, requests: 0, answers: 0, closedByViewer: 0 };
  window.__rogue = { stats: () => ({ ...st }), setMode: (m, d) => { cfg.mode = m; cfg.delayMs = d; } };
  const keyList = cfg.swarms.flatMap((s) => s.keys);
  const cache = new Map();
  const bytesOf = (key) => {
    if (!cache.has(key)) cache.set(key, fetch(cfg.paths[key]).then((r) => { if (!r.ok) throw new Error('rogue: ' + r.status); return r.arrayBuffer(); }).then((b) => new Uint8Array(b)));
    return cache.get(key);
  };
  const frame = (id, payload) => {
    const f = new Uint8Array(5 + payload.byteLength);
    new DataView(f.buffer).setUint32(1, id);
    f[0] = 1;
    f.set(payload, 5);
    return f.buffer;
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const sendAll = async (conn, id, bytes, declared) => {
    conn.send(JSON.stringify({ t: 'send', id, bytes: declared, totalBytes: null, contentType: 'video/mp2t' }));
    for (let at = 0; at < bytes.byteLength; at += 16000) {
      if (!conn.open) return;
      while (conn.dataChannel && conn.dataChannel.bufferedAmount > 1 << 20) await sleep(5);
      conn.send(frame(id, bytes.subarray(at, at + 16000)));
    }
    conn.send(JSON.stringify({ t: 'done', id }));
  };
  async function answer(conn, id, key) {
    st.requests++;
    const mode = cfg.mode;
    const delay = cfg.delayMs;
    if (mode === 'correct' && delay > 0) {
      if (!Number.isFinite(delay)) return; // never
      await sleep(delay);
    }
    if (!conn.open) return;
    const real = await bytesOf(key);
    st.answers++;
    if (mode === 'correct') return sendAll(conn, id, real, real.byteLength);
    if (mode === 'flip') {
      const b = real.slice();
      for (let i = 100; i < b.length; i += 4096) b[i] ^= 0x10;
      return sendAll(conn, id, b, b.byteLength);
    }
    if (mode === 'wrong-length') {
      const b = new Uint8Array(real.byteLength + 777);
      b.set(real);
      return sendAll(conn, id, b, b.byteLength);
    }
    if (mode === 'short') {
      const b = real.subarray(0, Math.max(0, real.byteLength - 1000));
      return sendAll(conn, id, b, real.byteLength);
    }
    if (mode === 'wrong-segment') {
      const other = keyList[(keyList.indexOf(key) + 1) % keyList.length];
      const b = await bytesOf(other);
      return sendAll(conn, id, b, b.byteLength);
    }
    if (mode === 'oversized-frame') {
      conn.send(JSON.stringify({ t: 'send', id, bytes: real.byteLength, totalBytes: null, contentType: 'video/mp2t' }));
      conn.send(frame(id, real.subarray(0, 20 * 1024)));
      return;
    }
    if (mode === 'drip') {
      conn.send(JSON.stringify({ t: 'send', id, bytes: real.byteLength, totalBytes: null, contentType: 'video/mp2t' }));
      for (let at = 0; at < real.byteLength && conn.open; at += 64) {
        conn.send(frame(id, real.subarray(at, at + 64)));
        await sleep(300);
      }
    }
  }
  // every connection is answered (when both sides dial at once, the viewer decides which one stays)
  const conns = new Map();
  const helloConns = new Set();
  window.__rogue.peers = () => [...conns.entries()].map(([id, set]) => id + ':' + [...set].map((c) => (c.open ? 'open' : 'closed') + (helloConns.has(c) ? '+hello' : '')).join(','));
  // dialled: the rogue made this connection, so (as the protocol says) it speaks only after the viewer's hello
  function attach(conn, dialled) {
    if (!conn) return;
    if (!conns.has(conn.peer)) conns.set(conn.peer, new Set());
    conns.get(conn.peer).add(conn);
    let hello = false;
    const sayHello = () => conn.send(JSON.stringify({ t: 'hello', v: ${PROTOCOL_VERSION} }));
    // accepting: hello at open, repeated until the viewer's arrives (a first message can get lost, see protocol.ts)
    const onOpen = () => {
      if (dialled) return;
      sayHello();
      let wait = 250;
      const again = () => setTimeout(() => { if (!hello && conn.open) { sayHello(); wait *= 2; again(); } }, wait);
      again();
    };
    conn.on('open', onOpen);
    if (conn.open) onOpen();
    conn.on('data', (data) => {
      if (typeof data !== 'string') return;
      let m;
      try { m = JSON.parse(data); } catch { return; }
      if (m.t === 'hello' && hello) {
        if (dialled) sayHello(); // the viewer repeats: it has not heard our answer
      } else if (m.t === 'hello') {
        hello = true;
        if (dialled) sayHello();
        helloConns.add(conn);
        st.open = helloConns.size;
        st.connections++;
        for (const s of cfg.swarms) conn.send(JSON.stringify({ t: 'have', swarm: s.swarm, keys: s.keys }));
      } else if (m.t === 'ping') {
        conn.send(JSON.stringify({ t: 'pong' }));
      } else if (m.t === 'req') {
        answer(conn, m.id, m.key).catch(() => {});
      }
    });
    conn.on('close', () => {
      const set = conns.get(conn.peer);
      if (set) { set.delete(conn); if (set.size === 0) conns.delete(conn.peer); }
      // PeerJS may report a close more than once: count each connection once
      if (helloConns.delete(conn)) { st.open = helloConns.size; st.closedByViewer++; }
    });
    conn.on('error', () => {});
  }
  const peer = new Peer({
    host: server.hostname, port: Number(server.port) || 80, path: '/peerjs', key: 'peerjs', secure: false, token,
    config: { iceServers: [] },
  });
  peer.on('connection', (conn) => attach(conn, false));
  window.__rogue.placeCalls = (n) => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 16;
    canvas.getContext('2d').fillRect(0, 0, 16, 16);
    const stream = canvas.captureStream(1);
    let placed = 0;
    for (const id of [...helloConns].map((c) => c.peer)) {
      for (let i = 0; i < n; i++) if (peer.call(id, stream)) placed++;
    }
    return placed;
  };
  peer.on('error', () => {});
  peer.on('open', (id) => {
    st.peerId = id;
    const round = async () => {
      for (const s of cfg.swarms) {
        try {
          const res = await fetch(new URL('/swarmfetch/v1/join', server).href, {
            method: 'POST', headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ peerId: id, token, swarm: s.swarm, want: 10 }),
          });
          const { peers } = await res.json();
          for (const p of peers || []) {
            if (!conns.has(p)) attach(peer.connect(p, { reliable: true, serialization: 'raw' }), true);
          }
        } catch {}
      }
    };
    round();
    setInterval(round, 700);
  });
})();
`;

/** The path the rogue page is opened at on the site (any answer will do; the page's scripts are injected). */
const ROGUE_PATH = '/__swarmfetch-rogue__';

/**
 * Opens the rogue page in its own browser context and starts it. The page runs *on the site's origin* (it opens
 * `<site>/__swarmfetch-rogue__` and injects its scripts), because the tracker only lets a page join swarms of its own
 * origin: an attacker can do as much by running any script on the site, or by any client that sets the header.
 */
export async function startRoguePeer(browser: Browser, options: RoguePeerOptions): Promise<RoguePeer> {
  const site = new URL(options.siteUrl ?? options.serverUrl).origin;
  const paths: Record<string, string> = {};
  for (const s of options.swarms) for (const k of s.keys) paths[k] = options.mediaPath ? options.mediaPath(k) : k;
  const config = { serverUrl: options.serverUrl, swarms: options.swarms, paths, mode: options.mode ?? 'correct', delayMs: options.delayMs ?? 0 };
  const peerjs = await readFile(join(REPO_ROOT, 'node_modules/peerjs/dist/peerjs.min.js'), 'utf8');
  // bypassCSP: the site's error page forbids inline scripts, and ours are injected
  const context: BrowserContext = await browser.newContext({ bypassCSP: true });
  try {
    const page = await context.newPage();
    // a real navigation (whatever the site answers), so the page is the site's origin in the loopback address space
    // (a page fulfilled by Playwright would be "public", and Chromium's local network checks block its websocket)
    await page.goto(`${site}${ROGUE_PATH}`);
    await page.addScriptTag({ content: `window.__rogueConfig = ${JSON.stringify(config)};` });
    await page.addScriptTag({ content: peerjs });
    await page.addScriptTag({ content: ROGUE_SCRIPT });
    // Infinity does not survive JSON: the page gets it through evaluate
    if (!Number.isFinite(config.delayMs)) await page.evaluate('window.__rogue.setMode(window.__rogueConfig.mode, Infinity)');
    await page.waitForFunction('window.__rogue && window.__rogue.stats().peerId', null, { timeout: 15_000 });
    return {
      page,
      setMode: async (mode, delayMs = 0) => {
        await page.evaluate(`window.__rogue.setMode(${JSON.stringify(mode)}, ${Number.isFinite(delayMs) ? delayMs : 'Infinity'})`);
      },
      stats: async () => (await page.evaluate('window.__rogue.stats()')) as RogueStats,
      waitForViewers: async (n, timeoutMs = 20_000, since = 0) => {
        try {
          await page.waitForFunction(`window.__rogue.stats().connections >= ${since + n}`, null, { timeout: timeoutMs, polling: 100 });
        } catch (err) {
          const seen = await page.evaluate('JSON.stringify({ stats: window.__rogue.stats(), peers: window.__rogue.peers() })').catch(() => '?');
          throw new Error(`rogue peer: fewer than ${n} viewers connected within ${timeoutMs} ms: ${seen}`, { cause: err });
        }
      },
      placeCalls: async (n) => (await page.evaluate(`window.__rogue.placeCalls(${Number(n)})`)) as number,
      close: async () => {
        await context.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await context.close().catch(() => undefined);
    throw err;
  }
}
