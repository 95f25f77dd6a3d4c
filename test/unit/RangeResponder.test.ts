import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SegmentHandler } from '../../sw/SegmentHandler';
import {
  PIECE_BYTES,
  pieceRange,
  segmentKey,
  type AgentApi,
  type SegmentAnswer,
  type SegmentPut,
  type SegmentQuery,
  type SegmentReport,
} from '../../core/contract';
import { DEFAULT_CONFIG } from '../../core/config';
import { parseRangeHeader, resolveRange } from '../../core/parseRangeHeader';
import { until } from './helpers/until';

// the fake clock: the agent's budget (p2pTimeoutMs) runs out only when a test moves it, never on a slow machine
beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const URL1 = 'http://site.test/media/mp4/video.mp4';
const SIZE = 2 * PIECE_BYTES + 5000;
const file = new Uint8Array(SIZE).map((_, i) => (i * 13 + (i >> 9)) & 0xff);
const config = { segmentPattern: DEFAULT_CONFIG.segmentPattern, segmentMaxBytes: 32 << 20, p2pTimeoutMs: 200, portWaitMs: 50, debug: false };

/** An origin answering single ranges of `bytes` exactly (like express.static), recording the Range headers it got. */
function origin(bytes = file, opts: { failPieceAt?: number; noRanges?: boolean } = {}) {
  const ranges: Array<string | null> = [];
  const f = vi.fn(async (input: RequestInfo | URL) => {
    const req = input as Request;
    const header = req.headers.get('range');
    ranges.push(header);
    const headers = { 'content-type': 'video/mp4', 'accept-ranges': 'bytes' };
    const parsed = parseRangeHeader(header);
    if (!parsed || opts.noRanges) return new Response(bytes, { status: 200, headers });
    const r = resolveRange(parsed, bytes.length);
    if (!r) return new Response(null, { status: 416, headers: { 'content-range': `bytes */${bytes.length}` } });
    let part = bytes.slice(r.start, r.end + 1);
    const fail = opts.failPieceAt;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        if (fail !== undefined && r.start <= fail && fail <= r.end) {
          c.enqueue(part.slice(0, fail - r.start));
          c.error(new TypeError('connection reset'));
          return;
        }
        c.enqueue(part);
        c.close();
      },
    });
    return new Response(body, { status: 206, headers: { ...headers, 'content-range': `bytes ${r.start}-${r.end}/${bytes.length}`, 'content-length': String(part.length) } });
  });
  return { f, ranges };
}

/** An agent holding what was put into it (by key), like the page's store. */
function storeAgent(held = new Map<string, SegmentPut>(), tamper?: (q: SegmentQuery, a: SegmentAnswer) => SegmentAnswer) {
  const reports: SegmentReport[] = [];
  const queries: SegmentQuery[] = [];
  const agent: AgentApi = {
    hello: () => ({ version: 1 }),
    getSegment: async (q) => {
      queries.push(q);
      const s = held.get(q.key);
      const start = q.range && 'start' in q.range ? q.range.start : 0;
      const a: SegmentAnswer = s
        ? { kind: 'hit', source: 'p2p', peerId: 'peer-a', body: s.body, totalBytes: s.totalBytes, start, contentType: s.contentType }
        : { kind: 'miss', reason: 'no-peer' };
      return tamper ? tamper(q, a) : a;
    },
    putSegment: (p) => void held.set(p.key, p),
    report: (r) => void reports.push(r),
    manifestText: () => {},
  };
  return { agent, held, reports, queries };
}

const handler = (agent: AgentApi | null, f: typeof fetch) =>
  new SegmentHandler({ config, agentFor: async () => agent, fetch: f, now: () => Date.now(), siteOrigin: 'http://site.test' });
const get = (range?: string, init: RequestInit = {}) => new Request(URL1, { ...init, headers: range ? { range } : {} });
const bytesOf = async (r: Response) => new Uint8Array(await r.arrayBuffer());
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
const pieceKeys = [0, 1, 2].map((i) => segmentKey(URL1, pieceRange(i, SIZE)));

describe('Range requests answered from pieces', () => {
  it('bytes=0- with nothing held: an exact 206 fetched piece by piece, every piece handed to the agent', async () => {
    const o = origin();
    const a = storeAgent();
    const res = await handler(a.agent, o.f).handle(get('bytes=0-'), 'c');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 0-${SIZE - 1}/${SIZE}`);
    expect(res.headers.get('content-length')).toBe(String(SIZE));
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(same(await bytesOf(res), file)).toBe(true);
    expect(o.ranges).toEqual(['bytes=0-1048575', 'bytes=1048576-2097151', `bytes=2097152-${SIZE - 1}`]);
    await until(() => expect([...a.held.keys()].sort()).toEqual([...pieceKeys].sort()));
    expect(a.held.get(pieceKeys[2]!)).toMatchObject({ totalBytes: SIZE });
    expect(a.reports.map((r) => r.source)).toEqual(['http', 'http', 'http']);
  });

  it('a viewer whose agent holds the pieces gets every range exactly without the network', async () => {
    const a = storeAgent();
    await bytesOf(await handler(a.agent, origin().f).handle(get('bytes=0-'), 'c'));
    await until(() => expect(a.held.size).toBe(3));
    const b = storeAgent(a.held);
    const o = origin();
    const h = handler(b.agent, o.f);
    for (const [range, start, end] of [['bytes=0-', 0, SIZE - 1], ['bytes=1500000-', 1500000, SIZE - 1], ['bytes=-700', SIZE - 700, SIZE - 1]] as const) {
      const res = await h.handle(get(range), 'c');
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${SIZE}`);
      expect(same(await bytesOf(res), file.subarray(start, end + 1)), range).toBe(true);
    }
    expect(o.f).not.toHaveBeenCalled();
    expect(b.reports.every((r) => r.source === 'p2p' && r.peerId === 'peer-a')).toBe(true);
  });

  it('416 past the end, with the size known or learnt from the network', async () => {
    const h = handler(storeAgent().agent, origin().f);
    const first = await h.handle(get(`bytes=${SIZE}-`), 'c');
    expect(first.status).toBe(416);
    expect(first.headers.get('content-range')).toBe(`bytes */${SIZE}`);
    await bytesOf(await h.handle(get('bytes=0-'), 'c'));
    const o = origin();
    const known = await handler(storeAgent().agent, o.f).handle(get(`bytes=${SIZE + 5}-`), 'c');
    expect(known.status).toBe(416);
  });

  it('a suffix range with the size unknown goes to the network as it is, exactly', async () => {
    const o = origin();
    const res = await handler(storeAgent().agent, o.f).handle(get('bytes=-100'), 'c');
    expect(res.status).toBe(206);
    expect(same(await bytesOf(res), file.subarray(SIZE - 100))).toBe(true);
    expect(o.ranges).toEqual(['bytes=-100']);
  });

  it('a bytes=0-1 probe gets exactly two bytes', async () => {
    const res = await handler(storeAgent().agent, origin().f).handle(get('bytes=0-1'), 'c');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 0-1/${SIZE}`);
    expect(same(await bytesOf(res), file.subarray(0, 2))).toBe(true);
  });

  it('a piece of the wrong size from the agent is not used: the network gives the exact bytes', async () => {
    const a = storeAgent();
    await bytesOf(await handler(a.agent, origin().f).handle(get('bytes=0-'), 'c'));
    await until(() => expect(a.held.size).toBe(3));
    const lying = storeAgent(a.held, (q, ans) => (ans.kind === 'hit' && q.key === pieceKeys[1] ? { ...ans, body: ans.body.slice(1) } : ans));
    const o = origin();
    const res = await handler(lying.agent, o.f).handle(get('bytes=0-'), 'c');
    expect(same(await bytesOf(res), file)).toBe(true);
    expect(o.ranges).toEqual(['bytes=1048576-2097151']);
  });

  it('a network failure in the middle of a piece errors the response; nothing of it is shared', async () => {
    const a = storeAgent();
    const res = await handler(a.agent, origin(file, { failPieceAt: PIECE_BYTES + 10 }).f).handle(get('bytes=0-'), 'c');
    expect(res.headers.get('content-length')).toBe(String(SIZE));
    await expect(res.arrayBuffer()).rejects.toBeDefined();
    await until(() => expect(a.reports).toHaveLength(2));
    expect([...a.held.keys()]).toEqual([pieceKeys[0]]);
    expect(a.reports.find((r) => r.key === pieceKeys[1]), JSON.stringify(a.reports)).toMatchObject({ error: 'network-error' });
  });

  it('an origin without Range support: its 200 reaches the player as it is', async () => {
    const res = await handler(storeAgent().agent, origin(file, { noRanges: true }).f).handle(get('bytes=0-'), 'c');
    expect(res.status).toBe(200);
    expect(same(await bytesOf(res), file)).toBe(true);
  });

  it('a no-cors request to another origin is passed to the network untouched', async () => {
    const o = origin();
    const a = storeAgent();
    const cross = new Request('http://cdn.test/v.mp4', { mode: 'no-cors', headers: { range: 'bytes=0-' } });
    await handler(a.agent, o.f).handle(cross, 'c');
    expect(o.f).toHaveBeenCalledTimes(1);
    expect(o.f.mock.calls[0]![0]).toBe(cross);
  });
});
