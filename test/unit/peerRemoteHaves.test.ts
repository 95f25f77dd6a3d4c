/** What one peer announced, on its own (fake clock). */
import { describe, expect, it } from 'vitest';
import { ANNOUNCE_MESSAGE_COST, RemoteHaves } from '../../client/peer/RemoteHaves';
import { SwarmError } from '../../core/SwarmError';

const SWARM = 'http://site|http://cdn/v/';
const k = (n: number) => `http://cdn/v/seg${n}.ts`;

function make(limits: Partial<ConstructorParameters<typeof RemoteHaves>[0]> = {}) {
  let t = 0;
  let ignoredCalls = 0;
  const haves = new RemoteHaves({ maxRemoteKeys: 100, ...limits }, () => t, false, () => void ignoredCalls++);
  return { haves, advance: (ms: number) => void (t += ms), ignored: () => ignoredCalls };
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof SwarmError) return err.code;
    throw err;
  }
  return 'no-throw';
};

describe('RemoteHaves', () => {
  it('have adds keys, lost and absent remove them; have ends fetching news of a key', () => {
    const { haves } = make();
    haves.receive({ t: 'fetching', swarm: SWARM, keys: [k(1)] });
    expect(haves.isFetching(k(1))).toBe(true);
    expect(haves.onlyFetching(k(1))).toBe(true);
    haves.receive({ t: 'have', swarm: SWARM, keys: [k(1), k(2)] });
    expect(haves.has(k(1)) && haves.has(k(2))).toBe(true);
    expect(haves.isFetching(k(1))).toBe(false);
    expect(haves.onlyFetching(k(1))).toBe(false);
    expect(haves.charCount).toBe(k(1).length + k(2).length);
    haves.receive({ t: 'lost', swarm: SWARM, keys: [k(1)] });
    haves.absent(k(2));
    expect(haves.has(k(1)) || haves.has(k(2))).toBe(false);
    expect(haves.charCount).toBe(0);
  });

  it('a key outside the swarm it is announced for is a protocol violation (have and fetching)', () => {
    const { haves } = make();
    expect(codeOf(() => haves.receive({ t: 'have', swarm: SWARM, keys: ['http://evil/x.ts'] }))).toBe('protocol-violation');
    expect(codeOf(() => haves.receive({ t: 'fetching', swarm: SWARM, keys: ['http://cdn/v/sub/x.ts'] }))).toBe('protocol-violation');
  });

  it('remembers at most maxRemoteKeys and maxRemoteKeyChars, forgetting the oldest', () => {
    const { haves } = make({ maxRemoteKeys: 3, maxRemoteKeyChars: 10_000 });
    haves.receive({ t: 'have', swarm: SWARM, keys: [k(1), k(2), k(3), k(4)] });
    expect([1, 2, 3, 4].map((n) => haves.has(k(n)))).toEqual([false, true, true, true]);
    const small = make({ maxRemoteKeyChars: 2 * k(1).length }).haves;
    small.receive({ t: 'have', swarm: SWARM, keys: [k(1), k(2), k(3)] });
    expect([1, 2, 3].map((n) => small.has(k(n)))).toEqual([false, true, true]);
  });

  it('charges each announcement its key characters plus ANNOUNCE_MESSAGE_COST: faster than the rate is rate-exceeded', () => {
    const { haves, advance } = make({ announceCharsPerSec: 1000, announceBurstChars: 1000 });
    const keys = [k(1)];
    const cost = ANNOUNCE_MESSAGE_COST + k(1).length;
    const fits = Math.floor(1000 / cost);
    for (let i = 0; i < fits; i++) haves.receive({ t: 'have', swarm: SWARM, keys });
    expect(codeOf(() => haves.receive({ t: 'lost', swarm: SWARM, keys }))).toBe('rate-exceeded');
    advance(1000);
    expect(codeOf(() => haves.receive({ t: 'have', swarm: SWARM, keys }))).toBe('no-throw');
  });

  it('fetching news is ignored after 3 requests on it ended with nothing in a row; a delivery clears the strikes', () => {
    const { haves, ignored } = make();
    haves.strike();
    haves.strike();
    haves.delivered();
    haves.strike();
    haves.strike();
    haves.receive({ t: 'fetching', swarm: SWARM, keys: [k(1)] });
    expect(haves.isFetching(k(1))).toBe(true);
    haves.strike();
    expect(ignored()).toBe(1);
    expect(haves.isFetching(k(1))).toBe(false);
    haves.receive({ t: 'fetching', swarm: SWARM, keys: [k(2)] });
    expect(haves.isFetching(k(2))).toBe(false);
  });

  it('clear() forgets everything announced', () => {
    const { haves } = make();
    haves.receive({ t: 'have', swarm: SWARM, keys: [k(1)] });
    haves.receive({ t: 'fetching', swarm: SWARM, keys: [k(2)] });
    haves.clear();
    expect(haves.has(k(1)) || haves.isFetching(k(2))).toBe(false);
    expect(haves.charCount).toBe(0);
  });
});
