/**
 * Issue 4 §4, the gaps the per-module properties (protocol.test, manifestParse.test, parseRangeHeader.test) leave:
 * - the frame decoder at the link boundary: any sequence of messages and frames a peer can send a PeerLink never
 *   throws out of it, ends the link only with a known code, keeps every collection within its bound, never holds
 *   more bytes than allowed, and lets no request hang;
 * - parsers fed huge hostile inputs (deep nesting, floods of one character, millions of lines) end with a result
 *   within MANIFEST_LIMITS or a SwarmError — not a RangeError, not a hang (the test timeout is the hang detector).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PeerLink, type PeerLinkLimits, type Received } from '../../client/PeerLink';
import { encodeControl, FRAME_PAYLOAD_BYTES, PROTOCOL_VERSION, type ControlMessage } from '../../client/protocol';
import type { StoredSegment } from '../../client/SegmentStore';
import { parseManifest } from '../../core/manifest/parseManifest';
import { MANIFEST_LIMITS } from '../../core/manifest/types';
import { parseRangeHeader } from '../../core/parseRangeHeader';
import { ERROR_CODES, SwarmError } from '../../core/SwarmError';
import { FakeConnection } from './fakes/FakeConnection';

const SWARM = 'http://site|http://cdn/v/';
const KEYS = ['http://cdn/v/a.ts', 'http://cdn/v/b.ts', 'http://cdn/v/c.ts', 'http://cdn/w/outside.ts'];
const limits: PeerLinkLimits = {
  segmentMaxBytes: 40_000,
  stallMs: 300,
  sendHighWaterBytes: 1024 * 1024,
  maxRequestsInFlight: 4,
  maxRequestsPerSec: 20,
  maxRemoteKeys: 5,
  drainTimeoutMs: 500,
  pingIntervalMs: 60_000,
};

/** What a peer can put on the channel: well-formed control messages about ids near ours, junk text, frames. */
const ids = fc.integer({ min: 0, max: 6 });
const key = fc.constantFrom(...KEYS);
const control: fc.Arbitrary<ControlMessage> = fc.oneof(
  fc.constant({ t: 'hello', v: PROTOCOL_VERSION } as const),
  fc.record({ t: fc.constantFrom('have', 'lost', 'fetching'), swarm: fc.constantFrom(SWARM, 'http://site|http://cdn/w/'), keys: fc.array(key, { maxLength: 8 }) }),
  fc.record({ t: fc.constant('req'), id: ids, key, waitMs: fc.integer({ min: 0, max: 20_000 }) }),
  fc.record({ t: fc.constantFrom('cancel', 'absent', 'done'), id: ids }),
  fc.record({
    t: fc.constant('send'), id: ids, bytes: fc.oneof(fc.integer({ min: 0, max: 50_000 }), fc.constant(2 ** 40)),
    totalBytes: fc.constant(null), contentType: fc.constantFrom(null, 'video/mp2t'),
  }),
) as fc.Arbitrary<ControlMessage>;
const frame = fc
  .record({ tag: fc.constantFrom(1, 1, 1, 2), id: ids, size: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constant(FRAME_PAYLOAD_BYTES), fc.constant(FRAME_PAYLOAD_BYTES + 1)) })
  .map(({ tag, id, size }) => {
    const b = new Uint8Array(5 + size);
    b[0] = tag;
    new DataView(b.buffer).setUint32(1, id);
    return b.buffer;
  });
const input = fc.oneof(
  { weight: 5, arbitrary: control.map((m) => encodeControl(m)) },
  { weight: 4, arbitrary: frame },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 42, new Uint8Array(8).subarray(2), { t: 'hello' }) },
);

interface LinkInternals {
  downloads: Map<number, { assembly: { receivedBytes: number } | null }>;
  uploads: Set<number>;
  tombstones: Map<number, number>;
  remoteKeys: Set<string>;
  remoteFetching: Map<string, number>;
}

afterEach(() => vi.useRealTimers());

describe('PeerLink under arbitrary peer input (property)', () => {
  it('never throws, closes only with a known code, stays within its bounds, and settles every request', async () => {
    vi.useFakeTimers();
    const known = new Set<string>([...ERROR_CODES, 'closed']);
    await fc.assert(
      fc.asyncProperty(fc.array(input, { maxLength: 60 }), fc.integer({ min: 0, max: 4 }), async (inputs, asks) => {
        let now = 0;
        const closes: string[] = [];
        const conn = new FakeConnection('peer');
        conn.intercept = () => {};
        const stored: StoredSegment = { key: KEYS[0]!, swarm: SWARM, body: new Blob([new Uint8Array(30_000)]), totalBytes: null, contentType: null };
        const link = new PeerLink(conn, {
          limits,
          provide: (k) => (k === stored.key ? stored : undefined),
          throttle: () => 0,
          uploadWaitMs: () => 0,
          initialHaves: () => new Map(),
          onOpen: () => {},
          onClose: (_l, reason) => closes.push(reason),
          onUpload: () => {},
          now: () => now,
        });
        conn.open = true;
        conn.emit('open');
        conn.deliver(encodeControl({ t: 'hello', v: PROTOCOL_VERSION }));
        const pending: Array<Promise<Received | SwarmError>> = [];
        for (let i = 0; i < asks; i++) pending.push(link.request(KEYS[i % 3]!, 5_000, 0).catch((e: SwarmError) => e));
        const inner = link as unknown as LinkInternals;
        for (const data of inputs) {
          now += 10;
          expect(() => conn.deliver(data)).not.toThrow();
          await Promise.resolve();
          expect(inner.tombstones.size).toBeLessThanOrEqual(64);
          expect(inner.remoteKeys.size).toBeLessThanOrEqual(limits.maxRemoteKeys);
          expect(inner.remoteFetching.size).toBeLessThanOrEqual(512);
          expect(inner.uploads.size).toBeLessThanOrEqual(limits.maxRequestsInFlight);
          for (const d of inner.downloads.values()) expect(d.assembly?.receivedBytes ?? 0).toBeLessThanOrEqual(limits.segmentMaxBytes);
          for (const k of inner.remoteKeys) expect(KEYS).toContain(k);
        }
        // nothing waits forever: past every deadline, every request has settled
        await vi.advanceTimersByTimeAsync(6_000);
        const results = await Promise.all(pending);
        for (const r of results) if (r instanceof Error) expect(SwarmError.is(r)).toBe(true);
        expect(inner.downloads.size).toBe(0);
        expect(closes.length).toBeLessThanOrEqual(1);
        for (const c of closes) expect(known.has(c), c).toBe(true);
        link.close();
        await vi.advanceTimersByTimeAsync(1_000);
      }),
      { numRuns: 150 },
    );
  });
});

describe('parsers under huge hostile inputs', () => {
  const hostile: Array<[string, string, string]> = [
    ['deeply nested XML', 'http://a/x.mpd', `<MPD>${'<a>'.repeat(1_000_000)}`],
    ['a flood of <', 'http://a/x.mpd', `<MPD>${'<'.repeat(3_000_000)}`],
    ['an unterminated attribute', 'http://a/x.mpd', `<MPD a="${'x'.repeat(3_000_000)}`],
    ['an unterminated comment', 'http://a/x.mpd', `<MPD><!--${'-'.repeat(3_000_000)}`],
    ['500 000 attributes', 'http://a/x.mpd', `<MPD ${'a="1" '.repeat(500_000)}/>`],
    ['a manifest over maxTextBytes', 'http://a/x.mpd', `<MPD>${' '.repeat(MANIFEST_LIMITS.maxTextBytes)}</MPD>`],
    ['200 000 HLS segments', 'http://a/x.m3u8', `#EXTM3U\n${'#EXTINF:1,\nseg.ts\n'.repeat(200_000)}`],
    ['a 700 000-attribute HLS tag', 'http://a/x.m3u8', `#EXTM3U\n#EXT-X-STREAM-INF:${'A=1,'.repeat(700_000)}\nv.m3u8\n`],
    ['an unterminated quoted HLS attribute', 'http://a/x.m3u8', `#EXTM3U\n#EXT-X-STREAM-INF:A="${'x'.repeat(3_000_000)}\nv.m3u8\n`],
    ['a 3 MB segment hash tag', 'http://a/x.m3u8', `#EXTM3U\n#EXT-X-SWARMFETCH-SHA256:${'f'.repeat(3_000_000)}\n#EXTINF:1,\ns.ts\n`],
    ['40 000 segment hash tags', 'http://a/x.m3u8', `#EXTM3U\n${`#EXT-X-SWARMFETCH-SHA256:${'a'.repeat(64)}\n#EXTINF:1,\ns.ts\n`.repeat(40_000)}`],
    ['a 1000-digit BYTERANGE', 'http://a/x.m3u8', `#EXTM3U\n#EXT-X-BYTERANGE:${'9'.repeat(1000)}@${'9'.repeat(1000)}\n#EXTINF:1,\ns.ts\n`],
  ];
  for (const [name, url, text] of hostile) {
    it(`end with a bounded result or a SwarmError: ${name}`, () => {
      let parsed: ReturnType<typeof parseManifest>;
      try {
        parsed = parseManifest(text, url, null);
      } catch (err) {
        expect(SwarmError.is(err), String(err)).toBe(true);
        return;
      }
      expect(parsed).not.toBeNull();
      expect(parsed!.renditions.length).toBeLessThanOrEqual(MANIFEST_LIMITS.maxRenditions);
      expect(parsed!.variants.length).toBeLessThanOrEqual(MANIFEST_LIMITS.maxVariants);
      for (const r of parsed!.renditions) expect(r.segments.length).toBeLessThanOrEqual(MANIFEST_LIMITS.maxSegmentsPerRendition);
    });
  }

  it('parseRangeHeader refuses megabyte headers without reading them', () => {
    for (const h of [`bytes=${'0'.repeat(1_000_000)}-`, `bytes=${' '.repeat(1_000_000)}1-2`, `bytes=${'1-2,'.repeat(300_000)}`]) {
      expect(parseRangeHeader(h)).toBeNull();
    }
  });
});
