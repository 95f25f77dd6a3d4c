/**
 * A peer whose transfers keep starting and not finishing in time (a drip) is dropped after three strikes in a row;
 * one slow moment of an honest peer — several of our transfers with it failing together — is one strike (issue 14).
 */
import { describe, expect, it } from 'vitest';
import { PeerFetch } from '../../client/PeerFetch';
import type { PeerLink, Received } from '../../client/PeerLink';
import { SwarmError } from '../../core/SwarmError';

const SWARM = 'http://site|http://cdn/v/';
const key = (i: number) => `http://cdn/v/seg${i}.ts`;

/** A link whose requests wait until the test settles them. */
function heldLink(id: string) {
  const pending: Array<{ key: string; settle(r: Received | Error): void }> = [];
  const link = {
    remoteId: id,
    request: (k: string) =>
      new Promise<Received>((resolve, reject) => pending.push({ key: k, settle: (r) => (r instanceof Error ? reject(r) : resolve(r)) })),
  } as unknown as PeerLink;
  return { link, pending };
}

const late = () => new SwarmError('peer-timeout', 'late at its pace', { received: 64_000 });
const body = (): Received => ({ body: new Blob([new Uint8Array(10)]), bytes: new Uint8Array(10), totalBytes: 10, contentType: null });

/** One request of `key(i)` that fails late at the peer's pace (given `timeoutMs`). */
async function failOnce(fetcher: PeerFetch, l: ReturnType<typeof heldLink>, i: number, timeoutMs = 4000): Promise<void> {
  const one = fetcher.fetch(l.link, key(i), SWARM, timeoutMs, 0).catch((e: unknown) => e);
  l.pending.shift()!.settle(late());
  await one;
}

function setup() {
  const banned: Array<[string, string]> = [];
  const fetcher = new PeerFetch({
    meta: { totalBytes: () => null, contentType: () => 'video/mp2t' },
    segmentMaxBytes: 1_000_000,
    now: () => 0,
    ban: (peer, reason) => banned.push([peer, reason]),
  });
  return { fetcher, banned };
}

describe('PeerFetch strikes', () => {
  it('three transfers failing together (one slow moment) are one strike: the peer stays', async () => {
    const { fetcher, banned } = setup();
    const { link, pending } = heldLink('honest');
    const four = [1, 2, 3, 4].map((i) => fetcher.fetch(link, key(i), SWARM, 4000, 0).catch((e: unknown) => e));
    for (const p of pending.splice(0)) p.settle(late());
    expect((await Promise.all(four)).every((e) => SwarmError.is(e, 'peer-timeout'))).toBe(true);
    expect(banned).toEqual([]);
    // asked after that moment: a second strike, and a third; then it is a drip
    for (const i of [5, 6]) await failOnce(fetcher, { link, pending }, i);
    expect(banned).toEqual([['honest', 'peer-stall']]);
  });

  it('a drip asked one transfer after the other is banned at its third', async () => {
    const { fetcher, banned } = setup();
    const drip = heldLink('drip');
    for (const i of [1, 2, 3]) {
      expect(banned).toEqual([]);
      await failOnce(fetcher, drip, i);
    }
    expect(banned).toEqual([['drip', 'peer-stall']]);
  });

  it('a delivery clears the strikes; short tries (< 1 s) and other peers never count', async () => {
    const { fetcher, banned } = setup();
    const a = heldLink('a');
    const b = heldLink('b');
    const fail = (l: ReturnType<typeof heldLink>, i: number, timeoutMs?: number) => failOnce(fetcher, l, i, timeoutMs);
    await fail(a, 1);
    await fail(a, 2);
    const ok = fetcher.fetch(a.link, key(3), SWARM, 4000, 0);
    a.pending.shift()!.settle(body());
    await ok;
    await fail(a, 4);
    await fail(a, 5);
    await fail(b, 6);
    await fail(b, 7);
    for (let i = 8; i < 12; i++) await fail(a, i, 800);
    expect(banned).toEqual([]);
    await fail(a, 12);
    expect(banned).toEqual([['a', 'peer-stall']]);
  });
});
