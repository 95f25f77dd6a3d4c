/**
 * Self-test of the network lab (test/lab/): the namespaces route, the NATs map and filter as their kind says, the
 * shaping holds its rate, loss is applied, Chromium runs in a home namespace through the wrapper with a secure
 * context on the public address, and destroy() leaves nothing. A harness test, not a product test:
 *   flock /tmp/swarmfetch-browser.lock bash test/e2e/netns.sh npx vitest run -c vitest.harness.config.ts test/harness/lab.harness.test.ts
 */
import { execFileSync, execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAN_ADDRESS, createLab, leftovers, type Lab, type LabViewer } from '../lab/lab.mjs';
import { launchLabBrowser } from '../lab/launchLabBrowser.mjs';
import { PROFILES } from '../lab/profiles.mjs';
import { UDP_PROBE, type UdpProbePlan, type UdpProbeResult } from '../lab/udpProbe.mjs';

const LAB_MJS = new URL('../lab/lab.mjs', import.meta.url).pathname;

let lab: Lab;
let cone: LabViewer;
let symmetric: LabViewer;
let open: LabViewer;
let http: Server;
let httpPort: number;
/** UDP reflectors on the public address: each answers a datagram with the address:port it came from. */
const reflectors: { socket: Socket; port: number; seen: string[] }[] = [];
const BLOB = Buffer.alloc(1024 * 1024, 0x5a);

async function probe(viewer: LabViewer, plan: UdpProbePlan): Promise<UdpProbeResult> {
  const { stdout } = await viewer.exec('node', [UDP_PROBE, JSON.stringify(plan)]);
  return JSON.parse(stdout) as UdpProbeResult;
}

/** Runs a Node script in a viewer's home namespace and parses the JSON it prints. */
async function nodeIn<T>(viewer: LabViewer, script: string, timeoutMs = 30_000): Promise<T> {
  const { stdout } = await viewer.exec('node', ['-e', script], { timeoutMs });
  return JSON.parse(stdout) as T;
}

beforeAll(async () => {
  lab = await createLab({
    viewers: [
      { nat: 'cone', profile: 'lan' },
      { nat: 'symmetric', profile: 'slow' },
      { nat: 'none', profile: 'lan' },
    ],
  });
  [cone, symmetric, open] = lab.viewers as [LabViewer, LabViewer, LabViewer];
  http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST') {
      let bytes = 0;
      req.on('data', (d: Buffer) => (bytes += d.length));
      req.on('end', () => res.end(JSON.stringify({ bytes })));
      return;
    }
    if (url.pathname === '/whoami') return void res.end(JSON.stringify({ address: req.socket.remoteAddress }));
    if (url.pathname === '/blob') return void res.writeHead(200, { 'Content-Length': BLOB.length }).end(BLOB);
    if (url.pathname === '/sw.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      return void res.end(`self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(clients.claim()));
self.addEventListener('fetch', (e) => { if (e.request.url.endsWith('/via-worker')) e.respondWith(new Response('worker')); });`);
    }
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<!doctype html><meta charset="utf-8"><title>lab</title><link rel="icon" href="data:,"><p id="who">${req.socket.remoteAddress}</p>`);
  });
  http.listen(0, lab.publicAddress);
  await once(http, 'listening');
  httpPort = (http.address() as AddressInfo).port;
  for (let i = 0; i < 3; i++) {
    // a big receive buffer: a burst of datagrams must not be lost in this (busy) process rather than in the lab
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    socket.bind(0, lab.publicAddress);
    await once(socket, 'listening');
    const r = { socket, port: socket.address().port, seen: [] as string[] };
    socket.on('message', (_msg, from) => {
      r.seen.push(`${from.address}:${from.port}`);
      socket.send(`${from.address}:${from.port}`, from.port, from.address);
    });
    reflectors.push(r);
  }
});

afterAll(async () => {
  for (const r of reflectors) r.socket.close();
  http?.closeAllConnections();
  http?.close();
  await lab?.destroy();
});

describe('network lab', () => {
  it('refuses to start outside netns.sh’s namespace, with a clear message', async () => {
    const script = `import(${JSON.stringify(LAB_MJS)}).then((m) => m.createLab({ viewers: [{}] })).then(() => console.log('made'), (e) => console.log(e.message))`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env: { ...process.env, SWARMFETCH_NETNS: '' }, timeout: 10_000 });
    expect(stdout).toMatch(/not inside test\/e2e\/netns\.sh's network namespace/);
  });

  it('gives every home 192.168.1.2 behind its NAT, and servers see the WAN address', async () => {
    expect([cone.lanAddress, symmetric.lanAddress]).toEqual([LAN_ADDRESS, LAN_ADDRESS]);
    expect([cone.wanAddress, symmetric.wanAddress, open.wanAddress]).toEqual(['203.0.113.10', '203.0.113.11', '203.0.113.12']);
    for (const v of lab.viewers) {
      const addrs = (await v.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
      expect(addrs).toContain(` ${v.lanAddress}/24 `);
      const who = await nodeIn<{ address: string }>(
        v,
        `fetch('http://${lab.publicAddress}:${httpPort}/whoami').then((r) => r.json()).then((j) => console.log(JSON.stringify(j)))`,
      );
      expect(who.address).toBe(v.wanAddress);
    }
  });

  it('cone NAT keeps one mapping (the local port) for every destination; symmetric makes one per destination', async () => {
    const [r0, r1] = reflectors as [(typeof reflectors)[0], (typeof reflectors)[0]];
    const to = [r0, r1].map((r) => ({ address: lab.publicAddress, port: r.port }));
    const c = await probe(cone, { port: 40_000, send: to, listenMs: 500 });
    const s = await probe(symmetric, { port: 40_000, send: to, listenMs: 500 });
    const o = await probe(open, { port: 40_000, send: to, listenMs: 500 });
    const mapped = (r: UdpProbeResult) => r.received.map((m) => m.data).sort();
    expect(mapped(c)).toEqual([`${cone.wanAddress}:40000`, `${cone.wanAddress}:40000`]);
    expect(mapped(o)).toEqual([`${open.wanAddress}:40000`, `${open.wanAddress}:40000`]);
    const ports = mapped(s).map((m) => m.split(':'));
    expect(ports.map(([a]) => a)).toEqual([symmetric.wanAddress, symmetric.wanAddress]);
    expect(new Set(ports.map(([, p]) => p)).size).toBe(2);
  });

  it('drops unsolicited inbound UDP at a NAT silently (no ICMP), from the public side and from another home', async () => {
    const [r0, , r2] = reflectors as [(typeof reflectors)[0], unknown, (typeof reflectors)[0]];
    // The cone home opens a mapping to reflector 0 and listens; then a third party and another home send to it.
    const listening = probe(cone, { port: 40_001, send: [{ address: lab.publicAddress, port: r0.port }], listenMs: 2_000 });
    await expect.poll(() => r0.seen.includes(`${cone.wanAddress}:40001`), { timeout: 5_000 }).toBe(true);
    r2.socket.send('unsolicited from a third port', 40_001, cone.wanAddress);
    const fromHome = await probe(symmetric, { connect: { address: cone.wanAddress, port: 40_001 }, count: 4, everyMs: 100, listenMs: 300 });
    const fromOpen = await probe(open, { connect: { address: cone.wanAddress, port: 40_001 }, count: 4, everyMs: 100, listenMs: 300 });
    const got = await listening;
    expect(got.received.map((m) => m.from)).toEqual([`${lab.publicAddress}:${r0.port}`]); // the reply, nothing else
    expect(fromHome.errors).toEqual([]); // dropped, not refused: no ICMP port-unreachable came back
    expect(fromOpen.errors).toEqual([]);
    // Control: a host with no NAT (nat: 'none') answers the same thing with ICMP, which the probe does see.
    const refused = await probe(cone, { connect: { address: open.wanAddress, port: 40_002 }, count: 3, everyMs: 100, listenMs: 200 });
    expect(refused.errors).toContain('ECONNREFUSED');
  });

  it('shapes the slow profile to about 1 Mbit/s down and 0.5 Mbit/s up', async () => {
    // A self-test of the harness's shaping, not of the product: the band is loose on purpose (TCP's goodput is at
    // most 1448/1514 = 95.6 % of a rate counted in Ethernet frames; measured 0.91–0.94 × on this machine).
    expect(symmetric.profile).toBe('slow');
    const down = await nodeIn<{ bytes: number; ms: number }>(
      symmetric,
      `const t = performance.now(); fetch('http://${lab.publicAddress}:${httpPort}/blob').then((r) => r.arrayBuffer())
        .then((b) => console.log(JSON.stringify({ bytes: b.byteLength, ms: performance.now() - t })))`,
    );
    expect(down.bytes).toBe(BLOB.length);
    const downRatio = (down.bytes * 8) / (down.ms / 1000) / (PROFILES.slow.downMbit! * 1e6);
    const upBytes = 256 * 1024;
    const up = await nodeIn<{ bytes: number; ms: number }>(
      symmetric,
      `const t = performance.now(); fetch('http://${lab.publicAddress}:${httpPort}/upload', { method: 'POST', body: new Uint8Array(${upBytes}) })
        .then((r) => r.json()).then((j) => console.log(JSON.stringify({ bytes: j.bytes, ms: performance.now() - t })))`,
    );
    expect(up.bytes).toBe(upBytes);
    const upRatio = (up.bytes * 8) / (up.ms / 1000) / (PROFILES.slow.upMbit! * 1e6);
    console.log(`lab: slow profile measured ${downRatio.toFixed(3)}× down, ${upRatio.toFixed(3)}× up`);
    expect(downRatio).toBeGreaterThan(0.6);
    expect(downRatio).toBeLessThan(1.1);
    expect(upRatio).toBeGreaterThan(0.6);
    expect(upRatio).toBeLessThan(1.1);
  });

  it('drops the given share of packets when loss is set, and none when it is cleared', async () => {
    const r0 = reflectors[0]!;
    const count = 2_000;
    const burst = `const s = require('dgram').createSocket('udp4'); let n = 0; s.on('message', () => n++);
      s.bind(0, async () => { for (let i = 0; i < ${count}; i++) { s.send('x', ${r0.port}, '${lab.publicAddress}');
        if (i % 5 === 0) await new Promise((r) => setTimeout(r, 1)); }
        setTimeout(() => { console.log(JSON.stringify({ n })); process.exit(0); }, 300); });`;
    await cone.setLoss({ up: 10 });
    const before = r0.seen.length;
    const lossy = await nodeIn<{ n: number }>(cone, burst);
    const arrived = r0.seen.length - before;
    expect(lossy.n).toBe(arrived); // the way back is not lossy
    expect(1 - arrived / count).toBeGreaterThan(0.06); // 10 % ± 4 σ of a Bernoulli count
    expect(1 - arrived / count).toBeLessThan(0.14);
    await cone.setLoss(0);
    expect((await nodeIn<{ n: number }>(cone, burst)).n).toBe(count);
  });

  it('runs Chromium in a home namespace through the wrapper: the page sees a secure context and a service worker', async () => {
    const origin = `http://${lab.publicAddress}:${httpPort}`;
    const browser = await launchLabBrowser({ viewer: cone, secureOrigins: [origin] });
    try {
      const page = await browser.newPage();
      await page.goto(`${origin}/`);
      expect(await page.textContent('#who')).toBe(cone.wanAddress); // through the NAT
      expect(await page.evaluate('window.isSecureContext')).toBe(true);
      expect(await page.evaluate(`typeof navigator.serviceWorker`)).toBe('object');
      expect(await page.evaluate(`typeof crypto.subtle?.digest`)).toBe('function');
      const viaWorker = await page.evaluate(`(async () => {
        await navigator.serviceWorker.register('/sw.js');
        await navigator.serviceWorker.ready;
        for (let i = 0; i < 100 && !navigator.serviceWorker.controller; i++) await new Promise((r) => setTimeout(r, 20));
        return (await fetch('/via-worker')).text();
      })()`);
      expect(viaWorker).toBe('worker');
    } finally {
      await browser.close();
    }
  });

  it('destroy() leaves no namespace, interface or wrapper behind', async () => {
    const wrappers = lab.viewers.map((v) => v.chromiumPath);
    expect(wrappers.every((w) => existsSync(w))).toBe(true);
    expect(leftovers(lab).namespaces).toHaveLength(5);
    await lab.destroy();
    expect(leftovers(lab)).toEqual({ namespaces: [], links: [], dir: false });
    expect(wrappers.some((w) => existsSync(w))).toBe(false);
    expect(readdirSync('/run/netns').filter((n) => n.startsWith(`${lab.id}-`))).toEqual([]);
    const links = execFileSync('ip', ['-o', 'link', 'show']).toString();
    expect(links).not.toContain(lab.bridge);
  });
});
