/**
 * The worker tells the page what failed that the page would not otherwise see (agent.workerError): a manifest it
 * could not read, an agent that did not answer in time while a byte range was served, a seeding download that
 * failed. The player's answer is never changed by it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SegmentHandler } from '../../sw/SegmentHandler';
import type { AgentApi, ManifestText, SegmentPut, SegmentReport, WorkerError } from '../../core/contract';
import { noticesFromText } from '../../core/manifestNotices';
import { MANIFEST_LIMITS } from '../../core/manifest/types';
import { DEFAULT_CONFIG, type SwConfig } from '../../core/config';
import { until } from './helpers/until';

const config: SwConfig = { segmentPattern: DEFAULT_CONFIG.segmentPattern, segmentMaxBytes: 1 << 20, p2pTimeoutMs: 200, portWaitMs: 50, debug: false };
const SEGMENT = 'http://cdn.test/vod/360p/seg_001.ts?token=secret';
const PLAYLIST = 'http://cdn.test/vod/360p/index.m3u8?token=secret';

function agent(overrides: Partial<AgentApi> = {}) {
  const errors: WorkerError[] = [];
  const reports: SegmentReport[] = [];
  const puts: SegmentPut[] = [];
  const a: AgentApi = {
    hello: (v) => ({ version: v }),
    getSegment: async () => ({ kind: 'miss', reason: 'no-peer' }),
    putSegment: (p) => void puts.push(p),
    report: (r) => void reports.push(r),
    // the page's agent parses it, and its SwarmError reaches the worker as a rejection
    manifestText: (m: ManifestText) => void noticesFromText(m, 0),
    workerError: (e) => void errors.push(e),
    ...overrides,
  };
  return { agent: a, errors, reports, puts };
}

const handler = (a: AgentApi, f: typeof fetch) =>
  new SegmentHandler({ config, agentFor: async () => a, fetch: f, now: () => Date.now(), siteOrigin: 'http://site.test' });

// the fake clock: deadlines run out only when a test moves it
beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

/** Fake time passes in steps until `p` settles (bodies and Blobs are read between the steps). */
async function whileAdvancing<T>(p: Promise<T>, stepMs = 50): Promise<T> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 400 && !done; i++) await vi.advanceTimersByTimeAsync(stepMs);
  return p;
}

describe('SegmentHandler reports what failed to the page', () => {
  it('a manifest that does not parse: the player gets it as it is, the page one error with the parser\'s code', async () => {
    const { agent: a, errors } = agent();
    const html = '<html>maintenance</html>';
    const res = await handler(a, vi.fn(async () => new Response(html, { status: 200 }))).observeManifest(new Request(PLAYLIST), 'c');
    expect(await res.text()).toBe(html);
    await until(() => expect(errors).toHaveLength(1));
    expect(errors[0]!.code).toBe('protocol-violation');
    expect(errors[0]!.message).toContain('manifest http://cdn.test/vod/360p/index.m3u8 could not be read');
    expect(errors[0]!.message).not.toContain('secret');
  });

  it('a manifest over the size the worker reads: size-exceeded, and the agent is not handed it', async () => {
    const manifestText = vi.fn();
    const { agent: a, errors } = agent({ manifestText });
    const big = '#EXTM3U\n' + '#'.repeat(MANIFEST_LIMITS.maxTextBytes);
    const res = await handler(a, vi.fn(async () => new Response(big, { status: 200 }))).observeManifest(new Request(PLAYLIST), 'c');
    expect((await res.text()).length).toBe(big.length);
    await until(() => expect(errors).toHaveLength(1));
    expect(errors[0]!.code).toBe('size-exceeded');
    expect(manifestText).not.toHaveBeenCalled();
  });

  it('a manifest read fine: no error', async () => {
    const manifestText = vi.fn((m: ManifestText) => void noticesFromText(m, 0));
    const { agent: a, errors } = agent({ manifestText });
    const text = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg_001.ts\n#EXT-X-ENDLIST\n';
    await handler(a, vi.fn(async () => new Response(text, { status: 200 }))).observeManifest(new Request(PLAYLIST), 'c');
    await until(() => manifestText.mock.calls.length === 1); // the agent read it
    await vi.advanceTimersByTimeAsync(0); // and its answer reached the worker (one turn: every promise callback)
    expect(errors).toEqual([]);
  });

  it('a seeding download that fails: reported as before, and the page hears why', async () => {
    const { agent: a, errors, reports, puts } = agent();
    await handler(a, vi.fn(async () => new Response('gone', { status: 404 }))).seed(SEGMENT, 'c');
    expect(puts).toEqual([]);
    expect(reports).toMatchObject([{ seed: true, error: 'network-error' }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'network-error' });
    expect(errors[0]!.message).toContain('seeding http://cdn.test/vod/360p/seg_001.ts failed');
    expect(errors[0]!.message).toContain('status 404');
  });

  it('a seed whose hand-over the page never answers ends at the deadline: agent-timeout', async () => {
    const putSegment = vi.fn(() => new Promise<void>(() => {}));
    const { agent: a, errors, reports } = agent({ putSegment });
    const done = vi.fn();
    void handler(a, vi.fn(async () => new Response(new Uint8Array(100), { status: 200 }))).seed(SEGMENT, 'c').then(done);
    await until(() => putSegment.mock.calls.length === 1);
    await vi.advanceTimersByTimeAsync(config.p2pTimeoutMs - 1);
    expect(done).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toHaveBeenCalled();
    expect(reports).toMatchObject([{ seed: true, error: 'network-error' }]);
    expect(errors).toMatchObject([{ code: 'agent-timeout' }]);
  });

  it('an agent silent while an open byte range is served: the bytes come from the network, the page hears it', async () => {
    const file = new Uint8Array(5000).map((_, i) => i & 0xff);
    const origin = vi.fn(async (input: RequestInfo | URL) => {
      const m = /bytes=(\d+)-(\d*)/.exec(new Request(input).headers.get('range') ?? '');
      if (!m) return new Response(file, { status: 200 });
      const start = Number(m[1]);
      const end = Math.min(m[2] ? Number(m[2]) : file.length - 1, file.length - 1);
      return new Response(file.slice(start, end + 1), {
        status: 206, headers: { 'content-range': `bytes ${start}-${end}/${file.length}`, 'content-type': 'video/mp4' },
      });
    }) as unknown as typeof fetch;
    const { agent: a, errors } = agent({ getSegment: () => new Promise(() => {}) });
    const pending = handler(a, origin).handle(new Request('http://site.test/media/video.mp4', { headers: { range: 'bytes=0-' } }), 'c');
    const res = await whileAdvancing(pending);
    expect(res.status).toBe(206);
    // the piece is asked of the agent again as the body is read (and again it does not answer)
    expect(new Uint8Array(await whileAdvancing(res.arrayBuffer()))).toEqual(file);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatchObject({ code: 'agent-timeout' });
    expect(errors[0]!.message).toContain('piece 0 of http://site.test/media/video.mp4');
  });
});
