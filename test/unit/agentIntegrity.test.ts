/** The agent checks peer bytes before they reach the store or the worker; a lying peer is banned, a dripping one too. */
import { webcrypto, createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Agent } from '../../client/Agent';
import type { PeerLink, Received } from '../../client/PeerLink';
import { SegmentStore } from '../../client/SegmentStore';
import { PlaylistHashes } from '../../client/PlaylistHashes';
import { SegmentVerifier } from '../../client/SegmentVerifier';
import type { ManifestAnswer } from '../../client/IntegrityManifests';
import type { SegmentQuery } from '../../core/contract';
import { mergeConfig } from '../../core/mergeConfig';
import { SwarmError } from '../../core/SwarmError';

const SWARM = 'http://site|http://cdn/v/';
const KEY = 'http://cdn/v/seg1.ts';
const BODY = new Uint8Array(2000).map((_, i) => (i * 31) & 0xff);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// The agent's clock and timers (deadlines, the probe, download TTLs) are fake: nothing here may depend on how fast
// the machine is. Nobody is elected to fetch and hashing is real I/O, so the answers come without the clock moving.
beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

function setup(
  answers: Array<(key: string, signal?: AbortSignal) => Promise<Received>>, playlist = new PlaylistHashes(), bufferAheadSec = 20,
  manifest: () => Promise<ManifestAnswer> = async () => ({ kind: 'covered', file: { bytes: BODY.length, sha256: sha(BODY) }, pieceBytes: 1048576 }),
) {
  const store = new SegmentStore(10_000_000);
  const banned: Array<[string, string]> = [];
  const integrity: Array<{ code: string; peerId: string }> = [];
  const asked: string[] = [];
  const links = answers.map((answer, i) => ({
    remoteId: `peer${i}`,
    throughput: null,
    request: (key: string, _t: number, _w: number, signal?: AbortSignal) => (asked.push(key), answer(key, signal)),
  }));
  const pool = {
    peerId: 'me',
    connecting: false,
    join: () => {},
    linkFor: (key: string, exclude: ReadonlySet<string> = new Set()) =>
      (key.startsWith(KEY) ? links.find((l) => !exclude.has(l.remoteId) && !banned.some(([id]) => id === l.remoteId)) : undefined) as unknown as PeerLink | undefined,
    fetchersOf: () => [],
    openPeerIds: () => [], // nobody elected to fetch: a miss is answered at once
    announce: () => {},
  };
  const verifier = new SegmentVerifier({
    playlist,
    manifests: { lookup: manifest },
    oracle: null,
    acceptUnverified: false,
    timeoutMs: 1000,
    digest: (d) => webcrypto.subtle.digest('SHA-256', d) as Promise<ArrayBuffer>,
  });
  const agent = new Agent({
    config: mergeConfig({}),
    store, pool, onReport: () => {}, onStored: () => {},
    bufferAhead: () => bufferAheadSec,
    seed: () => {},
    canSeed: () => false,
    now: () => Date.now(), // the fake clock
    verifier,
    playlistHashes: playlist,
    ban: (peerId, reason) => void banned.push([peerId, reason]),
    onIntegrity: (e) => void integrity.push({ code: e.code, peerId: e.peerId }),
  });
  return { agent, store, banned, integrity, asked };
}
const query = (): SegmentQuery => ({ key: KEY, wholeKey: null, range: null, swarm: SWARM, url: KEY, budgetMs: 1500 });
const received = (b: Uint8Array<ArrayBuffer>): Received => ({ body: new Blob([b]), totalBytes: null, contentType: 'video/mp2t' });

describe('Agent with a verifier', () => {
  it('stores and answers verified peer bytes', async () => {
    const { agent, store } = setup([async () => received(BODY)]);
    const a = await agent.getSegment(query());
    expect(a.kind).toBe('hit');
    expect(store.get(KEY)?.verified).toBe(true);
    expect(store.get(KEY)?.verifiedBy).toBe('manifest');
  });

  /** The worker passes the player's media playlist, with each segment's hash in it. */
  const playlistText = (hash: string) => ({
    text: `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-SWARMFETCH-SHA256:${hash}\n#EXTINF:2,\nseg1.ts?token=1\n`,
    url: 'http://cdn/v/index.m3u8', contentType: 'application/vnd.apple.mpegurl', siteOrigin: 'http://site',
  });

  it('learns segment hashes from the playlists it reads and verifies peer bytes with them first', async () => {
    const playlist = new PlaylistHashes();
    const { agent, store } = setup([async () => received(BODY)], playlist);
    agent.manifestText(playlistText(sha(BODY)));
    expect(playlist.get(KEY)).toBe(sha(BODY));
    expect((await agent.getSegment(query())).kind).toBe('hit');
    expect(store.get(KEY)?.verifiedBy).toBe('playlist');
  });

  it('a wrong hash in the playlist fails the peer\'s bytes (integrity-mismatch, peer banned) though the manifest would pass them', async () => {
    const { agent, store, banned, integrity } = setup([async () => received(BODY)]);
    agent.manifestText(playlistText(sha(BODY.subarray(1))));
    expect(await agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'integrity-mismatch' });
    expect(store.size).toBe(0);
    expect(banned).toEqual([['peer0', 'integrity-mismatch']]);
    expect(integrity).toEqual([{ code: 'integrity-mismatch', peerId: 'peer0' }]);
  });

  it('drops wrong bytes before the store, bans the sender, reports it, and takes the next peer', async () => {
    const wrong = BODY.slice();
    wrong[7]! ^= 0x80;
    const { agent, store, banned, integrity } = setup([async () => received(wrong), async () => received(BODY)]);
    const a = await agent.getSegment(query());
    expect(banned).toEqual([['peer0', 'integrity-mismatch']]);
    expect(integrity).toEqual([{ code: 'integrity-mismatch', peerId: 'peer0' }]);
    expect(a.kind === 'hit' && new Uint8Array(await a.body.arrayBuffer())).toEqual(BODY);
    expect(store.get(KEY)?.peerId).toBe('peer1');
  });

  it('answers a miss (the worker fetches over HTTP) when the only peer lies; nothing is stored', async () => {
    const { agent, store, banned } = setup([async () => received(BODY.subarray(1))]);
    const a = await agent.getSegment(query());
    expect(a).toEqual({ kind: 'miss', reason: 'integrity-mismatch' });
    expect(store.size).toBe(0);
    expect(banned.map(([, r]) => r)).toEqual(['integrity-mismatch']);
  });

  it('bans a peer whose transfers keep starting and never finish in time (a drip)', async () => {
    const drip = async (): Promise<Received> => {
      throw new SwarmError('peer-timeout', 'slow', { received: 64 });
    };
    const { agent, banned } = setup([drip]);
    for (let i = 0; i < 3; i++) {
      expect((await agent.getSegment(query())).kind).toBe('miss');
      // the worker's HTTP download of it ended (here: with nothing to share), so the next ask starts afresh
      agent.report({ url: KEY, key: KEY, source: 'http', peerId: null, bytes: 0, ms: 1, fallback: 'peer-timeout', error: 'network-error' });
    }
    expect(banned).toEqual([['peer0', 'peer-stall']]);
  });

  it('does not count short tries that ended on our own deadline (a starving player gives a peer < 1 s)', async () => {
    const drip = async (): Promise<Received> => {
      throw new SwarmError('peer-timeout', 'slow', { received: 64 });
    };
    const { agent, banned } = setup([drip], undefined, 0);
    for (let i = 0; i < 4; i++) {
      expect((await agent.getSegment(query())).kind).toBe('miss');
      agent.report({ url: KEY, key: KEY, source: 'http', peerId: null, bytes: 0, ms: 1, fallback: 'peer-timeout', error: 'network-error' });
    }
    expect(banned).toEqual([]);
  });

  it('does not ban a peer that never started answering (only slow, not lying)', async () => {
    const silent = async (): Promise<Received> => {
      throw new SwarmError('peer-timeout', 'slow', { received: -1 });
    };
    const { agent, banned } = setup([silent]);
    for (let i = 0; i < 4; i++) {
      // from the second ask on, the agent waits (its whole budget, on the fake clock) for the HTTP download the
      // first miss started, which never reports back here
      const asked = agent.getSegment(query());
      await vi.advanceTimersByTimeAsync(query().budgetMs);
      expect((await asked).kind).toBe('miss');
    }
    expect(banned).toEqual([]);
  });

  it('fails closed: with no hash source a peer\'s bytes are refused (HTTP), the peer not blamed, and peers are then not asked', async () => {
    const { agent, store, banned, integrity, asked } = setup([async () => received(BODY)], undefined, 20, async () => ({ kind: 'none' }));
    expect(await agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'integrity-unavailable' });
    expect(store.size).toBe(0);
    expect(banned).toEqual([]);
    expect(integrity).toEqual([{ code: 'integrity-unavailable', peerId: 'peer0' }]);
    agent.report({ url: KEY, key: KEY, source: 'http', peerId: null, bytes: 0, ms: 1, fallback: 'integrity-unavailable', error: null });
    // the directory is known to have no source: the next request goes to HTTP without asking anybody
    expect(await agent.getSegment({ ...query(), key: `${KEY}x`, url: `${KEY}x` })).toEqual({ kind: 'miss', reason: 'integrity-unavailable' });
    expect(asked).toEqual([KEY]);
  });

  it('cancels a transfer as soon as the lookup says its bytes could not be taken (a source that failed), without a strike', async () => {
    let aborted: unknown = null;
    const never = (_key: string, signal?: AbortSignal) =>
      new Promise<Received>((_, reject) => signal?.addEventListener('abort', () => reject((aborted = signal.reason))));
    const { agent, banned } = setup([never], undefined, 20, async () => ({ kind: 'failed', code: 'network-error' }));
    for (let i = 0; i < 4; i++) {
      expect(await agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'integrity-unavailable' });
      agent.report({ url: KEY, key: KEY, source: 'http', peerId: null, bytes: 0, ms: 1, fallback: 'integrity-unavailable', error: null });
    }
    expect(SwarmError.is(aborted, 'integrity-unavailable')).toBe(true);
    expect(banned).toEqual([]);
  });

  it('never passes a peer\'s contentType on; a whole segment\'s size is its checked body, a lying totalBytes bans the peer', async () => {
    const liar = async (): Promise<Received> => ({ body: new Blob([BODY], { type: 'text/html' }), totalBytes: null, contentType: 'text/html' });
    const { agent, store } = setup([liar]);
    const a = await agent.getSegment(query());
    expect(a.kind === 'hit' && [a.contentType, a.totalBytes, a.body.type]).toEqual(['video/mp2t', BODY.length, 'video/mp2t']);
    expect(store.get(KEY)?.contentType).toBe('video/mp2t');

    const big = async (): Promise<Received> => ({ body: new Blob([BODY]), totalBytes: 9_999_999, contentType: 'video/mp2t' });
    const b = setup([big]);
    expect(await b.agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'integrity-mismatch' });
    expect(b.banned).toEqual([['peer0', 'integrity-mismatch']]);
    expect(b.store.size).toBe(0);
  });

  it('takes a piece\'s file size from the manifest, its content type from this page\'s own HTTP; a lying total bans', async () => {
    // a 3-piece file: the piece is checked against the manifest's piece hash; its file size is the manifest's
    const FILE = new Uint8Array(2500).map((_, i) => (i * 7) & 0xff);
    const manifest = async (): Promise<ManifestAnswer> => ({
      kind: 'covered', pieceBytes: 1000,
      file: { bytes: 2500, sha256: sha(FILE), pieces: [sha(FILE.subarray(0, 1000)), sha(FILE.subarray(1000, 2000)), sha(FILE.subarray(2000))] },
    });
    const piece = `${KEY}#1000-1999`;
    const pq: SegmentQuery = { key: piece, wholeKey: null, range: null, swarm: SWARM, url: KEY, budgetMs: 1500 };
    const honest = async (): Promise<Received> => ({ body: new Blob([FILE.subarray(1000, 2000)]), totalBytes: 2500, contentType: 'text/html' });
    const a = setup([honest], undefined, 20, manifest);
    // this page's own HTTP got another file of the directory with the origin's type
    a.agent.putSegment({ key: 'http://cdn/v/seg0.ts', swarm: SWARM, url: 'http://cdn/v/seg0.ts', body: new Blob([new Uint8Array(10)]), totalBytes: 10, contentType: 'video/MP2T' });
    const got = await a.agent.getSegment(pq);
    expect(got.kind === 'hit' && [got.totalBytes, got.contentType]).toEqual([2500, 'video/MP2T']);

    const lying = async (): Promise<Received> => ({ body: new Blob([FILE.subarray(1000, 2000)]), totalBytes: 1_000_000, contentType: 'video/mp4' });
    const b = setup([lying], undefined, 20, manifest);
    expect(await b.agent.getSegment(pq)).toEqual({ kind: 'miss', reason: 'integrity-mismatch' });
    expect(b.banned).toEqual([['peer0', 'integrity-mismatch']]);
  });
});
