/**
 * The frame decoder at the link boundary (moved from fuzzBounds.test.ts with issue 10, every assertion kept; the
 * link's collections are now its parts in client/peer/): any sequence of messages and frames a peer can send a
 * PeerLink never throws out of it, ends the link only with a known code, keeps every collection within its bound,
 * never holds more bytes than allowed, and lets no request hang.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PeerLink, type PeerLinkLimits, type Received } from '../../client/PeerLink';
import { encodeControl, FRAME_PAYLOAD_BYTES, PROTOCOL_VERSION, type ControlMessage } from '../../client/protocol';
import type { StoredSegment } from '../../client/SegmentStore';
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

/** What the property reads inside a link: its parts in client/peer/ (Downloads, Uploads, RemoteHaves). */
interface LinkInternals {
  downloads: { size: number; open: Map<number, { assembly: { receivedBytes: number } | null }>; tombstones: Map<number, number> };
  uploads: { size: number };
  haves: { keys: Iterable<string> & { size: number }; fetching: { size: number } };
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
          expect(inner.downloads.tombstones.size).toBeLessThanOrEqual(64);
          expect(inner.haves.keys.size).toBeLessThanOrEqual(limits.maxRemoteKeys);
          expect(inner.haves.fetching.size).toBeLessThanOrEqual(512);
          expect(inner.uploads.size).toBeLessThanOrEqual(limits.maxRequestsInFlight);
          for (const d of inner.downloads.open.values()) expect(d.assembly?.receivedBytes ?? 0).toBeLessThanOrEqual(limits.segmentMaxBytes);
          for (const k of inner.haves.keys) expect(KEYS).toContain(k);
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
