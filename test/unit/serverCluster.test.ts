/**
 * Two P2P server nodes sharing one real Redis (redis-server started by the test): signalling relayed between nodes,
 * tracker answers spanning nodes, ids held cluster-wide, a node's exit, and Redis lost and back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@redis/client';
import { createSwarmServer, type SwarmServer, type SwarmServerOptions } from '../../server/index';
import { startRedis, type TestRedis } from '../support/redisServer';
import { closed, openSignallingWithInbox, request } from './helpers/serverClient';

let redis: TestRedis;
const servers: SwarmServer[] = [];
const lines: string[] = [];
let prefixCount = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  lines.length = 0;
});

const ORIGIN = 'http://site.example';
const SWARM = `${ORIGIN}|stream-1`;

/** `count` nodes on one Redis key prefix of their own (tests do not see each other's keys). */
async function nodes(count: number, options: Partial<SwarmServerOptions> = {}): Promise<SwarmServer[]> {
  const prefix = `t${++prefixCount}:`;
  const made: SwarmServer[] = [];
  for (let i = 1; i <= count; i++) {
    const server = await createSwarmServer({
      port: 0, stun: false, redisUrl: redis.url, redisPrefix: prefix, nodeId: `node-${i}`, log: (l) => lines.push(l), ...options,
    });
    servers.push(server);
    made.push(server);
  }
  for (const server of made) await untilUp(server, prefix);
  return made;
}

interface Health {
  peers: number;
  cluster?: { node: string; redis: string };
}

async function health(server: SwarmServer): Promise<Health> {
  return (await request(`${server.url}/swarmfetch/v1/health`)).json() as Health;
}

/** Until the node says Redis is up and its channel is subscribed (it can receive relayed signalling). */
async function untilUp(server: SwarmServer, prefix: string): Promise<void> {
  const probe = createClient({ url: redis.url });
  await probe.connect();
  try {
    await eventually(async () => {
      const h = await health(server);
      if (h.cluster?.redis !== 'up') return false;
      const subs = (await probe.pubSubNumSub(`${prefix}signal:${h.cluster.node}`)) as Record<string, number>;
      return Object.values(subs)[0] === 1;
    });
  } finally {
    probe.destroy();
  }
}

async function eventually(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

function join(server: SwarmServer, peerId: string, token: string, want = 10) {
  return request(`${server.url}/swarmfetch/v1/join`, { method: 'POST', headers: { origin: ORIGIN }, body: { peerId, token, swarm: SWARM, want } });
}

describe('a cluster of nodes sharing Redis', () => {
  it('relays signalling between peers on different nodes, both ways, in order', async () => {
    const [one, two] = await nodes(2);
    const a = await openSignallingWithInbox(one!.port, 'peer-a', 'token-a');
    const b = await openSignallingWithInbox(two!.port, 'peer-b', 'token-b');
    expect(a.first.type).toBe('OPEN');
    expect(b.first.type).toBe('OPEN');
    await eventually(async () => (await join(two!, 'peer-a', 'token-a')).status === 200); // a's claim reached Redis

    a.ws.send(JSON.stringify({ type: 'OFFER', dst: 'peer-b', payload: { sdp: 'offer-1' } }));
    for (let i = 0; i < 5; i++) a.ws.send(JSON.stringify({ type: 'CANDIDATE', dst: 'peer-b', payload: { n: i } }));
    const offer = await b.inbox.until((m) => m.type === 'OFFER');
    expect(offer).toEqual({ type: 'OFFER', src: 'peer-a', dst: 'peer-b', payload: { sdp: 'offer-1' } });
    await eventually(() => b.inbox.messages.filter((m) => m.type === 'CANDIDATE').length === 5);
    expect(b.inbox.messages.filter((m) => m.type === 'CANDIDATE').map((m) => (m.payload as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);

    b.ws.send(JSON.stringify({ type: 'ANSWER', dst: 'peer-a', payload: { sdp: 'answer-1' } }));
    expect(await a.inbox.until((m) => m.type === 'ANSWER')).toEqual({ type: 'ANSWER', src: 'peer-b', dst: 'peer-a', payload: { sdp: 'answer-1' } });
    a.ws.close();
    b.ws.close();
  });

  it('answers a join at any node with members connected to every node, and checks tokens cluster-wide', async () => {
    const [one, two] = await nodes(2);
    const a = await openSignallingWithInbox(one!.port, 'peer-a', 'token-a');
    const b = await openSignallingWithInbox(two!.port, 'peer-b', 'token-b');
    await eventually(async () => (await join(two!, 'peer-a', 'token-a')).status === 200);
    // b asks node one, where it has no socket: its token is checked in Redis
    const answer = await join(one!, 'peer-b', 'token-b');
    expect(answer.status).toBe(200);
    expect((answer.json() as { peers: string[] }).peers).toEqual(['peer-a']);
    expect((await join(one!, 'peer-b', 'wrong-token')).status).toBe(403);
    expect((await join(one!, 'peer-nobody', 'token-b')).status).toBe(403);
    a.ws.close();
    b.ws.close();
  });

  it('refuses an id another node holds with another token, and moves an id reconnecting with its token', async () => {
    const [one, two] = await nodes(2);
    const a = await openSignallingWithInbox(one!.port, 'peer-a', 'token-a');
    await eventually(async () => (await join(two!, 'peer-a', 'token-a')).status === 200);

    const impostor = await openSignallingWithInbox(two!.port, 'peer-a', 'other-token');
    const impostorClosed = closed(impostor.ws);
    expect((await impostor.inbox.until((m) => m.type === 'ID-TAKEN')).type).toBe('ID-TAKEN');
    await impostorClosed;
    // the rightful peer still holds its id: its join at node two still passes
    expect((await join(two!, 'peer-a', 'token-a')).status).toBe(200);

    const oldSocketClosed = closed(a.ws);
    const moved = await openSignallingWithInbox(two!.port, 'peer-a', 'token-a');
    expect(moved.first.type).toBe('OPEN');
    expect((await oldSocketClosed).reason).toBe('replaced');
    // it kept its swarm: a newcomer at node one finds it
    const c = await openSignallingWithInbox(one!.port, 'peer-c', 'token-c');
    await eventually(async () => {
      const r = await join(one!, 'peer-c', 'token-c');
      return r.status === 200 && (r.json() as { peers: string[] }).peers.includes('peer-a');
    });
    moved.ws.close();
    c.ws.close();
  });

  it('tells the sender at once when the peer asked for is on a node that left', async () => {
    const [one, two] = await nodes(2);
    const a = await openSignallingWithInbox(one!.port, 'peer-a', 'token-a');
    const b = await openSignallingWithInbox(two!.port, 'peer-b', 'token-b');
    await eventually(async () => (await join(one!, 'peer-b', 'token-b')).status === 200);
    await eventually(async () => (await join(two!, 'peer-a', 'token-a')).status === 200);
    await two!.close();
    await closed(b.ws);
    a.ws.send(JSON.stringify({ type: 'OFFER', dst: 'peer-b', payload: {} }));
    expect(await a.inbox.until((m) => m.type === 'EXPIRE')).toEqual({ type: 'EXPIRE', src: 'peer-b', dst: 'peer-a' });
    // and the swarm no longer names it
    const answer = await join(one!, 'peer-a', 'token-a');
    expect((answer.json() as { peers: string[] }).peers).toEqual([]);
    a.ws.close();
  });

  it('keeps serving its own peers while Redis is down, says so in /health and the log, and re-registers them when it returns', async () => {
    const [one] = await nodes(1);
    const a = await openSignallingWithInbox(one!.port, 'peer-a', 'token-a');
    const b = await openSignallingWithInbox(one!.port, 'peer-b', 'token-b');
    await eventually(async () => (await join(one!, 'peer-a', 'token-a')).status === 200);
    await redis.kill();
    await eventually(async () => (await health(one!)).cluster?.redis === 'down');
    expect(lines.some((l) => l.includes('redis-down') && l.includes('node=node-1'))).toBe(true);
    // the node's own tracker answers: b finds a
    const answer = await join(one!, 'peer-b', 'token-b');
    expect(answer.status).toBe(200);
    expect((answer.json() as { peers: string[] }).peers).toEqual(['peer-a']);
    // signalling between its own peers goes on
    a.ws.send(JSON.stringify({ type: 'OFFER', dst: 'peer-b', payload: { x: 1 } }));
    expect((await b.inbox.until((m) => m.type === 'OFFER')).src).toBe('peer-a');

    await redis.restart();
    await eventually(async () => (await health(one!)).cluster?.redis === 'up');
    expect(lines.some((l) => l.includes('redis-up'))).toBe(true);
    const probe = createClient({ url: redis.url });
    await probe.connect();
    try {
      const prefix = `t${prefixCount}:`;
      await eventually(async () => (await probe.get(`${prefix}peer:peer-a`)) !== null && (await probe.get(`${prefix}peer:peer-b`)) !== null);
      expect(await probe.get(`${prefix}peer:peer-a`)).toMatch(/^node-1 [0-9a-f]{64}$/);
    } finally {
      probe.destroy();
    }
    a.ws.close();
    b.ws.close();
  });

  it('ignores bad data in Redis with a log line', async () => {
    const [one, two] = await nodes(2);
    const prefix = `t${prefixCount}:`;
    const probe = createClient({ url: redis.url });
    await probe.connect();
    try {
      await probe.set(`${prefix}peer:peer-x`, 'not an entry');
      await probe.zAdd(`${prefix}swarm:${SWARM}`, { score: 1, value: 'peer-x' });
      await probe.publish(`${prefix}signal:node-1`, '{"v":1,"kind":"signal","type":"OFFER"}');
      await probe.publish(`${prefix}signal:node-1`, 'garbage');
    } finally {
      probe.destroy();
    }
    const b = await openSignallingWithInbox(two!.port, 'peer-b', 'token-b');
    expect((await join(one!, 'peer-x', 'anything')).status).toBe(403);
    await eventually(async () => (await join(one!, 'peer-b', 'token-b')).status === 200);
    const answer = await join(one!, 'peer-b', 'token-b');
    expect((answer.json() as { peers: string[] }).peers).toEqual([]); // peer-x's stray entry is no live member
    await eventually(() => lines.some((l) => l.includes('redis-bad-data')) && lines.some((l) => l.includes('bad-cluster-message')));
    b.ws.close();
  });
});
