/** core/contract: the pure helpers both sides must compute identically, and the message guards. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONTRACT_VERSION,
  contractVersionOf,
  errorCodeOf,
  isPageToWorkerMessage,
  isWorkerToPageMessage,
  parseKeyRange,
  segmentKey,
  urlDirectory,
} from '../../core/contract';
import { SwarmError } from '../../core/SwarmError';

describe('urlDirectory', () => {
  it('is everything up to the last slash before any query or fragment', () => {
    expect(urlDirectory('https://cdn.test/vod/360p/seg_1.ts')).toBe('https://cdn.test/vod/360p/');
    expect(urlDirectory('https://cdn.test/vod/360p/seg_1.ts?t=a/b#c/d')).toBe('https://cdn.test/vod/360p/');
    expect(urlDirectory('https://cdn.test/vod/video.mp4#0-1048575')).toBe('https://cdn.test/vod/');
    expect(urlDirectory('https://cdn.test/vod/')).toBe('https://cdn.test/vod/');
    expect(urlDirectory('https://cdn.test/seg.ts')).toBe('https://cdn.test/');
    expect(urlDirectory('/live/720p/seg.ts')).toBe('/live/720p/');
    expect(urlDirectory('seg.ts')).toBe('');
  });

  it('of a segment key is the directory of its URL, whatever the range (what peers and hash sources share)', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.nat(), fc.nat(), (url, a, b) => {
        const whole = segmentKey(url);
        const ranged = segmentKey(url, { start: Math.min(a, b), end: Math.max(a, b) });
        if (whole === null || ranged === null) return;
        const u = new URL(url);
        // what swarmId, UrlResolver, SegmentVerifier and PlaylistHashes each computed on their own before
        const before = u.origin + u.pathname.slice(0, u.pathname.lastIndexOf('/') + 1);
        expect(urlDirectory(whole)).toBe(before);
        expect(urlDirectory(ranged)).toBe(before);
        expect(urlDirectory(u.origin + u.pathname + u.search + u.hash)).toBe(before);
      }),
    );
  });
});

describe('parseKeyRange', () => {
  it('reads back what segmentKey wrote', () => {
    fc.assert(
      fc.property(fc.webUrl(), fc.nat(), fc.nat(), (url, a, b) => {
        const range = { start: Math.min(a, b), end: Math.max(a, b) };
        const key = segmentKey(url, range);
        const whole = segmentKey(url);
        if (key === null || whole === null) return;
        expect(parseKeyRange(key)).toEqual({ url: whole, range });
        expect(parseKeyRange(whole)).toEqual({ url: whole, range: null });
      }),
    );
  });
});

describe('contract messages', () => {
  it('contractVersionOf reads the version of any swarmfetch message, past or future, and nothing else', () => {
    expect(contractVersionOf({ type: 'swarmfetch:need-port', version: 1 })).toBe(1);
    expect(contractVersionOf({ type: 'swarmfetch:something-new', version: 7 })).toBe(7);
    expect(contractVersionOf({ type: 'swarmfetch:port', version: CONTRACT_VERSION })).toBe(CONTRACT_VERSION);
    for (const other of [null, 'swarmfetch:port', { type: 'other', version: 1 }, { type: 'swarmfetch:port' }, { type: 'swarmfetch:port', version: '2' }]) {
      expect(contractVersionOf(other)).toBeNull();
    }
  });

  it('the guards take only messages of this version', () => {
    expect(isWorkerToPageMessage({ type: 'swarmfetch:need-port', version: CONTRACT_VERSION })).toBe(true);
    expect(isWorkerToPageMessage({ type: 'swarmfetch:version-mismatch', version: CONTRACT_VERSION, pageVersion: 1 })).toBe(true);
    expect(isWorkerToPageMessage({ type: 'swarmfetch:version-mismatch', version: CONTRACT_VERSION, pageVersion: null })).toBe(true);
    expect(isWorkerToPageMessage({ type: 'swarmfetch:need-port', version: 1 })).toBe(false);
    expect(isPageToWorkerMessage({ type: 'swarmfetch:claim', version: CONTRACT_VERSION })).toBe(true);
    expect(isPageToWorkerMessage({ type: 'swarmfetch:claim', version: 1 })).toBe(false);
    expect(isPageToWorkerMessage({ type: 'swarmfetch:seed', version: CONTRACT_VERSION, url: 'x'.repeat(4097) })).toBe(false);
    expect(isPageToWorkerMessage({ type: 'swarmfetch:direct', version: CONTRACT_VERSION, on: true })).toBe(true);
    expect(isPageToWorkerMessage({ type: 'swarmfetch:direct', version: CONTRACT_VERSION, on: false })).toBe(true);
    for (const on of [undefined, 1, 'true', null]) {
      expect(isPageToWorkerMessage({ type: 'swarmfetch:direct', version: CONTRACT_VERSION, on })).toBe(false);
    }
    expect(isPageToWorkerMessage({ type: 'swarmfetch:direct', version: CONTRACT_VERSION - 1, on: true })).toBe(false);
  });

  it('errorCodeOf keeps a SwarmError\'s code across the port (Comlink sends its message only)', () => {
    const err = new SwarmError('protocol-violation', 'invalid URL in manifest');
    expect(errorCodeOf(err)).toBe('protocol-violation');
    const crossed = Object.assign(new Error(err.message), { name: 'SwarmError', stack: '' }); // as Comlink rebuilds it
    expect(errorCodeOf(crossed)).toBe('protocol-violation');
    expect(errorCodeOf(new Error('boom'))).toBeNull();
    expect(errorCodeOf(new Error('no-such-code: x'))).toBeNull();
    expect(errorCodeOf('size-exceeded: x')).toBeNull();
  });
});
