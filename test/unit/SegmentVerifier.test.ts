import { createHash, webcrypto } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HashOracleClient, type OracleAnswer } from '../../client/HashOracleClient';
import { IntegrityManifests, type ManifestAnswer } from '../../client/IntegrityManifests';
import { PlaylistHashes } from '../../client/PlaylistHashes';
import { PLAYLIST_WAIT_MS, SegmentVerifier, type SegmentVerifierDeps } from '../../client/SegmentVerifier';
import { Reassembly } from '../../client/peer/Reassembly';
import { SwarmError } from '../../core/SwarmError';
import { until } from './helpers/until';
import { withHealth } from './helpers/withHealth';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
// the tests that wait on time use the fake clock (vi.useFakeTimers in the test); the others need none
afterEach(() => void vi.useRealTimers());
const digest = (d: Uint8Array) => webcrypto.subtle.digest('SHA-256', d) as Promise<ArrayBuffer>;
const BODY = new Uint8Array(3000).map((_, i) => (i * 13) & 0xff);
const URL_ = 'http://cdn.example/v/seg_1.ts';

function verifier(manifest: ManifestAnswer | null, oracle: OracleAnswer | null, over: Partial<SegmentVerifierDeps> = {}) {
  const asked: string[] = [];
  const v = new SegmentVerifier({
    manifests: manifest ? { lookup: async (url) => (asked.push(`manifest ${url}`), manifest) } : null,
    oracle: oracle
      ? { lookup: async (url, range) => (asked.push(range ? `${url}#${range.start}-${range.end}` : url), oracle), available: async () => 'oracle' as const }
      : null,
    acceptUnverified: true,
    timeoutMs: 1000,
    digest,
    ...over,
  });
  return { v, asked };
}
const check = async (v: SegmentVerifier, key: string, body: Uint8Array<ArrayBuffer>, waitMs = 1000) => {
  try {
    return await v.check(key, new Blob([body]), v.expect(key), waitMs);
  } catch (e) {
    return SwarmError.is(e) ? e.code : `not a SwarmError: ${String(e)}`;
  }
};
/**
 * `check` on the fake clock of a key of a tagged stream that no playlist lists (yet): the lookup waits
 * PLAYLIST_WAIT_MS for the playlist that would, then asks the other sources.
 */
const checkUnlisted = async (v: SegmentVerifier, key: string, body: Uint8Array<ArrayBuffer>) => {
  vi.useFakeTimers();
  const expectation = v.expect(key);
  let known = false;
  void expectation.then(() => (known = true));
  await vi.advanceTimersByTimeAsync(PLAYLIST_WAIT_MS);
  expect(known, `what ${key} must hash to, known once the wait for its playlist is over`).toBe(true);
  try {
    return await v.check(key, new Blob([body]), expectation, 1000);
  } catch (e) {
    return SwarmError.is(e) ? e.code : `not a SwarmError: ${String(e)}`;
  }
};
const listed: ManifestAnswer = { kind: 'covered', file: { bytes: BODY.length, sha256: sha(BODY) }, pieceBytes: 1000 };

describe('SegmentVerifier', () => {
  it('accepts bytes matching the manifest as verified, refuses any other bytes as a mismatch', async () => {
    const { v } = verifier(listed, null);
    expect(await check(v, URL_, BODY)).toBe('manifest');
    const flipped = BODY.slice();
    flipped[100]! ^= 1;
    expect(await check(v, URL_, flipped)).toBe('integrity-mismatch');
    expect(await check(v, URL_, BODY.subarray(0, 2999))).toBe('integrity-mismatch');
    expect(await check(v, URL_, new Uint8Array([...BODY, 0]))).toBe('integrity-mismatch');
  });

  it('checks bytes handed over in memory as it checks a Blob', async () => {
    const { v } = verifier(listed, null);
    expect(await v.check(URL_, BODY, v.expect(URL_), 1000)).toBe('manifest');
    await expect(v.check(URL_, BODY.subarray(1), v.expect(URL_), 1000)).rejects.toMatchObject({ code: 'integrity-mismatch' });
  });

  it('a reassembled transfer gives its bytes contiguous and as a Blob, the same', async () => {
    const r = new Reassembly(BODY.length, 10_000);
    r.push(BODY.subarray(0, 1000));
    r.push(BODY.subarray(1000));
    const { blob, bytes } = r.take('video/mp2t');
    expect(bytes).toEqual(BODY);
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(BODY);
    expect(blob.type).toBe('video/mp2t');
  });

  it('uses the oracle for what no manifest lists', async () => {
    const { v, asked } = verifier({ kind: 'none' }, { kind: 'hash', sha256: sha(BODY), bytes: BODY.length });
    expect(await check(v, URL_, BODY)).toBe('oracle');
    expect(await check(v, URL_, BODY.map((b) => b ^ 1))).toBe('integrity-mismatch');
    expect(asked.filter((a) => !a.startsWith('manifest'))).toEqual([URL_, URL_]);
  });

  it('with no source at all refuses peer bytes by default; accepts whole segments unchecked only with the opt-out', async () => {
    expect(await check(verifier({ kind: 'none' }, { kind: 'not-covered' }, { acceptUnverified: false }).v, URL_, BODY)).toBe('integrity-unavailable');
    expect(await check(verifier(null, null, { acceptUnverified: false }).v, URL_, BODY)).toBe('integrity-unavailable');
    expect(await check(verifier({ kind: 'none' }, { kind: 'not-covered' }).v, URL_, BODY)).toBe(null);
    expect(await check(verifier(null, null).v, URL_, BODY)).toBe(null);
  });

  it('refuses what a covering source cannot vouch for (not listed, oracle failed, manifest failed)', async () => {
    expect(await check(verifier({ kind: 'covered', file: null, pieceBytes: 1000 }, null).v, URL_, BODY)).toBe('integrity-unavailable');
    expect(await check(verifier({ kind: 'none' }, { kind: 'failed' }).v, URL_, BODY)).toBe('integrity-unavailable');
    expect(await check(verifier({ kind: 'failed', code: 'network-error' }, { kind: 'not-covered' }).v, URL_, BODY)).toBe('integrity-unavailable');
  });

  it('checks piece-aligned ranges from piece hashes; refuses ranges nothing can check, even with no source', async () => {
    const file = { bytes: 3000, sha256: sha(BODY), pieces: [sha(BODY.subarray(0, 1000)), sha(BODY.subarray(1000, 2000)), sha(BODY.subarray(2000))] };
    const { v } = verifier({ kind: 'covered', file, pieceBytes: 1000 }, null);
    expect(await check(v, `${URL_}#1000-2999`, BODY.subarray(1000))).toBe('manifest');
    expect(await check(v, `${URL_}#1000-1999`, BODY.subarray(2000, 3000))).toBe('integrity-mismatch');
    expect(await check(v, `${URL_}#500-1499`, BODY.subarray(500, 1500))).toBe('integrity-unavailable');
    expect(await check(verifier({ kind: 'none' }, null).v, `${URL_}#0-999`, BODY.subarray(0, 1000))).toBe('integrity-unavailable');
    expect(await check(verifier({ kind: 'none' }, null).v, `${URL_}#100-`, BODY.subarray(100))).toBe('integrity-unavailable');
    // the oracle hashes ranges too
    const part = BODY.subarray(500, 1500);
    const o = verifier({ kind: 'none' }, { kind: 'hash', sha256: sha(part), bytes: 1000 });
    expect(await check(o.v, `${URL_}#500-1499`, part)).toBe('oracle');
    expect(o.asked).toEqual([`manifest ${URL_}`, `${URL_}#500-1499`]);
  });

  it('asks the playlist first: its hash decides, and neither the manifest nor the oracle is asked', async () => {
    const playlist = new PlaylistHashes();
    playlist.set(URL_, sha(BODY));
    const wrongManifest: ManifestAnswer = { kind: 'covered', file: { bytes: 3000, sha256: sha(BODY.map((b) => b ^ 1)) }, pieceBytes: 1000 };
    const { v, asked } = verifier(wrongManifest, { kind: 'hash', sha256: 'f'.repeat(64), bytes: 3000 }, { playlist });
    expect(await check(v, URL_, BODY)).toBe('playlist');
    expect(asked).toEqual([]);
    // a whole file's hash from the playlist fixes its size too: one byte more or less is a mismatch
    expect(await check(v, URL_, BODY.subarray(1))).toBe('integrity-mismatch');
    expect(await check(v, URL_, new Uint8Array([...BODY, 0]))).toBe('integrity-mismatch');
    // a segment the playlist has no hash for: manifest, then oracle, as before
    const other = `${URL_}x`;
    expect(await checkUnlisted(v, other, BODY)).toBe('integrity-mismatch'); // the (wrong) manifest entry decides
    expect(asked).toEqual([`manifest ${other}`]);
  });

  it('a live request that comes before its playlist reached the page waits for that playlist, not the oracle', async () => {
    const playlist = new PlaylistHashes();
    playlist.set(`${URL_}0`, sha(BODY)); // an earlier segment of the same stream: its playlists carry hashes
    const { v, asked } = verifier({ kind: 'covered', file: null, pieceBytes: 1000 }, { kind: 'hash', sha256: sha(BODY), bytes: 3000 }, { playlist });
    vi.useFakeTimers();
    const expectation = v.expect(URL_);
    const checked = v.check(URL_, BODY, expectation, 1000);
    // the playlist with the segment's hash comes 20 ms (fake) after the request; the 1 s deadline is far
    setTimeout(() => playlist.set(URL_, sha(BODY)), 20);
    await vi.advanceTimersByTimeAsync(20);
    expect(await checked).toBe('playlist');
    expect(asked).toEqual([]);
  });

  it('a wrong hash in the playlist makes a peer\'s bytes fail with integrity-mismatch, whatever the other sources say', async () => {
    const playlist = new PlaylistHashes();
    playlist.set(URL_, sha(BODY.map((b) => b ^ 1)));
    const { v } = verifier(listed, { kind: 'hash', sha256: sha(BODY), bytes: 3000 }, { playlist });
    await expect(v.check(URL_, BODY, v.expect(URL_), 1000)).rejects.toMatchObject({ code: 'integrity-mismatch', details: { from: 'playlist' } });
  });

  it('uses a playlist hash only for the exact key it was given: a byte range of an EXT-X-BYTERANGE segment, or the whole file', async () => {
    const playlist = new PlaylistHashes();
    const part = BODY.subarray(500, 1500);
    playlist.set(`${URL_}#500-1499`, sha(part));
    const { v, asked } = verifier({ kind: 'none' }, { kind: 'not-covered' }, { playlist });
    expect(await check(v, `${URL_}#500-1499`, part)).toBe('playlist');
    expect(await check(v, `${URL_}#500-1499`, BODY.subarray(500, 1499))).toBe('integrity-mismatch'); // size from the range
    // the manifest is only asked for the file's size (a range's Content-Range total); never the oracle
    expect(asked).toEqual([`manifest ${URL_}`, `manifest ${URL_}`]);
    // the whole file, another range, an open range: not what the playlist hashed
    // its playlists carry hashes, so a key they do not list is "not vouched for", never "uncovered" — even with the opt-out
    expect(await checkUnlisted(v, URL_, BODY)).toBe('integrity-unavailable');
    expect(await checkUnlisted(v, `${URL_}#500-1000`, BODY.subarray(500, 1001))).toBe('integrity-unavailable');
    expect(await check(v, `${URL_}#500-`, BODY.subarray(500))).toBe('integrity-unavailable');
    expect(asked.slice(2)).toEqual([`manifest ${URL_}`, URL_, `manifest ${URL_}`, `${URL_}#500-1000`]);
  });

  it('knows a range\'s file size from a trusted source only: the oracle\'s Content-Range total, else the manifest\'s entry', async () => {
    const key = `${URL_}#1000-1999`;
    const oracle: OracleAnswer = { kind: 'hash', sha256: sha(BODY.subarray(1000, 2000)), bytes: 1000, totalBytes: 3000 };
    expect(await verifier({ kind: 'none' }, oracle).v.expect(key)).toMatchObject({ kind: 'parts', from: 'oracle', totalBytes: 3000 });
    const { totalBytes: _, ...noTotal } = oracle;
    const unaligned: ManifestAnswer = { kind: 'covered', file: { bytes: 3000, sha256: sha(BODY) }, pieceBytes: 1048576 };
    expect(await verifier(unaligned, noTotal).v.expect(key)).toMatchObject({ kind: 'parts', from: 'oracle', totalBytes: 3000 });
    expect(await verifier({ kind: 'none' }, noTotal).v.expect(key)).toMatchObject({ kind: 'parts', from: 'oracle', totalBytes: null });
  });

  it('never waits past its deadline for a hash: no answer in time is integrity-unavailable', async () => {
    const v = new SegmentVerifier({
      manifests: { lookup: () => new Promise<ManifestAnswer>(() => {}) }, oracle: null, acceptUnverified: true, timeoutMs: 1000, digest,
    });
    vi.useFakeTimers();
    let outcome: unknown = 'pending';
    const checked = check(v, URL_, BODY, 5).then((o) => (outcome = o));
    await vi.advanceTimersByTimeAsync(4);
    expect(outcome).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    await checked;
    expect(outcome).toBe('integrity-unavailable');
  });
});

/** A fetch over a map of URL → body (404 otherwise), counting requests. */
function siteFetch(files: Record<string, string>) {
  const calls: string[] = [];
  const fetch = (async (url: string | URL | Request) => {
    calls.push(String(url));
    const body = files[String(url)];
    return body === undefined ? new Response('no', { status: 404 }) : new Response(body);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}
const manifestText = (files: Record<string, { bytes: number; sha256: string }>) =>
  JSON.stringify({ swarmfetchIntegrity: 1, algorithm: 'sha256', pieceBytes: 1048576, files });

describe('IntegrityManifests', () => {
  const entry = { bytes: 3000, sha256: sha(BODY) };
  const errors: string[] = [];
  const make = (files: Record<string, string>, over: { manifestUrl?: string | null; lookup?: boolean } = {}) => {
    const f = siteFetch(files);
    const m = new IntegrityManifests({
      fetch: f.fetch, manifestUrl: over.manifestUrl ?? null, lookup: over.lookup ?? true, timeoutMs: 1000,
      onError: (code) => void errors.push(code),
    });
    return { m, calls: f.calls };
  };

  it("finds a stream's manifest in the directory of its first playlist, one URL per stream, once", async () => {
    const { m, calls } = make({ 'http://cdn.example/v/swarmfetch-integrity.json': manifestText({ '180p/seg_1.ts': entry }) });
    m.streamManifest('http://cdn.example/v/master.m3u8');
    m.streamManifest('http://cdn.example/v/180p/index.m3u8'); // a rendition under the stream: same manifest
    expect(await m.lookup('http://cdn.example/v/180p/seg_1.ts?token=x')).toEqual({ kind: 'covered', file: entry, pieceBytes: 1048576 });
    expect(await m.lookup('http://cdn.example/v/180p/seg_2.ts')).toEqual({ kind: 'covered', file: null, pieceBytes: 1048576 });
    expect(calls).toEqual(['http://cdn.example/v/swarmfetch-integrity.json']);
    // a file under no playlist (progressive MP4): its own directory only, once
    expect(await m.lookup('http://cdn.example/w/movie.mp4')).toEqual({ kind: 'none' });
    expect(await m.lookup('http://cdn.example/w/movie.mp4')).toEqual({ kind: 'none' });
    expect(calls.slice(1)).toEqual(['http://cdn.example/w/swarmfetch-integrity.json']);
  });

  it('with an explicit URL, uses only that manifest and only for what is under its directory', async () => {
    const url = 'http://site.example/integrity/all.json';
    const { m, calls } = make({ [url]: manifestText({ 'v/seg_1.ts': entry }) }, { manifestUrl: url });
    expect(await m.lookup('http://site.example/integrity/v/seg_1.ts')).toEqual({ kind: 'covered', file: entry, pieceBytes: 1048576 });
    expect(await m.lookup('http://cdn.example/v/seg_1.ts')).toEqual({ kind: 'none' });
    expect(calls).toEqual([url]);
    expect(await make({}, { lookup: false }).m.lookup('http://cdn.example/v/seg_1.ts')).toEqual({ kind: 'none' });
  });

  it('reports an invalid manifest and says nothing about what it would cover', async () => {
    errors.length = 0;
    const { m } = make({ 'http://cdn.example/v/swarmfetch-integrity.json': '{"swarmfetchIntegrity":1,"algorithm":"sha1"}' });
    expect(await m.lookup('http://cdn.example/v/seg_1.ts')).toEqual({ kind: 'failed', code: 'integrity-manifest-invalid' });
    expect(errors).toEqual(['integrity-manifest-invalid']);
  });
});

describe('HashOracleClient', () => {
  const base = 'http://p2p.example/';
  const client = (answer: (url: string) => Response | Promise<Response>) => {
    const calls: string[] = [];
    const fetch = (async (url: string | URL | Request) => (calls.push(String(url)), answer(String(url)))) as typeof globalThis.fetch;
    return { c: new HashOracleClient({ fetch: withHealth(fetch), baseUrl: base, timeoutMs: 1000 }), calls };
  };
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

  it('asks for a URL (and range) once and remembers the hash', async () => {
    const { c, calls } = client(() => json(200, { sha256: sha(BODY), bytes: 3000 }));
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'hash', sha256: sha(BODY), bytes: 3000 });
    await c.lookup(URL_, null);
    await c.lookup(URL_, { start: 0, end: 99 });
    expect(calls).toEqual([
      `${base}swarmfetch/v1/hash?url=${encodeURIComponent(URL_)}`,
      `${base}swarmfetch/v1/hash?url=${encodeURIComponent(URL_)}&range=0-99`,
    ]);
  });

  it('asks the server in use at each lookup when its base URL is a function (several servers)', async () => {
    const calls: string[] = [];
    const fetch = (async (url: string | URL | Request) => (calls.push(String(url)), json(200, { sha256: sha(BODY), bytes: 3000 }))) as typeof globalThis.fetch;
    let server = 'http://p1.example/';
    const c = new HashOracleClient({ fetch, baseUrl: () => server, timeoutMs: 1000 });
    await c.lookup(URL_, null);
    server = 'http://p2.example/p2p/';
    await c.lookup('http://cdn.example/v/seg_2.ts', null);
    expect(calls.map((u) => u.replace(/\?.*/, ''))).toEqual([
      'http://p1.example/swarmfetch/v1/health', 'http://p1.example/swarmfetch/v1/hash', 'http://p2.example/p2p/swarmfetch/v1/hash',
    ]);
  });

  it('learns from the server\'s /health that it has no oracle, and never asks /hash (no failed request in the console)', async () => {
    const calls: string[] = [];
    const fetch = (async (url: string | URL | Request) => (calls.push(String(url)), json(500, {}))) as typeof globalThis.fetch;
    const c = new HashOracleClient({ fetch: withHealth(fetch, { ok: true, oracle: false }), baseUrl: base, timeoutMs: 1000 });
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'not-covered' });
    expect(await c.lookup('http://cdn.example/v/seg_2.ts', null)).toEqual({ kind: 'not-covered' });
    expect(calls).toEqual([]);
  });

  it('a /health that fails is a failure (backoff), never "no oracle"', async () => {
    let now = 0;
    let healthUp = false;
    const fetch = (async (url: string | URL | Request) => {
      if (String(url).includes('/health')) {
        if (!healthUp) throw new TypeError('Failed to fetch');
        return json(200, { ok: true, oracle: true });
      }
      return json(200, { sha256: sha(BODY), bytes: 3000 });
    }) as typeof globalThis.fetch;
    const c = new HashOracleClient({ fetch, baseUrl: base, timeoutMs: 1000, now: () => now });
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'failed' });
    healthUp = true;
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'failed' }); // within the backoff
    now = 1000;
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'hash', sha256: sha(BODY), bytes: 3000 });
  });

  it('stops asking a server that says it has no oracle (404 no-oracle)', async () => {
    const { c, calls } = client(() => json(404, { error: 'no-oracle' }));
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'not-covered' });
    expect(await c.lookup('http://cdn.example/v/seg_2.ts', null)).toEqual({ kind: 'not-covered' });
    expect(calls).toHaveLength(1);
  });

  it('fails closed on what is not the oracle\'s word: unreachable, 429, 5xx, an HTML error page, an unknown 404', async () => {
    const answers: Array<() => Response> = [
      () => { throw new TypeError('Failed to fetch'); },
      () => json(429, { error: 'rate-exceeded' }),
      () => json(503, { error: 'busy' }),
      () => new Response('<html>502 Bad Gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
      () => new Response('<html>not found</html>', { status: 404 }),
      () => json(200, { sha256: 'zz', bytes: 1 }),
    ];
    for (const answer of answers) {
      let now = 0;
      const calls: string[] = [];
      const fetch = (async (url: string | URL | Request) => (calls.push(String(url)), answer())) as typeof globalThis.fetch;
      const c = new HashOracleClient({ fetch: withHealth(fetch), baseUrl: base, timeoutMs: 1000, now: () => now });
      expect(await c.lookup(URL_, null)).toEqual({ kind: 'failed' });
      now += 999_999; // past any backoff: asked again, never given up
      expect(await c.lookup(URL_, null)).toEqual({ kind: 'failed' });
      expect(calls).toHaveLength(2);
    }
  });

  it('a busy oracle fails that one lookup and is asked again at once for the next (no backoff)', async () => {
    const answers = [json(503, { error: 'busy' }), json(200, { sha256: sha(BODY), bytes: 3000 })];
    const calls: string[] = [];
    const fetch = (async (url: string | URL | Request) => (calls.push(String(url)), answers.shift()!)) as typeof globalThis.fetch;
    const c = new HashOracleClient({ fetch: withHealth(fetch), baseUrl: base, timeoutMs: 1000, now: () => 0 });
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'failed' });
    await Promise.resolve();
    expect(await c.lookup('http://cdn.example/v/seg_2.ts', null)).toEqual({ kind: 'hash', sha256: sha(BODY), bytes: 3000 });
    expect(calls).toHaveLength(2);
  });

  it('sends at most 2 lookups at once (the server\'s share for one client); the others wait their turn', async () => {
    vi.useFakeTimers();
    let inFlight = 0;
    let most = 0;
    const release: Array<() => void> = [];
    const fetch = (async () => {
      most = Math.max(most, ++inFlight);
      await new Promise<void>((r) => release.push(r));
      inFlight--;
      return json(200, { sha256: sha(BODY), bytes: 3000 });
    }) as typeof globalThis.fetch;
    const c = new HashOracleClient({ fetch: withHealth(fetch), baseUrl: base, timeoutMs: 60_000 });
    const answers = Promise.all(Array.from({ length: 5 }, (_, i) => c.lookup(`http://cdn.example/v/seg_${i}.ts`, null)));
    for (let done = 0; done < 5; done++) {
      await until(() => expect(release.length).toBeGreaterThan(0));
      release.shift()!();
    }
    expect((await answers).map((a) => a.kind)).toEqual(['hash', 'hash', 'hash', 'hash', 'hash']);
    expect(most).toBe(2);
  });

  it('after a failure leaves the server alone for a backoff (1 s, doubling), then asks again and trusts a good answer', async () => {
    let now = 0;
    const answers = [json(502, {}), json(502, {}), json(200, { sha256: sha(BODY), bytes: 3000 })];
    const calls: string[] = [];
    const fetch = (async (url: string | URL | Request) => (calls.push(String(url)), answers.shift()!)) as typeof globalThis.fetch;
    const c = new HashOracleClient({ fetch: withHealth(fetch), baseUrl: base, timeoutMs: 1000, now: () => now });
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'failed' });
    await Promise.resolve();
    now = 999;
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'failed' }); // in backoff: no request
    expect(calls).toHaveLength(1);
    now = 1000;
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'failed' }); // asked: failed again, backoff now 2 s
    await Promise.resolve();
    now = 2999;
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'failed' });
    expect(calls).toHaveLength(2);
    now = 3000;
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'hash', sha256: sha(BODY), bytes: 3000 });
    expect(calls).toHaveLength(3);
  });

  it('tells origins outside the allow-list from failures, and does not trust a malformed hash', async () => {
    expect(await client(() => json(403, { error: 'not-allowed' })).c.lookup(URL_, null)).toEqual({ kind: 'not-covered' });
    const answers = [json(200, { sha256: sha(BODY), bytes: 3000 }), json(502, { error: 'upstream-error' }), json(200, { sha256: 'zz', bytes: 1 })];
    const { c } = client(() => answers.shift()!);
    await c.lookup('http://cdn.example/a.ts', null);
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'failed' });
    expect(await c.lookup(URL_, null)).toEqual({ kind: 'failed' }); // failures are not cached; 'zz' is no hash
  });
});
