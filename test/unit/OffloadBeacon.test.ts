/** Issue 12 §3.4: the page side of the offload beacons, with fake timers and a fake post (and a fake fetch below). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OffloadBeacon, type BeaconBody, type BeaconBytes } from '../../client/OffloadBeacon';
import { TrackerClient } from '../../client/TrackerClient';
import { mergeConfig } from '../../core/mergeConfig';
import { SwarmError } from '../../core/SwarmError';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

function setup(answer: (body: BeaconBody) => Promise<unknown> = async () => null) {
  const totals: BeaconBytes = { httpBytes: 0, p2pBytes: 0, uploadedBytes: 0 };
  const state = { enabled: true, peer: { peerId: 'p1', token: 't1' } as { peerId: string; token: string } | null };
  const posts: Array<{ body: BeaconBody; last: boolean }> = [];
  const beacon = new OffloadBeacon({
    intervalMs: 10_000,
    totals: () => totals,
    enabled: () => state.enabled,
    peer: () => state.peer,
    post: (body, last) => {
      posts.push({ body, last });
      return answer(body);
    },
  });
  beacon.start();
  return { beacon, totals, state, posts };
}

describe('OffloadBeacon', () => {
  it('posts the deltas since the previous beacon, once per interval, with the peer id and token', async () => {
    const t = setup();
    t.totals.httpBytes = 1000;
    t.totals.p2pBytes = 500;
    await vi.advanceTimersByTimeAsync(9_999);
    expect(t.posts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    t.totals.p2pBytes = 2500;
    t.totals.uploadedBytes = 70;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.posts).toEqual([
      { body: { peerId: 'p1', token: 't1', httpBytes: 1000, p2pBytes: 500, uploadedBytes: 0 }, last: false },
      { body: { peerId: 'p1', token: 't1', httpBytes: 0, p2pBytes: 2000, uploadedBytes: 70 }, last: false },
    ]);
  });

  it('sends nothing when nothing moved, and never more than one per interval', async () => {
    const t = setup();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(t.posts).toEqual([]);
    for (let i = 0; i < 100; i++) {
      t.totals.httpBytes += 10;
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(t.posts.length).toBe(10);
    expect(t.posts.reduce((n, p) => n + p.body.httpBytes, 0)).toBeLessThanOrEqual(1000);
  });

  it('a failed beacon is dropped, not sent again (its bytes are not counted twice); the next one goes on', async () => {
    let fail = true;
    const t = setup(async () => {
      if (fail) throw new SwarmError('server-unreachable', 'tracker beacon answered 429', { status: 429 });
      return null;
    });
    t.totals.httpBytes = 1000;
    await vi.advanceTimersByTimeAsync(10_000);
    fail = false;
    t.totals.httpBytes = 1200;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.posts.map((p) => p.body.httpBytes)).toEqual([1000, 200]);
  });

  it('one on its way at a time: a beacon that hangs holds the next ones back, its bytes go with the one after', async () => {
    let release: () => void = () => {};
    let hang = true;
    const t = setup(() => (hang ? new Promise<void>((r) => (release = r)) : Promise.resolve()));
    t.totals.httpBytes = 100;
    await vi.advanceTimersByTimeAsync(10_000);
    t.totals.httpBytes = 300;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(t.posts).toHaveLength(1);
    hang = false;
    release();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.posts.map((p) => p.body.httpBytes)).toEqual([100, 200]);
  });

  it('a server without metrics (404) is not asked again this session, on destroy neither', async () => {
    const t = setup(async () => {
      throw new SwarmError('server-unreachable', 'tracker beacon answered 404', { status: 404 });
    });
    t.totals.httpBytes = 100;
    await vi.advanceTimersByTimeAsync(10_000);
    t.totals.httpBytes = 200;
    await vi.advanceTimersByTimeAsync(60_000);
    t.beacon.destroy();
    expect(t.posts).toHaveLength(1);
  });

  it('a count over the server\'s bound (2^31) is sent in parts, one per beacon', async () => {
    const t = setup();
    t.totals.p2pBytes = 2 ** 31 + 5;
    t.totals.httpBytes = 3;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(t.posts.map((p) => [p.body.httpBytes, p.body.p2pBytes])).toEqual([[3, 2 ** 31], [0, 5]]);
  });

  it('while P2P is off nothing is sent, and what moved meanwhile is never reported', async () => {
    const t = setup();
    t.state.enabled = false;
    t.totals.httpBytes = 5000;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(t.posts).toEqual([]);
    t.state.enabled = true;
    t.totals.httpBytes = 5100;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.posts.map((p) => p.body.httpBytes)).toEqual([100]);
  });

  it('before signalling is up (no peer id) the bytes wait for the next beacon', async () => {
    const t = setup();
    t.state.peer = null;
    t.totals.httpBytes = 700;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.posts).toEqual([]);
    t.state.peer = { peerId: 'p2', token: 't2' };
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.posts.map((p) => [p.body.peerId, p.body.httpBytes])).toEqual([['p2', 700]]);
  });

  it('destroy sends one last beacon (keepalive) with what moved since, then nothing more', async () => {
    const t = setup();
    t.totals.uploadedBytes = 42;
    t.beacon.destroy();
    t.beacon.destroy();
    t.totals.uploadedBytes = 100;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.posts).toEqual([{ body: { peerId: 'p1', token: 't1', httpBytes: 0, p2pBytes: 0, uploadedBytes: 42 }, last: true }]);
  });
});

describe('TrackerClient.beacon', () => {
  it('POSTs JSON to swarmfetch/v1/beacon without credentials, keepalive when asked; a 404 rejects with its status', async () => {
    const seen: Array<{ url: string; init: RequestInit }> = [];
    let status = 204;
    const tracker = new TrackerClient({
      baseUrl: 'https://p2p.example/base/',
      timeoutMs: 1000,
      fetch: (async (url: string, init: RequestInit) => {
        seen.push({ url, init });
        return new Response(null, { status });
      }) as unknown as typeof fetch,
    });
    const body = { peerId: 'p1', token: 't1', httpBytes: 1, p2pBytes: 2, uploadedBytes: 3 };
    await tracker.beacon(body, true);
    expect(seen[0]!.url).toBe('https://p2p.example/base/swarmfetch/v1/beacon');
    expect(seen[0]!.init).toMatchObject({ method: 'POST', credentials: 'omit', keepalive: true });
    expect(JSON.parse(String(seen[0]!.init.body))).toEqual(body);
    status = 404;
    const err = await tracker.beacon(body, false).catch((e: unknown) => e);
    expect(SwarmError.is(err, 'server-unreachable')).toBe(true);
    expect((err as SwarmError).details.status).toBe(404);
    expect(seen[1]!.init.keepalive).toBe(false);
  });
});

describe('offloadBeaconIntervalMs', () => {
  it('is off by default; when on it is clamped to 10 s–1 h', () => {
    expect(mergeConfig({}).offloadBeaconIntervalMs).toBe(0);
    expect(mergeConfig({ offloadBeaconIntervalMs: 0 }).offloadBeaconIntervalMs).toBe(0);
    expect(mergeConfig({ offloadBeaconIntervalMs: 1 }).offloadBeaconIntervalMs).toBe(10_000);
    expect(mergeConfig({ offloadBeaconIntervalMs: '30000' }).offloadBeaconIntervalMs).toBe(30_000);
    expect(mergeConfig({ offloadBeaconIntervalMs: 1e9 }).offloadBeaconIntervalMs).toBe(3_600_000);
    expect(mergeConfig({ offloadBeaconIntervalMs: -5 }).offloadBeaconIntervalMs).toBe(0);
  });
});
