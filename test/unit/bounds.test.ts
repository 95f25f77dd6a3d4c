import { describe, expect, it } from 'vitest';
import { encodeDataFrame } from '../../client/protocol';
import { Reassembly } from '../../client/peer/Reassembly';
import { mergeConfig } from '../../core/mergeConfig';
import { swarmId } from '../../core/contract';

describe('bounds found by review', () => {
  it('a reassembled segment can be taken once only (no silent empty second copy)', () => {
    const r = new Reassembly(3, 10);
    r.push(new Uint8Array([1, 2, 3]));
    expect(r.toBlob(null).size).toBe(3);
    expect(() => r.toBlob(null)).toThrow(expect.objectContaining({ code: 'protocol-violation' }));
  });

  it('a frame id outside u32 is refused instead of wrapping', () => {
    expect(() => encodeDataFrame(2 ** 32, new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'size-exceeded' }));
    expect(() => encodeDataFrame(-1, new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'size-exceeded' }));
  });

  it('config must be an object, and its arrays are frozen', () => {
    expect(() => mergeConfig([] as never)).toThrow(expect.objectContaining({ code: 'config-invalid' }));
    const c = mergeConfig({ iceServers: [{ urls: 'stun:x' }] });
    expect(Object.isFrozen(c.iceServers)).toBe(true);
    expect(Object.isFrozen(mergeConfig({}).iceServers)).toBe(true);
  });

  it('swarm ids exist only for http(s) segments', () => {
    expect(swarmId('http://site', 'ftp://cdn/v/seg.ts')).toBeNull();
    expect(swarmId('http://site', 'https://cdn/v/seg.ts')).toBe('http://site|https://cdn/v/');
  });
});
