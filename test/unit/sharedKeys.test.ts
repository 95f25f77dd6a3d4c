/**
 * The segment-id hook (issue 12 §3): a segment's local key (its URL) and its shared key (what peers call it), the
 * drop-in's path-prefix rule, the bounded map back from shared keys to the local keys this page holds, and the
 * options that configure it.
 */
import { describe, expect, it } from 'vitest';
import { MAX_MAPPED_KEYS, MAX_SEGMENT_ID_LENGTH, SharedKeys } from '../../client/SharedKeys';
import { segmentIdFrom } from '../../client/segmentIdFrom';
import { configFromScript } from '../../client/configFromScript';
import { keyInSwarm, segmentKey, swarmId } from '../../core/contract';
import { mergeConfig } from '../../core/mergeConfig';
import type { SwarmErrorCode } from '../../core/SwarmError';
import { thrownCode } from './helpers/thrownCode';

const SITE = 'https://site.example';
const urlOf = (viewer: string, host = 'cdn1') => `https://${host}.example/tok-${viewer}/video/360p/seg_1.ts`;

function keys(hook: ((url: string) => string | null | undefined) | null) {
  const errors: Array<{ code: SwarmErrorCode; message: string }> = [];
  return { keys: new SharedKeys(hook, (e) => errors.push(e)), errors };
}

describe('segmentIdFrom (data-segment-id-from)', () => {
  const fromVideo = segmentIdFrom('/video/');
  it('keeps the path from the first occurrence of the prefix on, whatever host, scheme and token precede it', () => {
    expect(fromVideo(urlOf('alice'))).toBe('/video/360p/seg_1.ts');
    expect(fromVideo(urlOf('bob', 'cdn7'))).toBe('/video/360p/seg_1.ts');
    expect(fromVideo('http://other.example/x/video/a/video/b.ts')).toBe('/video/a/video/b.ts');
  });
  it('gives null (the default key) for a URL whose path lacks the prefix, and never looks at the host', () => {
    expect(fromVideo('https://video.example/other/seg_1.ts')).toBeNull();
  });
});

describe('SharedKeys', () => {
  const fromVideo = segmentIdFrom('/video/');

  it('without a hook, shared keys and swarms are the local ones and nothing is remembered', () => {
    const { keys: k, errors } = keys(null);
    const key = segmentKey(urlOf('alice'))!;
    const swarm = swarmId(SITE, urlOf('alice'))!;
    expect(k.of(key)).toBe(key);
    expect(k.swarm(swarm, key)).toBe(swarm);
    expect(k.swarm(swarm)).toBe(swarm);
    expect(k.local('anything')).toBe('anything');
    const held = new Map([[swarm, [key]]]);
    expect(k.held(held)).toBe(held);
    expect(errors).toEqual([]);
  });

  it('two viewers whose URLs differ by a path token and a CDN host get the same shared key and swarm', () => {
    const a = keys(fromVideo).keys;
    const b = keys(fromVideo).keys;
    const [ka, kb] = [segmentKey(urlOf('alice', 'cdn1'))!, segmentKey(urlOf('bob', 'cdn2'))!];
    expect(ka).not.toBe(kb);
    expect(a.of(ka)).toBe('/video/360p/seg_1.ts');
    expect(b.of(kb)).toBe(a.of(ka));
    const sa = a.swarm(swarmId(SITE, urlOf('alice', 'cdn1'))!, ka)!;
    expect(sa).toBe(`${SITE}|/video/360p/`);
    expect(b.swarm(swarmId(SITE, urlOf('bob', 'cdn2'))!, kb)).toBe(sa);
    // a peer checks every announced key against its swarm: the shared key is in the shared swarm
    expect(keyInSwarm(a.of(ka), sa)).toBe(true);
  });

  it('appends the byte range to the id (the hook sees the URL without it)', () => {
    const seen: string[] = [];
    const { keys: k } = keys((url) => (seen.push(url), fromVideo(url)));
    const key = segmentKey(urlOf('alice'), { start: 0, end: 1023 })!;
    expect(k.of(key)).toBe('/video/360p/seg_1.ts#0-1023');
    expect(seen).toEqual([urlOf('alice')]);
  });

  it('a URL the hook gives null keeps its default key and swarm, without an error', () => {
    const { keys: k, errors } = keys(fromVideo);
    const url = 'https://cdn.example/other/seg_1.ts';
    const swarm = swarmId(SITE, url)!;
    expect(k.of(segmentKey(url)!)).toBe(segmentKey(url));
    expect(k.swarm(swarm, segmentKey(url)!)).toBe(swarm);
    expect(errors).toEqual([]);
  });

  it.each([
    ['throws', () => { throw new Error('boom'); }],
    ['returns an empty string', () => ''],
    ['returns a number', () => 42 as unknown as string],
    ['returns an id with #', () => '/video/a#b'],
    ['returns an id with ?', () => '/video/a?b'],
    ['returns an id longer than MAX_SEGMENT_ID_LENGTH', () => `/${'x'.repeat(MAX_SEGMENT_ID_LENGTH)}`],
  ])('a hook that %s leaves each URL its default key and is reported once (config-invalid)', (_what, hook) => {
    const { keys: k, errors } = keys(hook as (url: string) => string);
    for (const viewer of ['a', 'b', 'c']) {
      const key = segmentKey(urlOf(viewer))!;
      expect(k.of(key)).toBe(key);
      expect(k.of(`${key}#0-9`)).toBe(`${key}#0-9`);
      expect(k.swarm(swarmId(SITE, urlOf(viewer))!, key)).toBe(swarmId(SITE, urlOf(viewer)));
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('config-invalid');
    expect(errors[0]!.message).toContain('segmentId');
  });

  it('an id of exactly MAX_SEGMENT_ID_LENGTH is taken', () => {
    const id = `/${'x'.repeat(MAX_SEGMENT_ID_LENGTH - 1)}`;
    const { keys: k, errors } = keys(() => id);
    expect(k.of(segmentKey(urlOf('a'))!)).toBe(id);
    expect(errors).toEqual([]);
  });

  it('maps a shared key back to the local key while it is announced held or fetching, and forgets it once lost', () => {
    const { keys: k } = keys(fromVideo);
    const key = segmentKey(urlOf('alice'))!;
    const shared = k.of(key);
    expect(k.local(shared)).toBeUndefined(); // not announced: a peer asking for it gets nothing
    k.note('fetching', key, shared);
    expect(k.local(shared)).toBe(key);
    k.note('have', key, shared);
    expect(k.local(shared)).toBe(key);
    k.note('lost', 'https://cdn1.example/tok-other/video/360p/seg_1.ts', shared); // another local key: kept
    expect(k.local(shared)).toBe(key);
    k.note('lost', key, shared);
    expect(k.local(shared)).toBeUndefined();
  });

  it('the map back is bounded: past MAX_MAPPED_KEYS the oldest is forgotten', () => {
    const { keys: k } = keys(fromVideo);
    const local = (i: number) => `https://cdn.example/t/video/360p/seg_${i}.ts`;
    for (let i = 0; i <= MAX_MAPPED_KEYS; i++) k.note('have', local(i), k.of(local(i)));
    expect(k.local('/video/360p/seg_0.ts')).toBeUndefined();
    expect(k.local('/video/360p/seg_1.ts')).toBe(local(1));
    expect(k.local(`/video/360p/seg_${MAX_MAPPED_KEYS}.ts`)).toBe(local(MAX_MAPPED_KEYS));
  });

  it('gives the store\'s keys by swarm as peers know them, and maps them back', () => {
    const { keys: k } = keys(fromVideo);
    const url2 = 'https://cdn1.example/tok-alice/video/720p/seg_1.ts';
    const held = new Map([
      [swarmId(SITE, urlOf('alice'))!, [segmentKey(urlOf('alice'))!, `${segmentKey(urlOf('alice'))!}#0-9`]],
      [swarmId(SITE, url2)!, [segmentKey(url2)!]],
    ]);
    expect(k.held(held)).toEqual(new Map([
      [`${SITE}|/video/360p/`, ['/video/360p/seg_1.ts', '/video/360p/seg_1.ts#0-9']],
      [`${SITE}|/video/720p/`, ['/video/720p/seg_1.ts']],
    ]));
    expect(k.local('/video/720p/seg_1.ts')).toBe(segmentKey(url2));
    expect(k.local('/video/360p/seg_1.ts#0-9')).toBe(`${segmentKey(urlOf('alice'))!}#0-9`);
  });

  it('remembers each local swarm\'s shared swarm for a join or leave without a key; none before a key was seen', () => {
    const { keys: k } = keys(fromVideo);
    const swarm = swarmId(SITE, urlOf('alice'))!;
    expect(k.swarm(swarm)).toBeUndefined();
    k.swarm(swarm, segmentKey(urlOf('alice'))!);
    expect(k.swarm(swarm)).toBe(`${SITE}|/video/360p/`);
  });
});

describe('segmentId and segmentIdFrom options', () => {
  it('take a function (or null) and a string; anything else is config-invalid', () => {
    const hook = (url: string) => url;
    expect(mergeConfig({ segmentId: hook }).segmentId).toBe(hook);
    expect(mergeConfig({}).segmentId).toBeNull();
    expect(mergeConfig({}).segmentIdFrom).toBe('');
    expect(thrownCode(() => mergeConfig({ segmentId: '/video/' as unknown as null }))).toBe('config-invalid');
    expect(thrownCode(() => mergeConfig({ segmentIdFrom: 7 as unknown as string }))).toBe('config-invalid');
  });

  it('the drop-in tag\'s data-segment-id-from sets segmentIdFrom', () => {
    expect(mergeConfig(configFromScript({ segmentIdFrom: '/video/' })).segmentIdFrom).toBe('/video/');
  });
});
