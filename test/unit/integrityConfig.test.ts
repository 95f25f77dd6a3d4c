import { describe, expect, it } from 'vitest';
import { configFromScript } from '../../client/configFromScript';
import { mergeConfig } from '../../core/mergeConfig';
import { thrownCode } from './helpers/thrownCode';

describe('integrity options', () => {
  it('fail closed by default: hash sources looked for, peer bytes taken only when checked', () => {
    const c = mergeConfig({});
    expect([c.integrityUrl, c.integrityLookup, c.integrityOracle, c.acceptUnverifiedPeerBytes, c.integrityTimeoutMs]).toEqual(['', true, true, false, 1500]);
  });

  it('come from the drop-in tag: data-integrity names the manifest', () => {
    const c = mergeConfig(configFromScript({ integrity: '/media/swarmfetch-integrity.json', acceptUnverifiedPeerBytes: 'true', integrityTimeoutMs: '99999' }));
    expect(c.integrityUrl).toBe('/media/swarmfetch-integrity.json');
    expect(c.acceptUnverifiedPeerBytes).toBe(true);
    expect(c.integrityTimeoutMs).toBe(30_000);
  });

  it('refuse wrong types', () => {
    expect(thrownCode(() => mergeConfig({ integrityUrl: 5 }))).toBe('config-invalid');
    expect(thrownCode(() => mergeConfig({ integrityOracle: 1 }))).toBe('config-invalid');
  });

  it('no longer know the old integrityRequired switch (its opposite, acceptUnverifiedPeerBytes, is the opt-out)', () => {
    // a page's config object is untyped: the old key arrives as an unknown property
    const old = { integrityRequired: true } as Parameters<typeof mergeConfig>[0];
    expect(thrownCode(() => mergeConfig(old))).toBe('config-invalid');
  });
});
