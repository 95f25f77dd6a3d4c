import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SEGMENT_PATTERN } from '../../core/config';
import { compileSegmentPattern, isSegmentRequest } from '../../core/isSegmentRequest';

const pattern = compileSegmentPattern(DEFAULT_SEGMENT_PATTERN);
const get = (url: string) => ({ method: 'GET', url });

describe('isSegmentRequest (default pattern)', () => {
  it('matches GET requests of media segments over http and https', () => {
    for (const ext of ['ts', 'm4s', 'mp4', 'm4v', 'm4a', 'aac']) {
      expect(isSegmentRequest(get(`https://cdn.example/live/720p/seg1.${ext}`), pattern), ext).toBe(true);
      expect(isSegmentRequest(get(`http://127.0.0.1:8080/media/seg1.${ext}`), pattern), ext).toBe(true);
    }
  });

  it('matches extensions in any case', () => {
    expect(isSegmentRequest(get('https://cdn.example/SEG1.TS'), pattern)).toBe(true);
    expect(isSegmentRequest(get('https://cdn.example/seg1.M4s'), pattern)).toBe(true);
  });

  it('ignores query strings and fragments', () => {
    expect(isSegmentRequest(get('https://cdn.example/seg1.ts?token=abc&t=123'), pattern)).toBe(true);
    expect(isSegmentRequest(get('https://cdn.example/seg1.m4s#t=10'), pattern)).toBe(true);
    // the extension must be on the path, not in the query
    expect(isSegmentRequest(get('https://cdn.example/play?file=seg1.ts'), pattern)).toBe(false);
    expect(isSegmentRequest(get('https://cdn.example/index.m3u8?x=seg.ts'), pattern)).toBe(false);
  });

  it('does not match manifests', () => {
    for (const url of [
      'https://cdn.example/live/index.m3u8',
      'https://cdn.example/live/INDEX.M3U8?token=1',
      'https://cdn.example/live/manifest.mpd',
    ]) {
      expect(isSegmentRequest(get(url), pattern), url).toBe(false);
    }
  });

  it('does not match manifests even when a custom pattern would', () => {
    const any = compileSegmentPattern('.*');
    expect(isSegmentRequest(get('https://cdn.example/live/index.m3u8'), any)).toBe(false);
    expect(isSegmentRequest(get('https://cdn.example/live/manifest.mpd'), any)).toBe(false);
    expect(isSegmentRequest(get('https://cdn.example/live/seg.bin'), any)).toBe(true);
  });

  it('does not match other files or look-alike extensions', () => {
    for (const url of [
      'https://cdn.example/',
      'https://cdn.example/index.html',
      'https://cdn.example/app.js',
      'https://cdn.example/app.tsx',
      'https://cdn.example/seg1.ts/',
      'https://cdn.example/seg1.ts.bak',
      'https://cdn.example/ts',
      'https://cdn.example/seg1.mp4v',
      'https://cdn.example/subtitles.vtt',
    ]) {
      expect(isSegmentRequest(get(url), pattern), url).toBe(false);
    }
  });

  it('does not match methods other than GET', () => {
    for (const method of ['POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']) {
      expect(isSegmentRequest({ method, url: 'https://cdn.example/seg1.ts' }, pattern), method).toBe(false);
    }
  });

  it('does not match non-http URLs or URLs that do not parse', () => {
    for (const url of [
      'data:video/mp2t;base64,AAAA.ts',
      'blob:https://cdn.example/seg1.ts',
      'file:///srv/media/seg1.ts',
      'ftp://cdn.example/seg1.ts',
      'chrome-extension://abcdef/seg1.ts',
      '/media/seg1.ts',
      'seg1.ts',
      '',
    ]) {
      expect(isSegmentRequest(get(url), pattern), url).toBe(false);
    }
  });

  it('uses a custom pattern against the path', () => {
    const custom = compileSegmentPattern('^/chunks/\\d+$');
    expect(isSegmentRequest(get('https://cdn.example/chunks/42?sig=x'), custom)).toBe(true);
    expect(isSegmentRequest(get('https://cdn.example/chunks/42.ts'), custom)).toBe(false);
  });

  it('gives the same answer on repeated calls (no regex state)', () => {
    const url = get('https://cdn.example/seg1.ts');
    expect([1, 2, 3].map(() => isSegmentRequest(url, pattern))).toEqual([true, true, true]);
  });

  it('never throws, whatever the method and URL', () => {
    fc.assert(
      fc.property(fc.string(), fc.oneof(fc.string(), fc.webUrl({ withQueryParameters: true })), (method, url) => {
        expect(typeof isSegmentRequest({ method, url }, pattern)).toBe('boolean');
      }),
    );
  });
});
