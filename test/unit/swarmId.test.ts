import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_KEY_LENGTH, keyInSwarm, segmentKey, swarmId } from '../../core/contract';

const SITE = 'https://watch.example';

describe('swarmId', () => {
  it('is the site origin plus the directory of the segment', () => {
    expect(swarmId(SITE, 'https://cdn.example/live/720p/seg12.ts?token=abc')).toBe(
      'https://watch.example|https://cdn.example/live/720p/',
    );
  });

  it('puts segments of the same rendition together, whatever their query strings', () => {
    const a = swarmId(SITE, 'https://cdn.example/live/720p/seg1.ts?token=alice');
    const b = swarmId(SITE, 'https://cdn.example/live/720p/seg2.ts?token=bob');
    expect(a).not.toBeNull();
    expect(a).toBe(b);
  });

  it('separates renditions, streams, CDNs and sites', () => {
    const ids = [
      swarmId(SITE, 'https://cdn.example/live/720p/seg1.ts'),
      swarmId(SITE, 'https://cdn.example/live/480p/seg1.ts'),
      swarmId(SITE, 'https://cdn.example/other/720p/seg1.ts'),
      swarmId(SITE, 'https://cdn2.example/live/720p/seg1.ts'),
      swarmId('https://other-site.example', 'https://cdn.example/live/720p/seg1.ts'),
    ];
    expect(ids.every((id) => id !== null)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses URLs that do not parse', () => {
    for (const url of ['', 'seg1.ts', '/live/seg1.ts', 'not a url']) expect(swarmId(SITE, url), url).toBeNull();
  });

  it('refuses ids longer than MAX_KEY_LENGTH', () => {
    const longDir = 'https://cdn.example/' + 'd'.repeat(MAX_KEY_LENGTH) + '/seg1.ts';
    expect(swarmId(SITE, longDir)).toBeNull();
  });
});

describe('keyInSwarm', () => {
  const swarm = swarmId(SITE, 'https://cdn.example/live/720p/seg1.ts')!;

  it('accepts keys of files in the swarm directory, with or without a range', () => {
    expect(keyInSwarm(segmentKey('https://cdn.example/live/720p/seg99.ts?x=1')!, swarm)).toBe(true);
    expect(keyInSwarm(segmentKey('https://cdn.example/live/720p/init.mp4', { start: 0, end: 799 })!, swarm)).toBe(true);
  });

  it('refuses keys in sub-directories, sibling directories and other origins', () => {
    for (const url of [
      'https://cdn.example/live/720p/sub/seg1.ts',
      'https://cdn.example/live/720/seg1.ts',
      'https://cdn.example/live/720px/seg1.ts',
      'https://cdn.example/live/seg1.ts',
      'https://cdn.example:8443/live/720p/seg1.ts',
      'http://cdn.example/live/720p/seg1.ts',
      'https://cdn.example.evil/live/720p/seg1.ts',
    ]) {
      expect(keyInSwarm(segmentKey(url)!, swarm), url).toBe(false);
    }
  });

  it('refuses a swarm id without the site separator', () => {
    expect(keyInSwarm('https://cdn.example/live/720p/seg1.ts', 'https://cdn.example/live/720p/')).toBe(false);
  });

  it('holds for every shareable segment URL: its key is in its own swarm', () => {
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc.option(fc.record({ start: fc.nat(), end: fc.option(fc.nat(), { nil: undefined }) }), { nil: null }),
        (url, range) => {
          const key = segmentKey(url, range);
          const swarm = swarmId(SITE, url);
          if (key === null || swarm === null) return;
          expect(keyInSwarm(key, swarm)).toBe(true);
        },
      ),
    );
  });

  it('holds for no key of another directory', () => {
    fc.assert(
      fc.property(fc.webUrl(), fc.stringMatching(/^[a-z0-9]{1,8}$/), (url, sub) => {
        const u = new URL(url);
        const dir = u.pathname.slice(0, u.pathname.lastIndexOf('/') + 1);
        const other = `${u.origin}${dir}${sub}/seg.ts`;
        const swarm = swarmId(SITE, url);
        const key = segmentKey(other);
        if (key === null || swarm === null) return;
        expect(keyInSwarm(key, swarm)).toBe(false);
      }),
    );
  });
});
