/**
 * The segment-id hook end to end in the page agent (issue 12 §3): two pages whose segment URLs differ by a per-viewer
 * path token and a CDN host — each with its own store, PeerPool and Agent, linked through the fake PeerJS peers and a
 * fake tracker — meet in one swarm and exchange a segment by its shared key; each checks peer bytes against the hash
 * its own playlist gives for its own URL. Without the hook they never meet. Fake timers throughout.
 */
import { createHash, webcrypto } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Agent } from '../../client/Agent';
import { electFetcher } from '../../client/electFetcher';
import { InflightDownloads } from '../../client/InflightDownloads';
import { PeerPool } from '../../client/PeerPool';
import { Prefetcher } from '../../client/Prefetcher';
import { PlaylistHashes } from '../../client/PlaylistHashes';
import { SegmentStore } from '../../client/SegmentStore';
import { SegmentVerifier } from '../../client/SegmentVerifier';
import type { TrackerClient } from '../../client/TrackerClient';
import type { SwarmfetchConfig } from '../../core/config';
import { segmentKey, swarmId, type SegmentAnswer } from '../../core/contract';
import { mergeConfig } from '../../core/mergeConfig';
import { FakeConnection } from './fakes/FakeConnection';
import { FakePeer } from './fakes/FakePeer';

const SITE = 'http://site';
const BODY = new Uint8Array(40_000).map((_, i) => (i * 7) & 0xff);
const OTHER = BODY.map((b) => b ^ 0x55);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const dir = (viewer: string, host: string) => `http://${host}/tok-${viewer}/video/360p/`;

beforeEach(() => void vi.useFakeTimers());
const cleanup: Array<() => void> = [];
afterEach(() => {
  cleanup.splice(0).forEach((f) => f());
  vi.useRealTimers();
});

/** A fake tracker and signalling server for several pages: who joined which swarm, and dials delivered. */
function network() {
  const swarms = new Map<string, Set<string>>();
  const peers = new Map<string, FakePeer>();
  const joins: Array<[string, string]> = [];
  const tracker = (): TrackerClient => ({
    join: async (id: string, _token: string, swarm: string) => {
      joins.push([id, swarm]);
      const members = swarms.get(swarm) ?? new Set<string>();
      swarms.set(swarm, members.add(id));
      return [...members].filter((m) => m !== id);
    },
    leave: async () => {},
  }) as unknown as TrackerClient;
  const peerFor = (id: string) => {
    const peer = new FakePeer((remote) => {
      const [toRemote, toMe] = FakeConnection.pair(id, remote);
      peers.get(remote)?.emit('connection', toMe);
      setTimeout(() => toRemote.openBoth(), 1);
      return toRemote;
    });
    peer.id = id;
    peers.set(id, peer);
    return peer;
  };
  return { tracker, peerFor, joins };
}

/** One page: its player's playlist (with its segment's hash) is at `http://<host>/tok-<viewer>/video/360p/`. */
function page(net: ReturnType<typeof network>, viewer: string, host: string, options: Partial<SwarmfetchConfig>, hash = sha(BODY)) {
  const config = mergeConfig({ trackerRefreshMs: 600_000, iceServers: [], ...options });
  const errors: Array<{ code: string; message: string }> = [];
  const banned: string[] = [];
  const store = new SegmentStore(10_000_000, (evicted) => pool.announce('lost', evicted));
  const peer = net.peerFor(viewer);
  const pool: PeerPool = new PeerPool({
    config, createPeer: () => peer, tracker: net.tracker(), store,
    provide: (key, waitMs) => agent.provide(key, waitMs),
    events: { peer: () => {}, ready: () => {}, upload: () => {}, error: (e) => errors.push(e) },
    now: () => Date.now(), random: () => 0.5,
  });
  const playlistHashes = new PlaylistHashes();
  const verifier = new SegmentVerifier({
    playlist: playlistHashes, manifests: null, oracle: null, acceptUnverified: false, timeoutMs: 1000,
    digest: (d) => webcrypto.subtle.digest('SHA-256', d) as Promise<ArrayBuffer>,
  });
  const agent: Agent = new Agent({
    config, store, pool,
    onReport: () => {}, onStored: (s) => pool.announce('have', [s]),
    bufferAhead: () => 20, seed: () => {}, canSeed: () => false, now: () => Date.now(),
    verifier, playlistHashes, ban: (id, reason) => (banned.push(`${id}:${reason}`), pool.ban(id, reason)),
  });
  cleanup.push(() => (agent.destroy(), pool.destroy()));
  pool.start();
  peer.emit('open', viewer);
  const url = `${dir(viewer, host)}seg_1.ts`;
  const key = segmentKey(url)!;
  const swarm = swarmId(SITE, url)!;
  // the player's media playlist passes by: its segment, with the hash this viewer trusts for its own URL
  agent.manifestText({
    text: `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-SWARMFETCH-SHA256:${hash}\n#EXTINF:2,\nseg_1.ts?sig=${viewer}\n`,
    url: `${dir(viewer, host)}index.m3u8`, contentType: 'application/vnd.apple.mpegurl', siteOrigin: SITE,
  });
  return {
    agent, store, pool, errors, banned, key, swarm,
    /** The player's own HTTP download of the segment, handed to the agent by the worker. */
    download: (bytes: Uint8Array<ArrayBuffer>) =>
      agent.putSegment({ key, swarm, url, body: new Blob([bytes]), totalBytes: bytes.length, contentType: 'video/mp2t' }),
    get: (): Promise<SegmentAnswer> => agent.getSegment({ key, wholeKey: null, range: null, swarm, url, budgetMs: 3000 }),
  };
}

async function settle<T>(p: Promise<T>): Promise<T> {
  await vi.advanceTimersByTimeAsync(3500);
  return p;
}

const bytesOf = async (a: SegmentAnswer) => (a.kind === 'hit' ? new Uint8Array(await a.body.arrayBuffer()) : null);

describe('two pages whose segment URLs carry different per-viewer path tokens and CDN hosts', () => {
  it('with segmentIdFrom, meet in one swarm and exchange the segment by its shared key, checked by the receiver\'s own hash', async () => {
    const net = network();
    const a = page(net, 'alice', 'cdn1', { segmentIdFrom: '/video/' });
    a.download(BODY);
    const b = page(net, 'bob', 'cdn2', { segmentIdFrom: '/video/' });
    await vi.advanceTimersByTimeAsync(50); // tracker answers, dial, handshake, A's haves
    expect(a.key).not.toBe(b.key);
    expect(new Set(net.joins.map(([, s]) => s))).toEqual(new Set([`${SITE}|/video/360p/`]));
    expect(b.pool.connectedCount).toBe(1);

    const got = await settle(b.get());
    expect(got.kind === 'hit' && got.source).toBe('p2p');
    expect(await bytesOf(got)).toEqual(BODY);
    // B stores it under its own URL, checked against its own playlist's hash for that URL
    expect(b.store.get(b.key)?.verifiedBy).toBe('playlist');
    expect(b.store.get(b.key)?.peerId).toBe('alice');
    expect(a.pool.peerStats()[0]!.uploadedBytes).toBe(BODY.length);
    expect([...a.errors, ...b.errors, ...a.banned, ...b.banned]).toEqual([]);

    // …and B now serves it on, by the same shared key, to a third viewer on yet another token and host
    const c = page(net, 'carol', 'cdn3', { segmentIdFrom: '/video/' });
    await vi.advanceTimersByTimeAsync(50);
    a.store.clear(); // only B holds it now
    const fromB = await settle(c.get());
    expect(await bytesOf(fromB)).toEqual(BODY);
    expect(c.store.get(c.key)?.peerId).toBe('bob');
  });

  it('with a segmentId function, the same', async () => {
    const net = network();
    const segmentId = (url: string) => url.replace(/^http:\/\/[^/]+\/tok-[^/]+/, '');
    const a = page(net, 'alice', 'cdn1', { segmentId });
    a.download(BODY);
    const b = page(net, 'bob', 'cdn2', { segmentId });
    await vi.advanceTimersByTimeAsync(50);
    const got = await settle(b.get());
    expect(await bytesOf(got)).toEqual(BODY);
    expect(net.joins.every(([, s]) => s === `${SITE}|/video/360p/`)).toBe(true);
  });

  it('without it, they are in different swarms and never exchange a byte', async () => {
    const net = network();
    const a = page(net, 'alice', 'cdn1', {});
    a.download(BODY);
    const b = page(net, 'bob', 'cdn2', {});
    await vi.advanceTimersByTimeAsync(50);
    expect(net.joins).toEqual([['alice', a.swarm], ['bob', b.swarm]]);
    expect(b.pool.connectedCount).toBe(0);
    expect((await settle(b.get())).kind).toBe('miss');
    expect(a.pool.peerStats()).toEqual([]);
  });

  it('fail-closed still: bytes of another resource announced under the same id fail the receiver\'s own hash (integrity-mismatch, sender banned)', async () => {
    const net = network();
    // A's hook maps a different resource onto the id; A's own hash for its own URL vouches for its own bytes
    const a = page(net, 'alice', 'cdn1', { segmentIdFrom: '/video/' }, sha(OTHER));
    a.download(OTHER);
    const b = page(net, 'bob', 'cdn2', { segmentIdFrom: '/video/' });
    await vi.advanceTimersByTimeAsync(50);
    const got = await settle(b.get());
    expect(got).toEqual({ kind: 'miss', reason: 'integrity-mismatch' });
    expect(b.store.has(b.key)).toBe(false);
    expect(b.banned).toEqual(['alice:integrity-mismatch']);
  });

  it('fail-closed still: a receiver with no trusted hash for its own URL takes nothing from peers', async () => {
    const net = network();
    const a = page(net, 'alice', 'cdn1', { segmentIdFrom: '/video/' });
    a.download(BODY);
    // B's playlist carries no hash (the tag is for another segment): no source covers B's URL
    const b = page(net, 'bob', 'cdn2', { segmentIdFrom: '/video/' }, '');
    await vi.advanceTimersByTimeAsync(50);
    const got = await settle(b.get());
    expect(got).toEqual({ kind: 'miss', reason: 'integrity-unavailable' });
    expect(b.store.has(b.key)).toBe(false);
    expect(b.banned).toEqual([]); // the peer did nothing wrong
  });

  it('a hook that throws: default keys (no sharing across tokens), one config-invalid error, playback unharmed', async () => {
    const net = network();
    const segmentId = () => {
      throw new Error('no id');
    };
    const a = page(net, 'alice', 'cdn1', { segmentId });
    a.download(BODY);
    const b = page(net, 'bob', 'cdn2', { segmentId });
    await vi.advanceTimersByTimeAsync(50);
    expect((await settle(b.get())).kind).toBe('miss');
    expect(net.joins).toEqual([['alice', a.swarm], ['bob', b.swarm]]);
    for (const p of [a, b]) expect(p.errors.map((e) => e.code)).toEqual(['config-invalid']);
  });
});

describe('the elected seeder', () => {
  it('is elected by the shared key, so viewers with different local keys elect the same one', () => {
    const shared = '/video/360p/seg_1.ts';
    // a peer against which "me" is elected under the shared key, and a local key under which it would not be
    const other = Array.from({ length: 200 }, (_, i) => `peer${i}`).find((p) => electFetcher(shared, ['me', p]) === 'me')!;
    const local = Array.from({ length: 200 }, (_, i) => `http://cdn/tok-${i}/video/360p/seg_1.ts`)
      .find((k) => electFetcher(k, ['me', other]) !== 'me')!;
    expect(local).toBeDefined();
    const seeded: string[] = [];
    const prefetcher = new Prefetcher({
      config: { urgentBufferSec: 4, prefetchAheadSec: 30, p2pTimeoutMs: 1000, storeMaxBytes: 64 * 1024 * 1024 },
      store: { has: () => false },
      pool: {
        peerId: 'me', openPeerIds: () => [other], linkFor: () => undefined, fetchersOf: () => [], announce: () => {},
        sharedKey: (k: string) => (k === local ? shared : k),
      },
      playlists: {
        activeSwarms: () => ['http://site|http://cdn/v/'],
        upcoming: () => [{ key: local, url: local, durationSec: 2, seq: 1 }],
      } as never,
      inflight: new InflightDownloads(15_000),
      fromPeer: () => Promise.reject(new Error('no peer')),
      refuses: () => false,
      bufferAhead: () => 20,
      seed: (url) => void seeded.push(url),
      canSeed: () => true,
    });
    prefetcher.tick();
    expect(seeded).toEqual([local]);
  });
});
