import { describe, expect, it } from 'vitest';
import { Agent } from '../../client/Agent';
import { SegmentStore, type StoredSegment } from '../../client/SegmentStore';
import type { PeerLink, Received } from '../../client/PeerLink';
import type { SegmentQuery, SegmentReport } from '../../core/contract';
import { SwarmError } from '../../core/SwarmError';

const SWARM = 'http://site|http://cdn/v/';
const KEY = 'http://cdn/v/seg1.ts';

type FakeLink = Pick<PeerLink, 'remoteId' | 'request'> & { keys: Set<string>; calls: number };

function fakeLink(remoteId: string, keys: string[], answer: (key: string) => Promise<Received>): FakeLink {
  const link: FakeLink = {
    remoteId,
    keys: new Set(keys),
    calls: 0,
    request: (key: string) => {
      link.calls++;
      return answer(key);
    },
  };
  return link;
}

function setup(links: FakeLink[] = [], segmentMaxBytes = 1_000_000) {
  const store = new SegmentStore(10_000_000);
  const joined: string[] = [];
  const storedEvents: StoredSegment[] = [];
  const reports: SegmentReport[] = [];
  const pool = {
    join: (s: string) => void joined.push(s),
    linkFor: (key: string, exclude: ReadonlySet<string> = new Set()) =>
      links.find((l) => l.keys.has(key) && !exclude.has(l.remoteId)) as unknown as PeerLink | undefined,
  };
  const agent = new Agent({
    store, pool, segmentMaxBytes, onReport: (r) => reports.push(r), onStored: (s) => storedEvents.push(s),
    now: () => performance.now(),
  });
  return { agent, store, joined, storedEvents, reports };
}

const query = (over: Partial<SegmentQuery> = {}): SegmentQuery => ({
  key: KEY, wholeKey: null, range: null, swarm: SWARM, url: KEY, budgetMs: 1000, ...over,
});
const blobOf = (n: number) => new Blob([new Uint8Array(n).map((_, i) => i & 0xff)]);
const text = async (b: Blob) => [...new Uint8Array(await b.arrayBuffer())];

describe('Agent', () => {
  it('answers from the store and joins the swarm of what is played', async () => {
    const { agent, store, joined } = setup();
    store.put({ key: KEY, swarm: SWARM, body: blobOf(10), totalBytes: null, contentType: 'video/mp2t' });
    const a = await agent.getSegment(query());
    expect(a).toMatchObject({ kind: 'hit', source: 'store', totalBytes: 10, start: 0, contentType: 'video/mp2t' });
    expect(joined).toEqual([SWARM]);
  });

  it('slices a byte range out of a stored whole segment, and says 416 past its end', async () => {
    const { agent, store } = setup();
    store.put({ key: KEY, swarm: SWARM, body: blobOf(100), totalBytes: null, contentType: null });
    const a = await agent.getSegment(query({ key: `${KEY}#10-19`, wholeKey: KEY, range: { start: 10, end: 19 } }));
    expect(a.kind === 'hit' && (await text(a.body))).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(a).toMatchObject({ start: 10, totalBytes: 100 });
    const suffix = await agent.getSegment(query({ key: `${KEY}#-5`, wholeKey: KEY, range: { suffix: 5 } }));
    expect(suffix).toMatchObject({ kind: 'hit', start: 95 });
    expect(await agent.getSegment(query({ key: `${KEY}#100-`, wholeKey: KEY, range: { start: 100 } }))).toEqual({
      kind: 'unsatisfiable', totalBytes: 100,
    });
  });

  it('a stored byte range answers at its own offset in the file', async () => {
    const { agent, store } = setup();
    store.put({ key: `${KEY}#500-509`, swarm: SWARM, body: blobOf(10), totalBytes: 4000, contentType: null });
    const a = await agent.getSegment(query({ key: `${KEY}#500-509`, wholeKey: KEY, range: { start: 500, end: 509 } }));
    expect(a).toMatchObject({ kind: 'hit', start: 500, totalBytes: 4000 });
  });

  it('fetches from a peer that holds it, stores it and announces it', async () => {
    const link = fakeLink('p1', [KEY], async () => ({ body: blobOf(50), totalBytes: 50, contentType: 'video/mp2t' }));
    const { agent, store, storedEvents } = setup([link]);
    const a = await agent.getSegment(query());
    expect(a).toMatchObject({ kind: 'hit', source: 'p2p', peerId: 'p1' });
    expect(store.get(KEY)?.body.size).toBe(50);
    expect(storedEvents.map((s) => s.key)).toEqual([KEY]);
  });

  it('tries another peer when the first fails, then gives up with the last reason', async () => {
    const bad = fakeLink('bad', [KEY], async () => {
      throw new SwarmError('peer-stall', 'slow');
    });
    const good = fakeLink('good', [KEY], async () => ({ body: blobOf(5), totalBytes: 5, contentType: null }));
    expect(await setup([bad, good]).agent.getSegment(query())).toMatchObject({ kind: 'hit', peerId: 'good' });

    const bad2 = fakeLink('bad2', [KEY], async () => {
      throw new SwarmError('peer-closed', 'gone');
    });
    const bad3 = fakeLink('bad3', [KEY], async () => {
      throw new SwarmError('peer-stall', 'slow');
    });
    expect(await setup([bad2, bad3]).agent.getSegment(query())).toEqual({ kind: 'miss', reason: 'peer-stall' });
  });

  it('says no-peer at once when nobody holds the segment', async () => {
    expect(await setup([fakeLink('p', ['other'], async () => ({ body: blobOf(1), totalBytes: 1, contentType: null }))]).agent.getSegment(query())).toEqual({
      kind: 'miss', reason: 'no-peer',
    });
  });

  it('never stores a peer answer larger than segmentMaxBytes', async () => {
    const link = fakeLink('p1', [KEY], async () => ({ body: blobOf(2000), totalBytes: 2000, contentType: null }));
    const { agent, store } = setup([link], 1000);
    expect(await agent.getSegment(query())).toMatchObject({ kind: 'miss', reason: 'size-exceeded' });
    expect(store.has(KEY)).toBe(false);
  });

  it('drops bad input from the worker: malformed queries and puts outside their swarm', async () => {
    const { agent, store } = setup();
    expect(await agent.getSegment({ key: 5 } as unknown as SegmentQuery)).toEqual({ kind: 'miss', reason: 'protocol-violation' });
    agent.putSegment({ key: 'http://evil/x.ts', swarm: SWARM, url: 'x', body: blobOf(5), totalBytes: 5, contentType: null });
    agent.putSegment({ key: KEY, swarm: SWARM, url: KEY, body: 'nope' as unknown as Blob, totalBytes: 5, contentType: null });
    expect(store.size).toBe(0);
    agent.putSegment({ key: KEY, swarm: SWARM, url: KEY, body: blobOf(5), totalBytes: 5, contentType: null });
    expect(store.size).toBe(1);
  });
});
