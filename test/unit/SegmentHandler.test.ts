import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SegmentHandler } from '../../sw/SegmentHandler';
import type { AgentApi, ManifestText, SegmentAnswer, SegmentPut, SegmentQuery, SegmentReport } from '../../core/contract';
import { noticesFromText } from '../../core/manifestNotices';
import { DEFAULT_CONFIG, type SwConfig } from '../../core/config';
import { until } from './helpers/until';

const URL1 = 'http://cdn.test/vod/360p/seg_001.ts?token=abc';
const KEY1 = 'http://cdn.test/vod/360p/seg_001.ts';
const config: SwConfig = {
  segmentPattern: DEFAULT_CONFIG.segmentPattern,
  segmentMaxBytes: 1024 * 1024,
  p2pTimeoutMs: 200,
  portWaitMs: 50,
  debug: false,
};

function fakeAgent(answer: (q: SegmentQuery) => Promise<SegmentAnswer> | SegmentAnswer) {
  const puts: SegmentPut[] = [];
  const reports: SegmentReport[] = [];
  const queries: SegmentQuery[] = [];
  const agent: AgentApi = {
    hello: () => ({ version: 1 }),
    getSegment: async (q) => {
      queries.push(q);
      return answer(q);
    },
    putSegment: (p) => void puts.push(p),
    report: (r) => void reports.push(r),
    manifestText: () => {},
  };
  return { agent, puts, reports, queries };
}

function handler(agent: AgentApi | null, fetchImpl: typeof fetch, onAgentTimeout = vi.fn()) {
  return new SegmentHandler({
    config,
    agentFor: async () => agent,
    onAgentTimeout,
    fetch: fetchImpl,
    now: () => Date.now(), // the fake clock's
    siteOrigin: 'http://site.test',
  });
}

// the fake clock: the agent's budget (p2pTimeoutMs) runs out only when a test moves the clock, never on a slow machine
beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const body = (n: number, seed = 1) => new Uint8Array(n).map((_, i) => (i * seed + 11) & 0xff);
const okFetch = (bytes: Uint8Array<ArrayBuffer>, init: ResponseInit = {}) =>
  vi.fn(async () => new Response(bytes, { status: 200, headers: { 'content-type': 'video/mp2t' }, ...init }));
const get = (url = URL1, headers: Record<string, string> = {}) => new Request(url, { headers });
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const bytesOf = async (r: Response) => new Uint8Array(await r.arrayBuffer());

describe('SegmentHandler', () => {
  it('handles media segments only: not manifests, not POST, not pages', () => {
    const h = handler(null, okFetch(body(1)));
    expect(h.matches(get(URL1), 'client')).toBe(true);
    expect(h.matches(get('http://cdn.test/vod/master.m3u8'), 'client')).toBe(false);
    expect(h.matches(get('http://cdn.test/vod/manifest.mpd'), 'client')).toBe(false);
    expect(h.matches(new Request(URL1, { method: 'POST', body: 'x' }), 'client')).toBe(false);
    expect(h.matches(get('http://site.test/index.html'), 'client')).toBe(false);
    expect(h.matches(get(URL1), ''), 'no client id: no agent to ask').toBe(false);
  });

  it('answers from the agent without touching the network, and reports the source', async () => {
    const bytes = body(5000);
    const { agent, reports, queries } = fakeAgent(() => ({
      kind: 'hit', source: 'p2p', peerId: 'p1', body: new Blob([bytes]), totalBytes: 5000, start: 0, contentType: null,
    }));
    const fetchSpy = okFetch(body(1));
    const res = await handler(agent, fetchSpy).handle(get(), 'client');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp2t');
    expect(same(await bytesOf(res), bytes)).toBe(true);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(queries[0]).toMatchObject({ key: KEY1, wholeKey: null, swarm: 'http://site.test|http://cdn.test/vod/360p/' });
    expect(reports).toMatchObject([{ source: 'p2p', peerId: 'p1', bytes: 5000, fallback: null }]);
  });

  it('on a miss streams the network response to the player and hands the agent an exact copy', async () => {
    const bytes = body(300_000, 3);
    const { agent, puts, reports } = fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' }));
    const res = await handler(agent, okFetch(bytes)).handle(get(), 'client');
    expect(same(await bytesOf(res), bytes)).toBe(true);
    await until(() => expect(reports).toHaveLength(1));
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ key: KEY1, totalBytes: 300_000, contentType: 'video/mp2t' });
    expect(same(new Uint8Array(await puts[0]!.body.arrayBuffer()), bytes)).toBe(true);
    expect(reports[0]).toMatchObject({ source: 'http', bytes: 300_000, fallback: 'no-peer', error: null });
  });

  it.each(['private', 'no-store', 'public, max-age=60, no-store', 'PRIVATE'])(
    'never shares a response with Cache-Control: %s (played, reported, not handed to the agent)',
    async (cc) => {
      const bytes = body(2000, 5);
      const { agent, puts, reports } = fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' }));
      const fetchImpl = vi.fn(async () => new Response(bytes, { status: 200, headers: { 'content-type': 'video/mp2t', 'cache-control': cc } }));
      const res = await handler(agent, fetchImpl).handle(get(), 'client');
      expect(same(await bytesOf(res), bytes)).toBe(true);
      await until(() => expect(reports).toHaveLength(1));
      expect(puts).toHaveLength(0);
    },
  );

  it('shares a response whose Cache-Control allows it (public, max-age; a no-cache directive is not no-store)', async () => {
    const { agent, puts } = fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' }));
    const fetchImpl = vi.fn(async () => new Response(body(100), { status: 200, headers: { 'cache-control': 'public, max-age=60, no-cache' } }));
    await (await handler(agent, fetchImpl).handle(get(), 'client')).arrayBuffer();
    await until(() => expect(puts).toHaveLength(1));
  });

  it('a credentialed request (Authorization, or cookies to another origin) goes to the network untouched: no peer, no store, no copy', async () => {
    for (const request of [
      get(URL1, { authorization: 'Bearer abc' }),
      new Request(URL1, { credentials: 'include' }),
    ]) {
      const { agent, puts, queries } = fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' }));
      const fetchImpl = okFetch(body(300));
      const res = await handler(agent, fetchImpl).handle(request, 'client');
      expect((await bytesOf(res)).byteLength).toBe(300);
      expect(fetchImpl).toHaveBeenCalledWith(request);
      expect(queries).toEqual([]);
      expect(puts).toEqual([]);
    }
  });

  it('goes to the network when the agent does not answer within its budget', async () => {
    const { agent, reports, queries } = fakeAgent(() => new Promise<SegmentAnswer>(() => {}));
    const onTimeout = vi.fn();
    const bytes = body(1000);
    const network = okFetch(bytes);
    const pending = handler(agent, network, onTimeout).handle(get(), 'client-9');
    await until(() => queries.length === 1); // the agent was asked: its budget runs from here
    await vi.advanceTimersByTimeAsync(config.p2pTimeoutMs - 1);
    expect(onTimeout).not.toHaveBeenCalled(); // within its budget the agent may still answer
    expect(network).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000); // its budget, and the worker's margin for the port hop, are over
    expect(onTimeout).toHaveBeenCalledWith('client-9');
    const res = await pending;
    expect(same(await bytesOf(res), bytes)).toBe(true);
    await until(() => expect(reports[0]).toMatchObject({ source: 'http', fallback: 'agent-timeout' }));
  });

  it('while the page says its answer would be no-peer (direct), goes to the network at once and tells the agent without waiting', async () => {
    // an agent that never answers: a handler that waited for it would hold the player until its budget ran out
    const { agent, puts, reports, queries } = fakeAgent(() => new Promise<SegmentAnswer>(() => {}));
    const bytes = body(4000, 7);
    const network = okFetch(bytes);
    let direct = true;
    const onTimeout = vi.fn();
    const h = new SegmentHandler({
      config, agentFor: async () => agent, isDirect: (id) => id === 'client' && direct, onAgentTimeout: onTimeout,
      fetch: network, now: () => Date.now(), siteOrigin: 'http://site.test',
    });
    const res = await h.handle(get(), 'client'); // the fake clock never moved: nothing was waited for
    expect(same(await bytesOf(res), bytes)).toBe(true);
    expect(queries).toMatchObject([{ key: KEY1, direct: true }]);
    await until(() => expect(reports).toHaveLength(1));
    expect(reports[0]).toMatchObject({ source: 'http', fallback: 'no-peer', error: null, bytes: 4000 });
    expect(puts).toHaveLength(1); // shared as any miss's copy
    expect(network).toHaveBeenCalledTimes(1);

    // no longer direct: the agent is asked and waited for again (within its budget)
    direct = false;
    const pending = h.handle(get(), 'client');
    await until(() => queries.length === 2);
    expect(queries[1]!.direct).toBeUndefined();
    expect(network).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(config.p2pTimeoutMs + 1000);
    await (await pending).arrayBuffer();
    expect(network).toHaveBeenCalledTimes(2);
  });

  it('goes to the network when there is no agent, and when the agent throws', async () => {
    const bytes = body(10);
    expect(same(await bytesOf(await handler(null, okFetch(bytes)).handle(get(), 'c')), bytes)).toBe(true);
    const { agent } = fakeAgent(() => {
      throw new Error('boom');
    });
    expect(same(await bytesOf(await handler(agent, okFetch(bytes)).handle(get(), 'c')), bytes)).toBe(true);
  });

  it('never shares an error response or one larger than segmentMaxBytes', async () => {
    for (const [status, size] of [[404, 100], [200, config.segmentMaxBytes + 1]] as const) {
      const { agent, puts, reports } = fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' }));
      const res = await handler(agent, okFetch(body(size), { status })).handle(get(), 'c');
      expect(res.status).toBe(status);
      expect((await bytesOf(res)).byteLength).toBe(size);
      await until(() => expect(reports).toHaveLength(1));
      expect(puts).toHaveLength(0);
    }
  });

  it('answers a Range request exactly from a whole segment the agent holds (206, Content-Range)', async () => {
    const { agent, queries } = fakeAgent(() => ({
      kind: 'hit', source: 'store', peerId: null, body: new Blob([body(100)]), totalBytes: 5000, start: 200, contentType: 'video/mp4',
    }));
    const res = await handler(agent, okFetch(body(1))).handle(get(URL1, { Range: 'bytes=200-299' }), 'c');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 200-299/5000');
    expect(res.headers.get('content-length')).toBe('100');
    expect(queries[0]).toMatchObject({ key: `${KEY1}#200-299`, wholeKey: KEY1, range: { start: 200, end: 299 } });
  });

  it('answers 416 when the agent says the range is beyond the file', async () => {
    const { agent } = fakeAgent(() => ({ kind: 'unsatisfiable', totalBytes: 5000 }));
    const res = await handler(agent, okFetch(body(1))).handle(get(URL1, { Range: 'bytes=9000-' }), 'c');
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe('bytes */5000');
  });

  it('shares a network 206 under its range key only when it is exactly the closed range asked', async () => {
    const part = body(100);
    const ranged = (contentRange: string) =>
      vi.fn(async () => new Response(part, { status: 206, headers: { 'content-range': contentRange } }));
    const a = fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' }));
    await (await handler(a.agent, ranged('bytes 100-199/1000')).handle(get(URL1, { Range: 'bytes=100-199' }), 'c')).arrayBuffer();
    await until(() => expect(a.reports).toHaveLength(1));
    expect(a.puts).toMatchObject([{ key: `${KEY1}#100-199`, totalBytes: 1000 }]);

    const b = fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' }));
    await (await handler(b.agent, ranged('bytes 0-99/1000')).handle(get(URL1, { Range: 'bytes=100-199' }), 'c')).arrayBuffer();
    // an open range is answered from pieces: a network answer that is not the piece asked is passed on, not shared
    const c = fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' }));
    await (await handler(c.agent, ranged('bytes 100-199/1000')).handle(get(URL1, { Range: 'bytes=100-' }), 'c')).arrayBuffer();
    await until(() => expect(b.reports.length).toBe(1));
    expect(b.puts).toHaveLength(0);
    expect(c.puts).toHaveLength(0);
  });

  it('passes requests with a multi-range header straight to the network without asking the agent', async () => {
    const { agent, queries } = fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' }));
    const f = okFetch(body(10));
    await handler(agent, f).handle(get(URL1, { Range: 'bytes=0-1,5-9' }), 'c');
    expect(f).toHaveBeenCalledTimes(1);
    expect(queries).toHaveLength(0);
  });

  it('a network failure reaches the player as an error and is reported', async () => {
    const { agent, reports } = fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' }));
    const failing = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(handler(agent, failing).handle(get(), 'c')).rejects.toThrow('Failed to fetch');
    expect(reports).toMatchObject([{ source: 'http', error: 'network-error' }]);
  });
});

describe('SegmentHandler seeding', () => {
  it('downloads an elected segment into the agent\'s store, marked as a seed, and reports it as such', async () => {
    const { agent, puts, reports } = fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' }));
    const bytes = body(4000);
    await handler(agent, okFetch(bytes)).seed(URL1, 'c');
    expect(puts).toMatchObject([{ key: KEY1, seed: true, totalBytes: 4000 }]);
    expect(same(new Uint8Array(await puts[0]!.body.arrayBuffer()), bytes)).toBe(true);
    expect(reports).toMatchObject([{ source: 'http', seed: true, bytes: 4000, error: null }]);
  });

  it('never fetches what is not a segment, and stores nothing from a failed download', async () => {
    const a = fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' }));
    const f = okFetch(body(10));
    await handler(a.agent, f).seed('http://cdn.test/secret/admin.json', 'c');
    expect(f).not.toHaveBeenCalled();
    const b = fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' }));
    await handler(b.agent, okFetch(body(10), { status: 500 })).seed(URL1, 'c');
    expect(b.puts).toHaveLength(0);
    expect(b.reports).toMatchObject([{ seed: true, error: 'network-error' }]);
  });
});

describe('SegmentHandler and manifests', () => {
  const PLAYLIST = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:2.0,\nseg_007.ts?tok=1\n#EXTINF:2.0,\nseg_008.ts?tok=1\n';
  const MANIFEST_URL = 'http://cdn.test/vod/360p/index.m3u8?tok=1';

  it('passes a playlist through unchanged and tells the agent its rendition, swarm and segment keys', async () => {
    const notices: unknown[] = [];
    const agent = { ...fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' })).agent, manifestText: (m: ManifestText) => void notices.push(...[noticesFromText(m, Date.now())].filter((n) => n.length)) };
    const f = vi.fn(async () => new Response(PLAYLIST, { status: 200, headers: { 'content-type': 'application/vnd.apple.mpegurl' } }));
    const h = handler(agent, f);
    expect(h.matchesManifest(get(MANIFEST_URL), 'c')).toBe(true);
    expect(h.matches(get(MANIFEST_URL), 'c')).toBe(false);
    const res = await h.observeManifest(get(MANIFEST_URL), 'c');
    expect(await res.text()).toBe(PLAYLIST);
    await until(() => expect(notices).toHaveLength(1));
    expect(notices[0]).toEqual([
      {
        swarm: 'http://site.test|http://cdn.test/vod/360p/',
        live: true,
        entries: [
          { key: 'http://cdn.test/vod/360p/seg_007.ts', url: 'http://cdn.test/vod/360p/seg_007.ts?tok=1', durationSec: 2, seq: 7 },
          { key: 'http://cdn.test/vod/360p/seg_008.ts', url: 'http://cdn.test/vod/360p/seg_008.ts?tok=1', durationSec: 2, seq: 8 },
        ],
      },
    ]);
  });

  it('an HLS master tells the agent the swarm of each variant, before the player loads one, and the rung above it', () => {
    const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n180p/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\nhttp://cdn.test/vod/360p/index.m3u8?tok=1\n';
    const notices = noticesFromText({ text: master, url: 'http://cdn.test/vod/master.m3u8', contentType: null, siteOrigin: 'http://site.test' }, 0);
    expect(notices).toEqual([
      { swarm: 'http://site.test|http://cdn.test/vod/180p/', live: false, entries: [], nextUpBitsPerSec: 2 },
      { swarm: 'http://site.test|http://cdn.test/vod/360p/', live: false, entries: [] },
    ]);
  });

  it('a manifest that does not parse still reaches the player untouched, and the agent learns nothing', async () => {
    const notices: unknown[] = [];
    const manifestText = vi.fn((m: ManifestText) => void notices.push(...[noticesFromText(m, Date.now())].filter((n) => n.length)));
    const agent = { ...fakeAgent(() => ({ kind: 'miss', reason: 'no-peer' })).agent, manifestText };
    const html = '<html>error page</html>';
    const res = await handler(agent, vi.fn(async () => new Response(html, { status: 200 }))).observeManifest(get(MANIFEST_URL), 'c');
    expect(await res.text()).toBe(html);
    await until(() => expect(manifestText).toHaveBeenCalledTimes(1)); // the agent was handed the text
    expect(notices).toEqual([]);
  });
});
