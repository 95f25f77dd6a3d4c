/** Issue 10: bans are bounded (oldest dropped) and expire. A fake clock throughout. */
import { describe, expect, it } from 'vitest';
import { BAN_MS, BANS_MAX, BanPolicy } from '../../client/peer/BanPolicy';

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('BanPolicy', () => {
  it('bans for an hour by default, then forgets the peer', () => {
    const c = clock();
    const bans = new BanPolicy(c.now);
    expect(BAN_MS).toBe(60 * 60 * 1000);
    bans.ban('p1', 'protocol-violation');
    expect(bans.has('p1')).toBe(true);
    expect(bans.size).toBe(1);
    c.advance(BAN_MS - 1);
    expect(bans.has('p1')).toBe(true);
    c.advance(1);
    expect(bans.has('p1')).toBe(false);
    expect(bans.size).toBe(0);
  });

  it('counts only the bans still running', () => {
    const c = clock();
    const bans = new BanPolicy(c.now, { banMs: 1000 });
    bans.ban('a', 'rate-exceeded');
    c.advance(600);
    bans.ban('b', 'size-exceeded');
    c.advance(600);
    expect(bans.size).toBe(1);
    expect(bans.has('a')).toBe(false);
    expect(bans.has('b')).toBe(true);
  });

  it(`holds at most ${BANS_MAX} peers by default, dropping the oldest ban first`, () => {
    const c = clock();
    const bans = new BanPolicy(c.now);
    for (let i = 0; i <= BANS_MAX; i++) {
      bans.ban(`p${i}`, 'too-many-requests');
      c.advance(1);
    }
    expect(bans.size).toBe(BANS_MAX);
    expect(bans.has('p0')).toBe(false);
    expect(bans.has('p1')).toBe(true);
    expect(bans.has(`p${BANS_MAX}`)).toBe(true);
  });

  it('a repeated ban renews it and makes it the newest', () => {
    const c = clock();
    const bans = new BanPolicy(c.now, { maxBans: 3, banMs: 1000 });
    bans.ban('a', 'protocol-violation');
    bans.ban('b', 'protocol-violation');
    c.advance(900);
    bans.ban('a', 'integrity-mismatch'); // renewed: lasts until 1900
    bans.ban('c', 'protocol-violation');
    bans.ban('d', 'protocol-violation'); // over the bound: 'b' is now the oldest ban
    expect(bans.has('b')).toBe(false);
    expect(bans.has('a')).toBe(true);
    c.advance(500); // 1400: a ban made at 0 would have ended
    expect(bans.has('a')).toBe(true);
    c.advance(500); // 1900
    expect(bans.has('a')).toBe(false);
  });

  it('bans for protocol and bounds violations only when a link closes', () => {
    for (const reason of ['protocol-violation', 'size-exceeded', 'rate-exceeded', 'too-many-requests']) {
      expect(BanPolicy.bansFor(reason), reason).toBe(true);
    }
    for (const reason of ['closed', 'peer-closed', 'peer-timeout', 'peer-stall', 'integrity-mismatch']) {
      expect(BanPolicy.bansFor(reason), reason).toBe(false);
    }
  });
});
