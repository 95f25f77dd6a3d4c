/** Issue 9 §2: the hash oracle is no proxy into the origin. */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwarmServer, HashOracle, mergeServerOptions, type SwarmServer, type SwarmServerOptions } from '../../server/index';
import { thrownCode } from './helpers/thrownCode';
import { request } from './helpers/serverClient';

const ALLOWED = 'https://cdn.example';
const BODY = new Uint8Array(64 * 1024).map((_, i) => (i * 7) & 0xff);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A fetch that answers from a function and records every URL asked. */
function fakeFetch(answer: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: string[] = [];
  const fetch = (async (url: string | URL | Request, init: RequestInit = {}) => {
    calls.push(String(url));
    return answer(String(url), init);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

/** A fetch whose answers wait until released. */
function heldFetch() {
  const held: Array<() => void> = [];
  const f = fakeFetch(() => new Promise<Response>((resolve) => held.push(() => resolve(new Response(BODY)))));
  return { ...f, release: () => held.splice(0).forEach((r) => r()) };
}

const oracle = (fetch: typeof globalThis.fetch, over: Partial<ConstructorParameters<typeof HashOracle>[0]> = {}) =>
  new HashOracle({ origins: [ALLOWED], maxBytes: 1 << 20, timeoutMs: 5000, fetch, ...over });

describe('HashOracle fetches segments only', () => {
  it.each([
    `${ALLOWED}/admin/users?do=delete`,
    `${ALLOWED}/admin/`,
    `${ALLOWED}/private/secret.json`,
    `${ALLOWED}/v/index.m3u8`,
    `${ALLOWED}/v/manifest.mpd`,
    `${ALLOWED}/v/seg.ts/../../admin`,
  ])('never fetches %s, which is no segment', async (url) => {
    const f = fakeFetch(() => new Response(BODY));
    expect(await oracle(f.fetch).hash(url)).toEqual({ ok: false, error: 'not-allowed' });
    expect(f.calls).toHaveLength(0);
  });

  it('takes the segment pattern it is given', async () => {
    const f = fakeFetch(() => new Response(BODY));
    const o = oracle(f.fetch, { segmentPattern: '\\.bin$' });
    expect((await o.hash(`${ALLOWED}/v/chunk.bin`)).ok).toBe(true);
    expect(await o.hash(`${ALLOWED}/v/seg.ts`)).toEqual({ ok: false, error: 'not-allowed' });
  });

  it('forwards no query to the origin and keys its cache by the URL without query', async () => {
    const f = fakeFetch(() => new Response(BODY));
    const o = oracle(f.fetch);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, n) => o.hash(`${ALLOWED}/v/seg.ts?bust=${n}&do=x`)));
    answers.push(await o.hash(`${ALLOWED}/v/seg.ts?again=1`));
    for (const a of answers) expect(a).toEqual({ ok: true, sha256: sha(BODY), bytes: BODY.length, totalBytes: BODY.length });
    expect(f.calls).toEqual([`${ALLOWED}/v/seg.ts`]);
  });

  it('refuses ranges smaller than minRangeBytes without fetching, the end of the file included', async () => {
    const f = fakeFetch((_url, init) => {
      const m = /bytes=(\d+)-(\d+)/.exec((init.headers as Record<string, string>).Range ?? '')!;
      const [s, e] = [Number(m[1]), Number(m[2])];
      return new Response(BODY.subarray(s, e + 1), { status: 206, headers: { 'Content-Range': `bytes ${s}-${e}/${BODY.length}` } });
    });
    const o = oracle(f.fetch, { minRangeBytes: 16 * 1024 });
    for (const range of ['0-0', '5-5', '0-16382', `${BODY.length - 1}-${BODY.length - 1}`, `${BODY.length - 100}-${BODY.length - 1}`]) {
      expect(await o.hash(`${ALLOWED}/v/movie.mp4`, range), range).toEqual({ ok: false, error: 'bad-request' });
    }
    expect(f.calls).toHaveLength(0);
    expect(await o.hash(`${ALLOWED}/v/movie.mp4`, '0-16383')).toMatchObject({ ok: true, sha256: sha(BODY.subarray(0, 16384)), bytes: 16384 });
  });

  it('gives one client at most maxFetchesPerClient upstream fetches at once; others still get theirs', async () => {
    const f = heldFetch();
    const o = oracle(f.fetch, { maxConcurrent: 4, maxFetchesPerClient: 2 });
    const a1 = o.hash(`${ALLOWED}/v/1.ts`, undefined, 'A');
    const a2 = o.hash(`${ALLOWED}/v/2.ts`, undefined, 'A');
    expect(await o.hash(`${ALLOWED}/v/3.ts`, undefined, 'A')).toEqual({ ok: false, error: 'busy' });
    // another client gets a slot; and joining a fetch already under way costs no slot
    const b1 = o.hash(`${ALLOWED}/v/4.ts`, undefined, 'B');
    const b2 = o.hash(`${ALLOWED}/v/1.ts`, undefined, 'B');
    const b3 = o.hash(`${ALLOWED}/v/5.ts`, undefined, 'B');
    expect(f.calls).toHaveLength(4);
    f.release();
    for (const r of await Promise.all([a1, a2, b1, b2, b3])) expect(r.ok).toBe(true);
    // slots are given back
    const again = o.hash(`${ALLOWED}/v/6.ts`, undefined, 'A');
    f.release();
    expect((await again).ok).toBe(true);
  });

  it('aborts its fetches on close', async () => {
    const f = fakeFetch((_url, init) =>
      new Promise<Response>((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted')))),
    );
    const o = oracle(f.fetch);
    const pending = o.hash(`${ALLOWED}/v/1.ts`);
    o.close();
    expect((await pending).ok).toBe(false);
  });
});

describe('hash oracle route', () => {
  let origin: Server | null = null;
  const servers: SwarmServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    if (origin?.listening) {
      origin.closeAllConnections();
      await new Promise<void>((r) => origin!.close(() => r()));
    }
    origin = null;
  });

  /** An origin that records each request's path+query and answers with `handle` (default: BODY). */
  async function startOrigin(handle?: (req: IncomingMessage, res: ServerResponse) => void) {
    const seen: string[] = [];
    const waiters: Array<() => void> = [];
    origin = createServer((req, res) => {
      seen.push(req.url ?? '');
      waiters.splice(0).forEach((w) => w());
      if (handle) handle(req, res);
      else res.end(Buffer.from(BODY));
    });
    await new Promise<void>((r) => origin!.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const seenAtLeast = async (n: number) => {
      while (seen.length < n) await new Promise<void>((r) => waiters.push(r));
    };
    return { url, seen, seenAtLeast };
  }

  async function start(options: Partial<SwarmServerOptions>) {
    const server = await createSwarmServer({ port: 0, log: () => {}, ...options });
    servers.push(server);
    return server;
  }

  const ask = (server: SwarmServer, q: Record<string, string>, headers: Record<string, string> = {}, localAddress?: string) =>
    request(`${server.url}/swarmfetch/v1/hash?${new URLSearchParams(q)}`, { headers, localAddress });

  it('answers 404 no-oracle (JSON, readable cross-origin) when the server has no oracle', async () => {
    const server = await start({ allowedOrigins: ['https://site.example'] });
    const res = await ask(server, { url: 'https://cdn.example/v/seg.ts' }, { origin: 'https://site.example' });
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ error: 'no-oracle' });
    expect(res.headers['access-control-allow-origin']).toBe('https://site.example');
  });

  it('fetches neither other paths nor queries, nor tiny ranges, from the origin', async () => {
    const o = await startOrigin();
    const server = await start({ hashOrigins: [o.url] });
    expect((await ask(server, { url: `${o.url}/admin/run?do=drop` })).json()).toEqual({ error: 'not-allowed' });
    expect((await ask(server, { url: `${o.url}/v/seg.ts`, range: '0-0' })).json()).toEqual({ error: 'bad-request' });
    expect(o.seen).toEqual([]);
    for (let n = 0; n < 8; n++) {
      const res = await ask(server, { url: `${o.url}/v/seg.ts?bust=${n}` });
      expect(res.json()).toEqual({ sha256: sha(BODY), bytes: BODY.length, totalBytes: BODY.length });
    }
    expect(o.seen).toEqual(['/v/seg.ts']);
  });

  it('refuses a request without an allowed Origin when allowedOrigins is set; a same-origin browser request passes', async () => {
    const o = await startOrigin();
    const server = await start({ hashOrigins: [o.url], allowedOrigins: ['https://site.example'] });
    const url = `${o.url}/v/seg.ts`;
    const bare = await ask(server, { url });
    expect(bare.status).toBe(403);
    expect(bare.json()).toEqual({ error: 'forbidden' });
    expect((await ask(server, { url }, { origin: 'https://evil.example' })).status).toBe(403);
    expect(o.seen).toEqual([]);
    expect((await ask(server, { url }, { origin: 'https://site.example' })).status).toBe(200);
    expect((await ask(server, { url }, { 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  it('gives one client (address group) at most hashMaxFetchesPerClient upstream fetches; another client still gets one', async () => {
    const held: ServerResponse[] = [];
    const o = await startOrigin((_req, res) => held.push(res));
    const server = await start({ hashOrigins: [o.url], hashMaxFetchesPerClient: 2 });
    const a1 = ask(server, { url: `${o.url}/v/1.ts` }, {}, '127.0.0.1');
    const a2 = ask(server, { url: `${o.url}/v/2.ts` }, {}, '127.0.0.1');
    await o.seenAtLeast(2);
    const a3 = await ask(server, { url: `${o.url}/v/3.ts` }, {}, '127.0.0.1');
    expect(a3.status).toBe(503);
    expect(a3.json()).toEqual({ error: 'busy' });
    const b1 = ask(server, { url: `${o.url}/v/4.ts` }, {}, '127.0.0.2');
    await o.seenAtLeast(3);
    for (const res of held.splice(0)) res.end(Buffer.from(BODY));
    for (const r of await Promise.all([a1, a2, b1])) expect(r.status).toBe(200);
    expect(o.seen).toEqual(['/v/1.ts', '/v/2.ts', '/v/4.ts']);
  });

  it('validates the new oracle options', () => {
    const d = mergeServerOptions({});
    expect(d.hashSegmentPattern).toBe('\\.(ts|m4s|mp4|m4v|m4a|aac|cmfv|cmfa)$');
    expect(d.hashMinRangeBytes).toBe(16 * 1024);
    expect(d.hashMaxFetchesPerClient).toBe(2);
    expect(mergeServerOptions({ hashMinRangeBytes: 1 }).hashMinRangeBytes).toBe(4096);
    expect(mergeServerOptions({ hashMaxFetchesPerClient: 0 }).hashMaxFetchesPerClient).toBe(1);
    for (const bad of ['(', 42, '', 'x'.repeat(1000)]) expect(thrownCode(() => mergeServerOptions({ hashSegmentPattern: bad }))).toBe('config-invalid');
  });
});
