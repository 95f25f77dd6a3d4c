/** The cluster's parts on their own: what it reads from Redis and other nodes, its options, and its swarm bounds in a real Redis. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterPeers } from '../../server/cluster/ClusterPeers';
import { ClusterTracker } from '../../server/cluster/ClusterTracker';
import { clusterKeys, formatPeerEntry, parsePeerEntry, tokenHash, tokenMatches } from '../../server/cluster/clusterKeys';
import { parseClusterMessage } from '../../server/cluster/clusterMessage';
import { RedisLink } from '../../server/cluster/RedisLink';
import { SharedRateBudget } from '../../server/cluster/SharedRateBudget';
import { mergeServerOptions } from '../../server/mergeServerOptions';
import { parseCliArgs } from '../../server/parseCliArgs';
import { Tracker } from '../../server/Tracker';
import { startRedis, type TestRedis } from '../support/redisServer';
import { thrownCode } from './helpers/thrownCode';

describe('what a node reads from Redis and from other nodes', () => {
  it('reads a peer entry, and nothing malformed', () => {
    const hash = tokenHash('secret');
    expect(parsePeerEntry(formatPeerEntry({ node: 'node-1', tokenHash: hash }))).toEqual({ node: 'node-1', tokenHash: hash });
    for (const bad of [null, 42, '', 'node-1', `node-1 ${hash} x`, `node 1 ${hash}`, 'node-1 abc', `${'n'.repeat(65)} ${hash}`]) {
      expect(parsePeerEntry(bad)).toBeNull();
    }
    expect(tokenMatches('secret', hash)).toBe(true);
    expect(tokenMatches('secreT', hash)).toBe(false);
    expect(tokenMatches('secret', 'abcd')).toBe(false);
  });

  it('reads node-to-node messages of its version only, and only peer-to-peer signalling types', () => {
    const signal = { v: 1, kind: 'signal', type: 'OFFER', src: 'a', dst: 'b', payload: { sdp: 'x' } };
    expect(parseClusterMessage(JSON.stringify(signal))).toEqual(signal);
    expect(parseClusterMessage(JSON.stringify({ v: 1, kind: 'evict', peer: 'a' }))).toEqual({ v: 1, kind: 'evict', peer: 'a' });
    for (const bad of [
      'not json', '[]', '{}', JSON.stringify({ ...signal, v: 2 }), JSON.stringify({ ...signal, type: 'OPEN' }),
      JSON.stringify({ ...signal, type: 'ID-TAKEN' }), JSON.stringify({ ...signal, src: '' }), JSON.stringify({ ...signal, dst: 'x'.repeat(129) }),
      JSON.stringify({ v: 1, kind: 'evict' }), JSON.stringify({ v: 1, kind: 'other', peer: 'a' }),
      JSON.stringify({ ...signal, payload: 'y'.repeat(1024 * 1024 + 5000) }),
    ]) {
      expect(parseClusterMessage(bad)).toBeNull();
    }
  });
});

describe('cluster options', () => {
  it('takes a Redis URL, prefix, node id and peer TTL, and refuses bad ones without echoing a password', () => {
    const o = mergeServerOptions({ redisUrl: 'redis://127.0.0.1:6379/2', redisPrefix: 'site-a:', nodeId: 'p2p-1.eu', peerTtlMs: 1 });
    expect(o).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379/2', redisPrefix: 'site-a:', nodeId: 'p2p-1.eu', peerTtlMs: 3000 });
    expect(mergeServerOptions({}).redisUrl).toBe('');
    for (const redisUrl of ['http://127.0.0.1:6379', 'redis://', 'localhost:6379', 7]) {
      expect(thrownCode(() => mergeServerOptions({ redisUrl }))).toBe('config-invalid');
    }
    try {
      mergeServerOptions({ redisUrl: 'redis-ish://user:hunter2@h:1' });
      throw new Error('accepted');
    } catch (err) {
      expect(String((err as Error).message) + JSON.stringify((err as { details?: unknown }).details)).not.toContain('hunter2');
    }
    for (const nodeId of ['a b', 'x'.repeat(65), 'é', 3]) expect(thrownCode(() => mergeServerOptions({ nodeId }))).toBe('config-invalid');
    expect(thrownCode(() => mergeServerOptions({ redisPrefix: 'with space' }))).toBe('config-invalid');
  });

  it('reads them from the command line, the URL also from SWARMFETCH_REDIS_URL', () => {
    expect(parseCliArgs(['server', '--redis-url', 'redis://r:6379', '--node-id=n1', '--redis-prefix', 'p:', '--peer-ttl-ms', '9000'], {})).toEqual({
      command: 'server', options: { redisUrl: 'redis://r:6379', nodeId: 'n1', redisPrefix: 'p:', peerTtlMs: 9000 },
    });
    expect(parseCliArgs(['server'], { SWARMFETCH_REDIS_URL: 'redis://env:6379' })).toEqual({ command: 'server', options: { redisUrl: 'redis://env:6379' } });
    expect(parseCliArgs(['server', '--redis-url', 'redis://flag:1'], { SWARMFETCH_REDIS_URL: 'redis://env:6379' })).toEqual({
      command: 'server', options: { redisUrl: 'redis://flag:1' },
    });
  });
});

describe('the cluster tracker in a real Redis', () => {
  let redis: TestRedis;
  let link: RedisLink;
  beforeAll(async () => {
    redis = await startRedis();
    link = new RedisLink({ url: redis.url, timeoutMs: 2000, log: () => {} });
    link.start();
    const end = Date.now() + 10_000;
    while (link.state !== 'up' && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  });
  afterAll(async () => {
    link.close();
    await redis.stop();
  });

  function make(prefix: string, maxSwarmsPerPeer: number) {
    const keys = clusterKeys(prefix);
    const peers = new ClusterPeers({ link, keys, nodeId: 'n1', peerTtlMs: 10_000, onBadData: () => {} });
    const tracker = new ClusterTracker({ local: new Tracker({ maxSwarmsPerPeer }), link, keys, maxSwarmsPerPeer });
    return { keys, peers, tracker };
  }

  it('keeps a peer in at most maxSwarmsPerPeer swarms in Redis, dropping its least recently joined', async () => {
    const { keys, peers, tracker } = make('bound:', 2);
    await peers.refresh(new Map()); // this node is alive
    for (const id of ['p', 'q']) expect((await peers.claim(id, `t-${id}`)).outcome).toBe('claimed');
    for (const swarm of ['s1', 's2', 's3']) await tracker.join('q', swarm, 5);
    await tracker.join('p', 's1', 5);
    await tracker.join('p', 's2', 5);
    await tracker.join('p', 's3', 5);
    expect(await link.run((r) => r.zRange(keys.swarmsOf('p'), 0, -1))).toEqual(['s2', 's3']);
    expect(await link.run((r) => r.zRange(keys.swarm('s1'), 0, -1))).toEqual([]);
    expect(await tracker.join('q', 's2', 5)).toEqual(['p']);
    // and every member's leave takes it out
    await tracker.leave('p', 's2');
    expect(await tracker.join('q', 's2', 5)).toEqual([]);
    // a Redis that forgot the join script (restarted) is sent it again
    await link.run((r) => r.scriptFlush());
    await tracker.join('p', 's2', 5);
    expect(await tracker.join('q', 's2', 5)).toEqual(['p']);
  });

  it('counts a client\'s requests per second over every node that shares the Redis', async () => {
    let nowMs = 5_000_000;
    const keys = clusterKeys('rate:');
    const nodeA = new SharedRateBudget({ link, keys, perSec: 10, now: () => nowMs });
    const nodeB = new SharedRateBudget({ link, keys, perSec: 10, now: () => nowMs });
    const answers: boolean[] = [];
    for (let i = 0; i < 8; i++) answers.push(await nodeA.take('10.0.0.1'), await nodeB.take('10.0.0.1'));
    expect(answers.filter(Boolean)).toHaveLength(10);
    expect(await nodeA.take('10.0.0.2')).toBe(true); // another client has its own
    nowMs += 1000;
    expect(await nodeB.take('10.0.0.1')).toBe(true); // a new second
    // Redis away: never refuses (each node's own budget still runs)
    const dead = new RedisLink({ url: 'redis://127.0.0.1:1', timeoutMs: 200, log: () => {} });
    const away = new SharedRateBudget({ link: dead, keys, perSec: 1, now: () => nowMs });
    expect([await away.take('x'), await away.take('x'), await away.take('x')]).toEqual([true, true, true]);
    dead.close();
  });

  it('answers from the node alone when Redis does not, with the same checks', async () => {
    const dead = new RedisLink({ url: 'redis://127.0.0.1:1', timeoutMs: 200, log: () => {} });
    const keys = clusterKeys('away:');
    const peers = new ClusterPeers({ link: dead, keys, nodeId: 'n1', peerTtlMs: 10_000, onBadData: () => {} });
    const tracker = new ClusterTracker({ local: new Tracker(), link: dead, keys, maxSwarmsPerPeer: 4 });
    await tracker.join('a', 's', 5);
    expect(await tracker.join('b', 's', 5)).toEqual(['a']);
    await expect(tracker.join('', 's', 5)).rejects.toMatchObject({ code: 'protocol-violation' });
    expect(await peers.claim('a', 't')).toEqual({ outcome: 'unavailable' });
    expect(await peers.verify('a', 't')).toBe(false);
    dead.close();
  });
});

describe('the signal relay', () => {
  it('subscribes again at the next start when a subscribe failed (Redis gone in between)', async () => {
    const { SignalRelay } = await import('../../server/cluster/SignalRelay');
    let calls = 0;
    const subscriber = {
      subscribe: async () => {
        calls++;
        if (calls === 1) throw new Error('connection lost');
      },
    };
    const relay = new SignalRelay({
      link: { subscriber, state: 'up', run: async () => 0 } as never,
      keys: clusterKeys('relay:'), nodeId: 'n1', peers: { locate: async () => null },
      deliver: () => false, whenClaimed: async () => true, evict: () => {}, onDrop: () => {},
    });
    await expect(relay.start()).rejects.toThrow('connection lost');
    await relay.start();
    await relay.start(); // subscribed: not again
    expect(calls).toBe(2);
  });
});
