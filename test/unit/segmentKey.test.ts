import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_KEY_LENGTH, segmentKey } from '../../core/contract';

describe('segmentKey', () => {
  it('is the absolute URL without query or fragment', () => {
    expect(segmentKey('https://cdn.example/live/720p/seg12.ts?token=abc&t=1#frag')).toBe(
      'https://cdn.example/live/720p/seg12.ts',
    );
  });

  it('gives viewers with different tokens or cache busters the same key', () => {
    const a = segmentKey('https://cdn.example/v/seg1.m4s?token=alice');
    const b = segmentKey('https://cdn.example/v/seg1.m4s?token=bob&_=12345');
    expect(a).not.toBeNull();
    expect(a).toBe(b);
  });

  it('tells apart different files, directories, hosts, ports and schemes', () => {
    const keys = [
      'https://cdn.example/v/seg1.ts',
      'https://cdn.example/v/seg2.ts',
      'https://cdn.example/w/seg1.ts',
      'https://other.example/v/seg1.ts',
      'https://cdn.example:8443/v/seg1.ts',
      'http://cdn.example/v/seg1.ts',
    ].map((u) => segmentKey(u));
    expect(keys.every((k) => k !== null)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('normalises what URL parsing normalises (host case, default port, dot segments)', () => {
    const expected = 'https://cdn.example/v/seg1.ts';
    expect(segmentKey('HTTPS://CDN.Example:443/v/seg1.ts')).toBe(expected);
    expect(segmentKey('https://cdn.example/v/x/../seg1.ts')).toBe(expected);
    expect(segmentKey('http://cdn.example:80/a.ts')).toBe('http://cdn.example/a.ts');
  });

  it('appends the byte range when only part of the file is asked for', () => {
    const url = 'https://cdn.example/v/media.mp4?x=1';
    expect(segmentKey(url, { start: 0, end: 999 })).toBe('https://cdn.example/v/media.mp4#0-999');
    expect(segmentKey(url, { start: 1000 })).toBe('https://cdn.example/v/media.mp4#1000-');
    expect(segmentKey(url, null)).toBe('https://cdn.example/v/media.mp4');
  });

  it('gives a range a key different from the whole file and from other ranges', () => {
    const url = 'https://cdn.example/v/media.mp4';
    const keys = [
      segmentKey(url),
      segmentKey(url, { start: 0, end: 99 }),
      segmentKey(url, { start: 0, end: 100 }),
      segmentKey(url, { start: 0 }),
      segmentKey(url, { start: 1, end: 99 }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('refuses URLs that cannot be shared', () => {
    for (const url of [
      '',
      'seg1.ts',
      '/v/seg1.ts',
      'not a url',
      'data:video/mp2t;base64,AAAA',
      'blob:https://cdn.example/0b7a5b0e-6e0e-4b4c-9a4e-3c6a7b8c9d0e',
      'file:///srv/media/seg1.ts',
      'ftp://cdn.example/seg1.ts',
      'ws://cdn.example/seg1.ts',
    ]) {
      expect(segmentKey(url), url).toBeNull();
    }
  });

  it('refuses keys longer than MAX_KEY_LENGTH and keeps those of exactly that length', () => {
    const prefix = 'https://cdn.example/';
    const exact = prefix + 'a'.repeat(MAX_KEY_LENGTH - prefix.length);
    expect(segmentKey(exact)).toBe(exact);
    expect(segmentKey(exact + 'a')).toBeNull();
    // a range suffix counts towards the limit
    expect(segmentKey(exact, { start: 0, end: 1 })).toBeNull();
  });

  it('never throws, and any key is a bounded http(s) URL without query', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.webUrl({ withQueryParameters: true, withFragments: true })),
        fc.option(fc.record({ start: fc.nat(), end: fc.option(fc.nat(), { nil: undefined }) }), { nil: undefined }),
        (url, range) => {
          const key = segmentKey(url, range);
          if (key === null) return;
          expect(key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
          expect(key).toMatch(/^https?:\/\//);
          expect(key).not.toContain('?');
          if (!range) expect(key).not.toContain('#');
        },
      ),
    );
  });

  it('is stable: the key of a key is itself', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        const key = segmentKey(url);
        if (key !== null) expect(segmentKey(key)).toBe(key);
      }),
    );
  });
});
