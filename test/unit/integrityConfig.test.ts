import { describe, expect, it } from 'vitest';
import { configFromScript } from '../../client/configFromScript';
import { mergeConfig } from '../../core/mergeConfig';
import { thrownCode } from './helpers/thrownCode';

describe('integrity options', () => {
  it('have safe defaults: hash sources looked for, unverified whole segments accepted only without any source', () => {
    const c = mergeConfig({});
    expect([c.integrityUrl, c.integrityLookup, c.integrityOracle, c.integrityRequired, c.integrityTimeoutMs]).toEqual(['', true, true, false, 1500]);
  });

  it('come from the drop-in tag: data-integrity names the manifest', () => {
    const c = mergeConfig(configFromScript({ integrity: '/media/swarmfetch-integrity.json', integrityRequired: 'true', integrityTimeoutMs: '99999' }));
    expect(c.integrityUrl).toBe('/media/swarmfetch-integrity.json');
    expect(c.integrityRequired).toBe(true);
    expect(c.integrityTimeoutMs).toBe(30_000);
  });

  it('refuse wrong types', () => {
    expect(thrownCode(() => mergeConfig({ integrityUrl: 5 }))).toBe('config-invalid');
    expect(thrownCode(() => mergeConfig({ integrityOracle: 1 }))).toBe('config-invalid');
  });
});
