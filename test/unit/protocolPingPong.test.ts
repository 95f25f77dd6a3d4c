/**
 * The v2 liveness messages beyond the plain round trip. protocol.test.ts's SAMPLES is a Record<ControlType, …> meant
 * to force a sample per message type, but only the compiler checked that — and tests were not type-checked until
 * `npm run typecheck` — so `ping`/`pong` shipped without a codec test. SAMPLES has them now; these add what a peer
 * could send around them.
 */
import { describe, expect, it } from 'vitest';
import { decodeControl, encodeControl, type ControlMessage } from '../../client/protocol';
import { thrownCode } from './helpers/thrownCode';

describe('ping/pong control messages', () => {
  it.each<ControlMessage>([{ t: 'ping' }, { t: 'pong' }])('round-trip: %o', (message) => {
    const text = encodeControl(message);
    expect(JSON.parse(text)).toEqual(message);
    expect(decodeControl(text)).toEqual(message);
  });

  it('decode to the bare message: any other field a peer adds is dropped', () => {
    expect(decodeControl('{"t":"ping","id":5,"keys":["x"],"__proto__":{"polluted":true}}')).toEqual({ t: 'ping' });
    expect(decodeControl('{"t":"pong","v":2}')).toEqual({ t: 'pong' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('are case-sensitive tags: near misses are protocol violations', () => {
    for (const text of ['{"t":"PING"}', '{"t":"pingg"}', '{"t":" pong"}', '{"t":["ping"]}']) {
      expect(thrownCode(() => decodeControl(text)), text).toBe('protocol-violation');
    }
  });
});
