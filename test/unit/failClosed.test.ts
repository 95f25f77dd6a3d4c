/**
 * Integrity fails closed: a hash source that fails, answers late or answers garbage is never taken for "no source",
 * so no unchecked peer byte is accepted because of it — even with the acceptUnverifiedPeerBytes opt-out.
 */
import { createHash, webcrypto } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HashOracleClient } from '../../client/HashOracleClient';
import { IntegrityManifests, type ManifestAnswer } from '../../client/IntegrityManifests';
import { IntegrityStatus } from '../../client/IntegrityStatus';
import { PlaylistHashes } from '../../client/PlaylistHashes';
import { PLAYLIST_WAIT_MS, SegmentVerifier } from '../../client/SegmentVerifier';
import { SwarmError } from '../../core/SwarmError';
import { withHealth } from './helpers/withHealth';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const digest = (d: Uint8Array) => webcrypto.subtle.digest('SHA-256', d) as Promise<ArrayBuffer>;
const BODY = new Uint8Array(3000).map((_, i) => (i * 13) & 0xff);
const DIR = 'http://cdn.example/live/';
const SEG = `${DIR}seg_7.ts`;
const BASE = 'http://p2p.example/';

/** The opt-out is on in these tests: what they show holds even then, and so by default. */
function verifierWith(deps: { oracleFetch?: typeof fetch; manifestFetch?: typeof fetch; playlist?: PlaylistHashes; now?: () => number }) {
  const oracle = deps.oracleFetch ? new HashOracleClient({ fetch: deps.oracleFetch, baseUrl: BASE, timeoutMs: 1000, now: deps.now }) : null;
  // (oracleFetch answers the server's /health too: pass it through withHealth for a server that is up)
  const manifests = new IntegrityManifests({
    fetch: deps.manifestFetch ?? (async () => new Response('no', { status: 404 })),
    manifestUrl: null, lookup: true, timeoutMs: 1000, now: deps.now, onError: () => {},
  });
  return new SegmentVerifier({ playlist: deps.playlist ?? new PlaylistHashes(), manifests, oracle, acceptUnverified: true, timeoutMs: 1000, digest });
}
const check = async (v: SegmentVerifier, key: string, body = BODY, waitMs = 1000) => {
  try {
    return await v.check(key, body, v.expect(key), waitMs);
  } catch (e) {
    return SwarmError.is(e) ? e.code : `not a SwarmError: ${String(e)}`;
  }
};
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

afterEach(() => void vi.useRealTimers());

describe('integrity fails closed', () => {
  it('the P2P server unreachable at the first oracle lookup: HTTP, not "no oracle"; the oracle is asked again later', async () => {
    let now = 0;
    let up = false;
    const oracleFetch = (async () => {
      if (!up) throw new TypeError('Failed to fetch');
      return json(200, { sha256: sha(BODY), bytes: BODY.length });
    }) as typeof fetch;
    const v = verifierWith({ oracleFetch, now: () => now });
    expect(await check(v, SEG)).toBe('integrity-unavailable');
    up = true;
    now = 60_000; // past the backoff
    expect(await check(v, SEG)).toBe('oracle');
  });

  it.each([
    ['429', () => json(429, { error: 'rate-exceeded' })],
    ['503', () => json(503, { error: 'busy' })],
    ['500', () => new Response('oops', { status: 500 })],
    ['an HTML 502 from a proxy', () => new Response('<html><h1>502 Bad Gateway</h1></html>', { status: 502 })],
  ])('the oracle answering %s: HTTP for that segment, and the oracle not switched off', async (_, answer) => {
    let now = 0;
    let good = false;
    const oracleFetch = withHealth((async () => (good ? json(200, { sha256: sha(BODY), bytes: BODY.length }) : answer())) as typeof fetch);
    const v = verifierWith({ oracleFetch, now: () => now });
    expect(await check(v, SEG)).toBe('integrity-unavailable');
    good = true;
    now = 60_000;
    expect(await check(v, SEG)).toBe('oracle');
  });

  it('a tagged live playlist that arrives after the segment request: HTTP (unknown), never unchecked', async () => {
    vi.useFakeTimers();
    const playlist = new PlaylistHashes();
    playlist.set(`${DIR}seg_6.ts`, sha(BODY.subarray(1))); // the stream's playlists carry hashes
    const v = verifierWith({ playlist, oracleFetch: withHealth((async () => json(404, { error: 'no-oracle' })) as typeof fetch) });
    const pending = check(v, SEG);
    await vi.advanceTimersByTimeAsync(2000); // its playlist is later than the wait
    expect(await pending).toBe('integrity-unavailable');
    playlist.set(SEG, sha(BODY)); // it comes: the next request is checked with it
    const next = check(v, SEG);
    await vi.advanceTimersByTimeAsync(10);
    expect(await next).toBe('playlist');
  });

  it('the init segment (EXT-X-MAP) of a tagged stream, which no tag covers: HTTP, never unchecked', async () => {
    const playlist = new PlaylistHashes();
    playlist.set(`${DIR}seg_6.m4s`, sha(BODY));
    const v = verifierWith({ playlist, oracleFetch: withHealth((async () => json(404, { error: 'no-oracle' })) as typeof fetch) });
    vi.useFakeTimers();
    let answer: unknown = 'pending';
    void check(v, `${DIR}init.mp4`).then((a) => (answer = a));
    await vi.advanceTimersByTimeAsync(PLAYLIST_WAIT_MS); // a key of a tagged stream waits that long for its playlist
    expect(answer).toBe('integrity-unavailable');
  });

  it('an integrity manifest that fails (500) is retried after a backoff, not at every segment', async () => {
    let now = 0;
    const calls: string[] = [];
    let ok = false;
    const manifestFetch = (async (url: string) => {
      calls.push(String(url));
      return ok
        ? new Response(JSON.stringify({ swarmfetchIntegrity: 1, algorithm: 'sha256', pieceBytes: 1048576, files: { 'seg_7.ts': { bytes: BODY.length, sha256: sha(BODY) } } }))
        : new Response('down', { status: 500 });
    }) as typeof fetch;
    const v = verifierWith({ manifestFetch, now: () => now });
    expect(await check(v, SEG)).toBe('integrity-unavailable');
    ok = true;
    now = 500;
    expect(await check(v, SEG)).toBe('integrity-unavailable'); // within the backoff: no new fetch, still HTTP
    expect(calls).toHaveLength(1);
    now = 1000;
    expect(await check(v, SEG)).toBe('manifest');
    expect(calls).toHaveLength(2);
  });

  it('with no source at all (manifest 404, the server\'s health says it has no oracle) only the opt-out takes bytes unchecked', async () => {
    const noOracle = withHealth((async () => json(500, {})) as typeof fetch, { ok: true, oracle: false });
    expect(await check(verifierWith({ oracleFetch: noOracle }), SEG)).toBe(null);
    const strict = new SegmentVerifier({
      playlist: new PlaylistHashes(), manifests: { lookup: async () => ({ kind: 'none' }) },
      oracle: new HashOracleClient({ fetch: noOracle, baseUrl: BASE, timeoutMs: 1000 }), acceptUnverified: false, timeoutMs: 1000, digest,
    });
    expect(await check(strict, SEG)).toBe('integrity-unavailable');
    expect(strict.refuses(`${DIR}seg_8.ts`)).toBe(true); // known: peers are not asked in that directory
    expect(strict.refuses('http://cdn.example/other/seg_8.ts')).toBe(false); // not known yet
  });
});

describe('SegmentVerifier.probe', () => {
  const make = (over: { manifest?: ManifestAnswer; oracle?: 'oracle' | 'none' | 'failed'; playlist?: PlaylistHashes }) => {
    const seen: string[] = [];
    const hashAsked: string[] = [];
    const v = new SegmentVerifier({
      playlist: over.playlist ?? new PlaylistHashes(),
      manifests: { lookup: async () => over.manifest ?? { kind: 'none' } },
      oracle: over.oracle ? { lookup: async (url) => (hashAsked.push(url), { kind: 'failed' }), available: async () => over.oracle! } : null,
      acceptUnverified: false, timeoutMs: 1000, digest,
      onOutcome: (o) => void seen.push(o.kind),
    });
    return { v, seen, hashAsked };
  };

  it('finds a stream with no source at all without asking any oracle for a hash (no origin copy)', async () => {
    const { v, seen, hashAsked } = make({ oracle: 'none' });
    await v.probe(SEG);
    expect(seen).toEqual(['none']);
    expect(v.refuses(SEG)).toBe(true);
    expect(hashAsked).toEqual([]);
  });

  it('leaves a stream alone that has a source: an oracle on the server, a manifest, tagged playlists', async () => {
    for (const over of [
      { oracle: 'oracle' as const },
      { manifest: { kind: 'covered', file: null, pieceBytes: 1048576 } as ManifestAnswer },
      { playlist: (() => { const p = new PlaylistHashes(); p.set(`${DIR}seg_1.ts`, sha(BODY)); return p; })() },
    ]) {
      const { v, seen, hashAsked } = make(over);
      await v.probe(SEG);
      expect(seen).toEqual([]);
      expect(v.refuses(SEG)).toBe(false);
      expect(hashAsked).toEqual([]);
    }
  });

  it('says a source is unavailable, never absent, when the server cannot be asked', async () => {
    const { v, seen } = make({ oracle: 'failed' });
    await v.probe(SEG);
    expect(seen).toEqual(['unknown']);
    expect(v.refuses(SEG)).toBe(false);
  });
});

describe('IntegrityStatus', () => {
  it('warns once, names the fix, and says why in stats', () => {
    const warnings: string[] = [];
    const s = new IntegrityStatus(false, (m) => warnings.push(m));
    expect(s.stats()).toEqual({ policy: 'verified-only', state: 'pending', reason: null, unavailableSegments: 0 });
    s.outcome({ kind: 'none', key: `${DIR}seg_1.ts` });
    s.outcome({ kind: 'none', key: `${DIR}seg_2.ts` });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no hash source covers http:\/\/cdn\.example\/live\/.*EXT-X-SWARMFETCH-SHA256.*swarmfetch-server hash.*--hash-origin/);
    expect(s.stats()).toMatchObject({ state: 'no-source', reason: expect.stringContaining('come over HTTP') });
    s.outcome({ kind: 'unknown', key: SEG, why: 'hash oracle lookup failed' });
    s.refused();
    expect(s.stats()).toEqual({ policy: 'verified-only', state: 'unavailable', reason: 'hash oracle lookup failed', unavailableSegments: 1 });
    s.outcome({ kind: 'hash', key: SEG, from: 'playlist' });
    expect(s.stats()).toMatchObject({ state: 'ok', reason: null });
  });
});
