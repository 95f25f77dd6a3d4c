/**
 * ICE servers left to the P2P server (client/peer/ServerIce) and what is taken of its answer
 * (client/peer/iceServersFrom), and how a link is told relayed (client/peer/isRelayed). Fake time.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IceServer } from '../../core/config';
import { iceServersFrom } from '../../client/peer/iceServersFrom';
import { isRelayed, type StatsSource } from '../../client/peer/isRelayed';
import { ServerIce } from '../../client/peer/ServerIce';

describe('iceServersFrom', () => {
  it('keeps well-formed STUN and TURN entries with their credentials', () => {
    const answer = [
      { urls: 'stun:p2p.site.example:8080' },
      { urls: ['turn:turn.site.example:3478?transport=udp', 'turns:turn.site.example:5349'], username: '1700000000:abc', credential: 'c2VjcmV0' },
    ];
    expect(iceServersFrom(answer, true)).toEqual([
      { urls: ['stun:p2p.site.example:8080'] },
      { urls: ['turn:turn.site.example:3478?transport=udp', 'turns:turn.site.example:5349'], username: '1700000000:abc', credential: 'c2VjcmV0' },
    ]);
  });

  it('drops TURN entries when relays are not allowed', () => {
    const answer = [{ urls: 'stun:a.example' }, { urls: ['turn:b.example', 'stun:c.example'], username: 'u', credential: 'c' }];
    expect(iceServersFrom(answer, false)).toEqual([{ urls: ['stun:a.example'] }, { urls: ['stun:c.example'], username: 'u', credential: 'c' }]);
  });

  it('drops anything malformed, and bounds counts and sizes', () => {
    for (const junk of [null, 'stun:x', 5, {}, { iceServers: [] }]) expect(iceServersFrom(junk, true)).toEqual([]);
    expect(iceServersFrom([null, 5, 'stun:x', { urls: 5 }, { urls: ['http://x', 'javascript:alert(1)', 'stun: spaced'] }], true)).toEqual([]);
    expect(iceServersFrom([{ urls: `stun:${'a'.repeat(600)}` }], true)).toEqual([]);
    expect(iceServersFrom([{ urls: 'stun:x', username: 5, credential: 'c'.repeat(600) }], true)).toEqual([{ urls: ['stun:x'] }]);
    const many = Array.from({ length: 20 }, (_, i) => ({ urls: Array.from({ length: 20 }, (_, j) => `stun:h${i}-${j}`) }));
    const kept = iceServersFrom(many, true);
    expect(kept).toHaveLength(4);
    for (const s of kept) expect(s.urls).toHaveLength(4);
  });
});

describe('ServerIce', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(ask: (peerId: string, token: string, relay: boolean) => Promise<unknown>, allowRelayedPeers = true) {
    const applied: IceServer[][] = [];
    const errors: string[] = [];
    const asked: Array<[string, string, boolean]> = [];
    const ice = new ServerIce({
      config: { iceServers: null, allowRelayedPeers },
      ask: (id, token, relay) => {
        asked.push([id, token, relay]);
        return ask(id, token, relay);
      },
      apply: (s) => void applied.push(s),
      onError: (e) => void errors.push(e.code),
    });
    return { ice, applied, errors, asked };
  }

  it('sets the servers the P2P server answers for this peer id, and renews them before they expire', async () => {
    const t = setup(async () => ({ iceServers: [{ urls: 'stun:p2p:8080' }, { urls: 'turn:p2p:3478', username: 'x', credential: 'y' }], ttlSec: 600 }));
    await t.ice.ready('peer-1', 'tok');
    expect(t.asked).toEqual([['peer-1', 'tok', true]]);
    expect(t.applied).toEqual([[{ urls: ['stun:p2p:8080'] }, { urls: ['turn:p2p:3478'], username: 'x', credential: 'y' }]]);
    await vi.advanceTimersByTimeAsync(600_000 * 0.8 - 1);
    expect(t.asked).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.asked).toHaveLength(2);
    t.ice.destroy();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(t.asked).toHaveLength(2);
  });

  it('asks without relays, and keeps none, when relayed peers are not allowed', async () => {
    const t = setup(async () => ({ iceServers: [{ urls: 'stun:p2p:8080' }, { urls: 'turn:p2p:3478', username: 'x', credential: 'y' }] }), false);
    await t.ice.ready('peer-1', 'tok');
    expect(t.asked[0]![2]).toBe(false);
    expect(t.applied).toEqual([[{ urls: ['stun:p2p:8080'] }]]);
  });

  it('a server that cannot say: nothing applied, one error, asked again a minute later', async () => {
    const t = setup(async () => {
      throw new Error('tracker ice answered 404');
    });
    await t.ice.ready('peer-1', 'tok');
    expect(t.applied).toEqual([]);
    expect(t.errors).toEqual(['server-unreachable']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.asked).toHaveLength(2);
    t.ice.destroy();
  });

  it('a ttl out of bounds is clamped (renewal never sooner than 48 s)', async () => {
    const t = setup(async () => ({ iceServers: [], ttlSec: 1 }));
    await t.ice.ready('peer-1', 'tok');
    await vi.advanceTimersByTimeAsync(47_999);
    expect(t.asked).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.asked).toHaveLength(2);
    t.ice.destroy();
  });
});

describe('isRelayed', () => {
  /** A stats report made of entries, as getStats gives it. */
  const source = (entries: Array<Record<string, unknown>>): StatsSource => ({
    getStats: async () => {
      const map = new Map(entries.map((e) => [e.id as string, e]));
      return map;
    },
  });
  const candidates = (local: string, remote: string) => [
    { id: 'L', type: 'local-candidate', candidateType: local },
    { id: 'R', type: 'remote-candidate', candidateType: remote },
  ];

  it("reads the transport's selected pair (Chromium)", async () => {
    const pair = { id: 'P', type: 'candidate-pair', state: 'succeeded', localCandidateId: 'L', remoteCandidateId: 'R' };
    expect(await isRelayed(source([{ id: 'T', type: 'transport', selectedCandidatePairId: 'P' }, pair, ...candidates('relay', 'srflx')]))).toBe(true);
    expect(await isRelayed(source([{ id: 'T', type: 'transport', selectedCandidatePairId: 'P' }, pair, ...candidates('srflx', 'relay')]))).toBe(true);
    expect(await isRelayed(source([{ id: 'T', type: 'transport', selectedCandidatePairId: 'P' }, pair, ...candidates('srflx', 'host')]))).toBe(false);
  });

  it('falls back to a selected pair that succeeded (Firefox), and says false when it cannot tell', async () => {
    const selected = { id: 'P', type: 'candidate-pair', state: 'succeeded', selected: true, localCandidateId: 'L', remoteCandidateId: 'R' };
    expect(await isRelayed(source([selected, ...candidates('relay', 'host')]))).toBe(true);
    expect(await isRelayed(source([{ ...selected, state: 'failed' }, ...candidates('relay', 'host')]))).toBe(false);
    expect(await isRelayed(source([]))).toBe(false);
    expect(await isRelayed(undefined)).toBe(false);
  });
});
