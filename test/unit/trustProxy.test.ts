import { describe, expect, it } from 'vitest';
import { clientFields, clientOfRequest } from '../../server/clientOfRequest';
import { forwardedClient, MAX_FORWARDED_CHARS } from '../../server/forwardedClient';
import { isTrustEntry, proxyTrust } from '../../server/proxyTrust';

describe('proxyTrust', () => {
  it('trusts nothing with 0 or [], the first N hops with N', () => {
    expect(proxyTrust(0)('127.0.0.1', 0)).toBe(false);
    expect(proxyTrust([])('127.0.0.1', 0)).toBe(false);
    const two = proxyTrust(2);
    expect([two('198.51.100.1', 0), two('198.51.100.1', 1), two('198.51.100.1', 2)]).toEqual([true, true, false]);
  });

  it('trusts addresses in the ranges at any hop: IPv4, IPv6, single addresses, loopback; IPv4-mapped as IPv4', () => {
    const t = proxyTrust(['10.0.0.0/8', 'fd00::/8', '192.0.2.7', 'loopback']);
    for (const yes of ['10.1.2.3', '192.0.2.7', 'fd12::1', '127.0.0.1', '127.9.9.9', '::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1']) {
      expect(t(yes, 5), yes).toBe(true);
    }
    for (const no of ['11.0.0.1', '192.0.2.8', 'fe80::1', '2001:db8::1', '::ffff:192.0.2.8', 'unknown', '']) expect(t(no, 0), no).toBe(false);
  });

  it('accepts as entries only loopback, IP addresses and CIDR ranges', () => {
    for (const ok of ['loopback', '10.0.0.0/8', '10.0.0.1', '10.0.0.1/32', '0.0.0.0/0', '::/0', 'fd00::/8', '2001:db8::1']) expect(isTrustEntry(ok), ok).toBe(true);
    for (const bad of ['10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/8', '10.0.0/8', 'proxy.example', '10.0.0.0/x', '', 'fe80::1%eth0', 7, null]) {
      expect(isTrustEntry(bad), String(bad)).toBe(false);
    }
  });
});

describe('forwardedClient (X-Forwarded-For, right-most untrusted entry)', () => {
  const one = proxyTrust(1);
  const nets = proxyTrust(['10.0.0.0/8']);

  it('answers the direct address when it is not trusted, or without a header', () => {
    expect(forwardedClient('198.51.100.9', '203.0.113.1', proxyTrust(0))).toBe('198.51.100.9');
    expect(forwardedClient('192.0.2.1', '203.0.113.1', nets)).toBe('192.0.2.1');
    expect(forwardedClient('10.0.0.1', undefined, nets)).toBe('10.0.0.1');
    expect(forwardedClient(undefined, '203.0.113.1', one)).toBeUndefined();
  });

  it('by hops: the entry N from the right; what the client wrote to the left is never read', () => {
    expect(forwardedClient('10.0.0.1', '203.0.113.1', one)).toBe('203.0.113.1');
    expect(forwardedClient('10.0.0.1', '1.1.1.1, 203.0.113.1', one)).toBe('203.0.113.1');
    expect(forwardedClient('10.0.0.1', 'garbage, <script>, 203.0.113.1', one)).toBe('203.0.113.1');
    // two proxies: the CDN's address is the right-most entry, the client's the one before it
    expect(forwardedClient('10.0.0.1', '1.1.1.1, 203.0.113.1, 198.51.100.50', proxyTrust(2))).toBe('203.0.113.1');
    // fewer entries than trusted hops: the left-most is the client
    expect(forwardedClient('10.0.0.1', '203.0.113.1', proxyTrust(3))).toBe('203.0.113.1');
  });

  it('by ranges: the right-most entry not in them, past any chain of trusted proxies', () => {
    expect(forwardedClient('10.0.0.1', '203.0.113.1', nets)).toBe('203.0.113.1');
    expect(forwardedClient('10.0.0.1', '203.0.113.1, 10.0.0.2, 10.9.9.9', nets)).toBe('203.0.113.1');
    // a spoofed left-most entry (even one inside the trusted ranges) is ignored
    expect(forwardedClient('10.0.0.1', '10.0.0.66, 203.0.113.1', nets)).toBe('203.0.113.1');
    expect(forwardedClient('10.0.0.1', '1.1.1.1, 203.0.113.1', nets)).toBe('203.0.113.1');
    // all trusted: the left-most is the client
    expect(forwardedClient('10.0.0.1', '10.0.0.5, 10.0.0.2', nets)).toBe('10.0.0.5');
  });

  it('reads IPv6, bracketed and with ports, and IPv4-mapped addresses', () => {
    const v6 = proxyTrust(['fd00::/8', '10.0.0.0/8']);
    expect(forwardedClient('fd00::1', '2001:db8::1', v6)).toBe('2001:db8::1');
    expect(forwardedClient('fd00::1', '[2001:db8::2]:443', v6)).toBe('2001:db8::2');
    expect(forwardedClient('fd00::1', '[2001:db8::3]', v6)).toBe('2001:db8::3');
    expect(forwardedClient('fd00::1', '203.0.113.1:5555', v6)).toBe('203.0.113.1');
    // a dual-stack listener sees an IPv4 proxy as ::ffff:a.b.c.d; a proxy may write one too
    expect(forwardedClient('::ffff:10.0.0.1', '::ffff:203.0.113.1', v6)).toBe('::ffff:203.0.113.1');
    expect(forwardedClient('::ffff:10.0.0.1', '203.0.113.1, ::ffff:10.0.0.9', v6)).toBe('203.0.113.1');
  });

  it('falls back to the direct address when the entry it needs is malformed', () => {
    for (const header of ['', ' ', 'unknown', 'garbage', '203.0.113.1, ', '203.0.113.1,,', 'proxy.example', '[203.0.113.1]', '2001:db8::1:80x', '203.0.113.1:99999999', '[2001:db8::1']) {
      expect(forwardedClient('10.0.0.1', header, nets), JSON.stringify(header)).toBe('10.0.0.1');
    }
  });

  it('reads a bounded tail of the header and a bounded number of hops', () => {
    // a client's huge header: only the tail is read, and its own entry is there
    expect(forwardedClient('10.0.0.1', `${'9.9.9.9, '.repeat(20_000)}203.0.113.1`, nets)).toBe('203.0.113.1');
    expect(forwardedClient('10.0.0.1', `${'x'.repeat(100_000)}, 203.0.113.1`, nets)).toBe('203.0.113.1');
    // every entry read trusted but the header longer than what is read: the client is not known
    const trustedChain = Array.from({ length: 600 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(', ');
    expect(trustedChain.length).toBeGreaterThan(MAX_FORWARDED_CHARS);
    expect(forwardedClient('10.0.0.1', trustedChain, nets)).toBe('10.0.0.1');
    // 32 trusted hops are walked (the left-most is the client), 33 are too many
    const hops = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 2}`).join(',');
    expect(forwardedClient('10.0.0.1', hops(32), nets)).toBe('10.0.0.2');
    expect(forwardedClient('10.0.0.1', hops(33), nets)).toBe('10.0.0.1');
    expect(forwardedClient('10.0.0.1', `203.0.113.1,${hops(33)}`, nets)).toBe('10.0.0.1');
  });

  it('joins repeated headers', () => {
    expect(forwardedClient('10.0.0.1', ['1.1.1.1', '203.0.113.1'], one)).toBe('203.0.113.1');
  });
});

describe('clientOfRequest', () => {
  const req = (remoteAddress: string, xff?: string) => ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as never;

  it('gives the forwarded client, its address group and the proxy; the direct peer when it is no trusted proxy', () => {
    const of = clientOfRequest(proxyTrust(['loopback']));
    expect(of(req('127.0.0.1', '2001:db8:1:2::7'))).toEqual({ ip: '2001:db8:1:2::7', client: '2001:db8:1:2::/64', proxy: '127.0.0.1' });
    expect(of(req('::ffff:127.0.0.1', '::ffff:203.0.113.1'))).toEqual({ ip: '::ffff:203.0.113.1', client: '203.0.113.1', proxy: '::ffff:127.0.0.1' });
    expect(of(req('127.0.0.1'))).toEqual({ ip: '127.0.0.1', client: '127.0.0.1', proxy: '127.0.0.1' });
    expect(of(req('192.0.2.1', '203.0.113.1'))).toEqual({ ip: '192.0.2.1', client: '192.0.2.1', proxy: null });
    // a bare { socket } (no headers at all) is read too
    expect(clientOfRequest(proxyTrust(1))({ socket: { remoteAddress: '10.0.0.1' } } as never)).toEqual({ ip: '10.0.0.1', client: '10.0.0.1', proxy: '10.0.0.1' });
  });

  it('logs ip, and client and proxy where they say more', () => {
    expect(clientFields({ ip: '203.0.113.1', client: '203.0.113.1', proxy: '127.0.0.1' })).toEqual({ ip: '203.0.113.1', proxy: '127.0.0.1' });
    expect(clientFields({ ip: '127.0.0.1', client: '127.0.0.1', proxy: '127.0.0.1' })).toEqual({ ip: '127.0.0.1' });
    expect(clientFields({ ip: '2001:db8::1', client: '2001:db8:0:0::/64', proxy: null })).toEqual({ ip: '2001:db8::1', client: '2001:db8:0:0::/64' });
  });
});
