import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSwarmServer, HashOracle, mergeServerOptions, type SwarmServer } from '../../server/index';
import { thrownCode } from './helpers/thrownCode';

const ALLOWED = 'https://cdn.example';
const BODY = new Uint8Array(5000).map((_, i) => i & 0xff);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

type Call = { url: string; init: RequestInit };

/** A fetch that answers from a function and records every call. */
function fakeFetch(answer: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = (async (url: string | URL | Request, init: RequestInit = {}) => {
    calls.push({ url: String(url), init });
    return answer(String(url), init);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const oracle = (fetch: typeof globalThis.fetch, over: Partial<ConstructorParameters<typeof HashOracle>[0]> = {}) =>
  new HashOracle({ origins: [ALLOWED], maxBytes: 10_000, timeoutMs: 1000, fetch, ...over });

describe('HashOracle', () => {
  it('hashes an allowed URL once, without credentials or redirects, and answers later asks from its cache', async () => {
    const f = fakeFetch(() => new Response(BODY));
    const o = oracle(f.fetch);
    const [a, b] = await Promise.all([o.hash(`${ALLOWED}/v/seg_1.ts`), o.hash(`${ALLOWED}/v/seg_1.ts`)]);
    expect(a).toEqual({ ok: true, sha256: sha(BODY), bytes: BODY.length, totalBytes: BODY.length });
    expect(b).toEqual(a);
    expect(await o.hash(`${ALLOWED}/v/seg_1.ts#frag`)).toEqual(a);
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0]!.init.redirect).toBe('manual');
    expect(f.calls[0]!.init.credentials).toBe('omit');
  });

  const refused = [
    'https://evil.example/v/seg.ts',
    'http://cdn.example/v/seg.ts', // other scheme
    'https://cdn.example:8443/v/seg.ts', // other port
    'https://cdn.example.evil.example/v/seg.ts',
    'https://cdn.example@evil.example/v/seg.ts', // userinfo trick: the host is evil.example
    'https://user:pass@cdn.example/v/seg.ts', // credentials
    'ftp://cdn.example/v/seg.ts',
    'file:///etc/passwd',
    'http://127.0.0.1/admin',
    'http://[::1]/admin',
    'http://169.254.169.254/latest/meta-data/',
    '//cdn.example/v/seg.ts',
    '/v/seg.ts',
  ];
  it.each(refused)('never fetches %s', async (url) => {
    const f = fakeFetch(() => new Response(BODY));
    expect(await oracle(f.fetch).hash(url)).toEqual({ ok: false, error: 'not-allowed' });
    expect(f.calls).toHaveLength(0);
  });

  it('refuses inputs that are not one URL string', async () => {
    const f = fakeFetch(() => new Response(BODY));
    const o = oracle(f.fetch);
    for (const url of [undefined, 42, ['https://cdn.example/a.ts'], `${ALLOWED}/${'a'.repeat(3000)}`]) {
      expect((await o.hash(url)).ok).toBe(false);
    }
    expect(await o.hash(`${ALLOWED}/a.ts`, 'x-1')).toEqual({ ok: false, error: 'bad-request' });
    expect(await o.hash(`${ALLOWED}/a.ts`, '9-3')).toEqual({ ok: false, error: 'bad-request' });
    expect(f.calls).toHaveLength(0);
  });

  it('does not follow a redirect, wherever it points', async () => {
    const f = fakeFetch(() => new Response(null, { status: 302, headers: { Location: 'http://127.0.0.1/admin' } }));
    expect(await oracle(f.fetch).hash(`${ALLOWED}/a.ts`)).toEqual({ ok: false, error: 'upstream-error' });
    expect(f.calls).toHaveLength(1);
  });

  it('bounds the size: a declared or streamed body above maxBytes is not hashed', async () => {
    const declared = fakeFetch(() => new Response(BODY, { headers: { 'Content-Length': '20000' } }));
    expect(await oracle(declared.fetch).hash(`${ALLOWED}/a.ts`)).toEqual({ ok: false, error: 'too-large' });
    const streamed = fakeFetch(() => new Response(new Uint8Array(20_000)));
    expect(await oracle(streamed.fetch).hash(`${ALLOWED}/a.ts`)).toEqual({ ok: false, error: 'too-large' });
    expect(await oracle(streamed.fetch).hash(`${ALLOWED}/a.ts`, '0-20000')).toEqual({ ok: false, error: 'too-large' });
  });

  it('hashes a byte range from an exact 206, and nothing else', async () => {
    const part = BODY.subarray(1000, 2000);
    const good = fakeFetch(() => new Response(part, { status: 206, headers: { 'Content-Range': 'bytes 1000-1999/5000' } }));
    expect(await oracle(good.fetch, { minRangeBytes: 1000 }).hash(`${ALLOWED}/a.mp4`, '1000-1999')).toEqual({ ok: true, sha256: sha(part), bytes: 1000, totalBytes: 5000 });
    expect((good.calls[0]!.init.headers as Record<string, string>).Range).toBe('bytes=1000-1999');
    const whole = fakeFetch(() => new Response(BODY));
    expect(await oracle(whole.fetch, { minRangeBytes: 1000 }).hash(`${ALLOWED}/a.mp4`, '1000-1999')).toEqual({ ok: false, error: 'upstream-error' });
    const other = fakeFetch(() => new Response(part, { status: 206, headers: { 'Content-Range': 'bytes 0-999/5000' } }));
    expect(await oracle(other.fetch, { minRangeBytes: 1000 }).hash(`${ALLOWED}/a.mp4`, '1000-1999')).toEqual({ ok: false, error: 'upstream-error' });
  });

  it('reports origin errors and does not cache them', async () => {
    let status = 404;
    const f = fakeFetch(() => new Response('no', { status }));
    const o = oracle(f.fetch);
    expect(await o.hash(`${ALLOWED}/a.ts`)).toEqual({ ok: false, error: 'upstream-not-found' });
    status = 500;
    expect(await o.hash(`${ALLOWED}/a.ts`)).toEqual({ ok: false, error: 'upstream-error' });
    expect(f.calls).toHaveLength(2);
  });

  it('answers busy beyond its concurrency, and times out a fetch that does not answer', async () => {
    const f = fakeFetch((_url, init) =>
      new Promise<Response>((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted')))),
    );
    vi.useFakeTimers();
    try {
      const o = oracle(f.fetch, { maxConcurrent: 1, timeoutMs: 50 });
      let outcome: unknown = 'pending';
      const first = o.hash(`${ALLOWED}/a.ts`).then((a) => (outcome = a));
      expect(await o.hash(`${ALLOWED}/b.ts`)).toEqual({ ok: false, error: 'busy' });
      await vi.advanceTimersByTimeAsync(49);
      expect(outcome).toBe('pending');
      await vi.advanceTimersByTimeAsync(1);
      await first;
      expect(outcome).toEqual({ ok: false, error: 'timeout' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps at most cacheEntries hashes', async () => {
    const f = fakeFetch(() => new Response(BODY));
    const o = oracle(f.fetch, { cacheEntries: 2 });
    for (const n of [1, 2, 3, 1]) await o.hash(`${ALLOWED}/${n}.ts`);
    expect(f.calls).toHaveLength(4); // 1 was dropped when 3 came
  });
});

describe('hash oracle route', () => {
  let origin: Server;
  let server: SwarmServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
    if (origin?.listening) await new Promise<void>((r) => origin.close(() => r()));
  });

  it('serves hashes of allow-listed origins only, and exists only when configured', async () => {
    origin = createServer((req, res) => {
      if (req.url === '/v/seg.ts') res.end(Buffer.from(BODY));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
    const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    server = await createSwarmServer({ port: 0, hashOrigins: [originUrl] });
    const ask = async (q: string) => {
      const res = await fetch(`${server!.url}/swarmfetch/v1/hash?${q}`);
      return { status: res.status, body: await res.json() };
    };
    expect(await ask(`url=${encodeURIComponent(`${originUrl}/v/seg.ts`)}`)).toEqual({ status: 200, body: { sha256: sha(BODY), bytes: BODY.length, totalBytes: BODY.length } });
    expect(await ask(`url=${encodeURIComponent(`${server.url}/swarmfetch/v1/health`)}`)).toEqual({ status: 403, body: { error: 'not-allowed' } });
    expect(await ask(`url=${encodeURIComponent(`${originUrl}/nope.ts`)}`)).toEqual({ status: 404, body: { error: 'upstream-not-found' } });
    expect(await ask('url=a&url=b')).toEqual({ status: 400, body: { error: 'bad-request' } });
    await server.close();

    server = await createSwarmServer({ port: 0 });
    expect((await ask(`url=${encodeURIComponent(`${originUrl}/v/seg.ts`)}`)).status).toBe(404);
  });

  it('validates hashOrigins', () => {
    expect(mergeServerOptions({ hashOrigins: ['https://cdn.example/'] }).hashOrigins).toEqual(['https://cdn.example']);
    for (const bad of ['https://cdn.example', ['ftp://x'], ['https://cdn.example/path'], ['nope']]) {
      expect(thrownCode(() => mergeServerOptions({ hashOrigins: bad }))).toBe('config-invalid');
    }
  });
});
