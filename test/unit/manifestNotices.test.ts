import { describe, expect, it } from 'vitest';
import { manifestNotices } from '../../core/manifestNotices';
import { parseHlsPlaylist } from '../../core/manifest/parseHlsPlaylist';
import { readFixture } from '../fixtures/manifests/readFixture';

const SITE = 'https://site.example';
const BASE = 'https://media.example.com/a/b/';

describe('manifestNotices — an HLS master', () => {
  it("each variant's swarm, with the rate of the next rung above it when both are declared", () => {
    const notices = manifestNotices(parseHlsPlaylist(readFixture('hls-apple-master.m3u8'), `${BASE}master.m3u8`), SITE);
    const bySwarm = (dir: string) => notices.find((n) => n.swarm === `${SITE}|${dir}`);
    expect(notices.every((n) => n.entries.length === 0 && n.live === false)).toBe(true);
    // 2168183 → 7968416 → 8190919 (the top, on another host); audio and subtitles have no rate
    expect(bySwarm('https://media.example.com/a/b/v5/')?.nextUpBitsPerSec).toBe(7968416);
    expect(bySwarm('https://media.example.com/a/b/v9/')?.nextUpBitsPerSec).toBe(8190919);
    expect(bySwarm('https://cdn2.example.com/bipbop/v9/')).toEqual({ swarm: `${SITE}|https://cdn2.example.com/bipbop/v9/`, live: false, entries: [] });
    expect(bySwarm('https://media.example.com/a/b/a1/')).not.toHaveProperty('nextUpBitsPerSec');
  });

  it('the next rung is the smallest rate above, whatever the order; equal rates are no rung up', () => {
    const text = ['#EXTM3U',
      '#EXT-X-STREAM-INF:BANDWIDTH=1500000', 'hi/i.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=300000', 'lo/i.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=800000', 'mid/i.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=800000', 'mid2/i.m3u8', ''].join('\n');
    const up = Object.fromEntries(manifestNotices(parseHlsPlaylist(text, `${BASE}m.m3u8`), SITE)
      .map((n) => [n.swarm.slice(n.swarm.lastIndexOf('b/') + 2), n.nextUpBitsPerSec ?? null]));
    expect(up).toEqual({ 'hi/': null, 'lo/': 800000, 'mid/': 1500000, 'mid2/': 1500000 });
  });
});
