/**
 * The end-to-end harness's parts that need no browser (they were in test/e2e/smoke.e2e.test.ts): the byte-exact
 * comparison every e2e test relies on must be able to fail, and the demo-server helper must start, wait for
 * health, and free its port. The browser half of the harness self-test: test/harness/ (`npm run test:harness`).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertByteExact, byteExactMismatches, originHashes, type SegmentHash } from '../e2e/harness/segmentHashes';
import { freePort, startDemo } from '../e2e/harness/servers';

const sha = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');
const BASE = 'http://127.0.0.1:1';
const hash = (over: Partial<SegmentHash> & { url: string }): SegmentHash => ({
  status: 200, bytes: 3, sha256: sha('abc'), via: 'xhr', contentRange: null, ...over,
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'swarmfetch-harness-'));
  mkdirSync(join(dir, 'media', 'sub dir'), { recursive: true });
  writeFileSync(join(dir, 'media', 'a.ts'), 'abc');
  writeFileSync(join(dir, 'media', 'sub dir', 'b.m4s'), 'defg');
  writeFileSync(join(dir, 'media', 'index.m3u8'), '#EXTM3U');
  writeFileSync(join(dir, 'media', 'notes.txt'), 'x');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('originHashes', () => {
  it('hashes every segment file under a directory, keyed by URL path (encoded), and nothing else', async () => {
    const origin = await originHashes(join(dir, 'media'), 'http://site/media');
    expect([...origin.entries()].sort()).toEqual([
      ['/media/a.ts', sha('abc')],
      ['/media/sub%20dir/b.m4s', sha('defg')],
    ]);
  });
});

describe('byteExactMismatches / assertByteExact', () => {
  const origin = new Map([['/media/a.ts', sha('abc')], ['/media/b.ts', sha('defg')]]);

  it('passes identical bodies, and a 206 only when it covers the whole file', () => {
    const ok = [
      hash({ url: `${BASE}/media/a.ts?token=1` }),
      hash({ url: `${BASE}/media/b.ts`, status: 206, bytes: 4, sha256: sha('defg'), contentRange: 'bytes 0-3/4', via: 'fetch' }),
    ];
    expect(byteExactMismatches(ok, origin)).toEqual([]);
    expect(() => assertByteExact(ok, origin, { minSegments: 2 })).not.toThrow();
  });

  it('reports each way a body can be wrong, by kind', () => {
    const bad = [
      hash({ url: `${BASE}/media/a.ts`, sha256: sha('abd') }),
      hash({ url: `${BASE}/media/a.ts`, status: 404 }),
      hash({ url: `${BASE}/media/a.ts`, sha256: null, bytes: -1, error: 'crypto.subtle unavailable' }),
      hash({ url: `${BASE}/media/zz.ts` }),
      hash({ url: `${BASE}/media/b.ts`, status: 206, bytes: 2, sha256: sha('de'), contentRange: 'bytes 0-1/4' }),
    ];
    expect(byteExactMismatches(bad, origin).map((m) => m.kind)).toEqual(['hash', 'status', 'not-hashed', 'unknown-url', 'partial']);
    expect(() => assertByteExact(bad, origin)).toThrow(/hash: .*a\.ts[\s\S]*unknown-url: .*zz\.ts/);
  });

  it('fails on too few recorded segments, even when all match', () => {
    expect(() => assertByteExact([hash({ url: `${BASE}/media/a.ts` })], origin, { minSegments: 2 })).toThrow(
      /only 1 segment responses recorded, want ≥ 2/,
    );
    expect(() => assertByteExact([], origin)).toThrow(/only 0 segment responses/);
  });
});

describe('startDemo', () => {
  const FAKE_DEMO = `import { createServer } from 'node:http';
const port = Number(process.env.PORT);
createServer((req, res) => {
  if (req.url === '/swarmfetch/v1/health') res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
  else res.writeHead(404).end();
}).listen(port, '127.0.0.1', () => console.log('fake demo on http://127.0.0.1:' + port));
`;

  it('starts a demo-like server, waits for health, and frees its port on stop', async () => {
    writeFileSync(join(dir, 'fake-demo.mjs'), FAKE_DEMO);
    const port = await freePort();
    const first = await startDemo({ port, script: join(dir, 'fake-demo.mjs') });
    expect(first.url).toBe(`http://127.0.0.1:${port}`);
    expect((await fetch(`${first.url}/swarmfetch/v1/health`)).status).toBe(200);
    expect(first.output()).toContain('http://');
    await first.stop();
    await expect(fetch(`${first.url}/swarmfetch/v1/health`)).rejects.toThrow();
    const again = await startDemo({ port, script: join(dir, 'fake-demo.mjs') });
    await again.stop();
    await expect(startDemo({ port, script: join(dir, 'missing.mjs'), timeoutMs: 5_000 })).rejects.toThrow(/exited/);
  });
});
