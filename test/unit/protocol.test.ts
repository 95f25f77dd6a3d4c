import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FRAME_HEADER_BYTES,
  FRAME_MAX_BYTES,
  FRAME_PAYLOAD_BYTES,
  MAX_CONTROL_BYTES,
  MAX_KEYS_PER_MESSAGE,
  MAX_REQ_WAIT_MS,
  MAX_REQ_WITHIN_MS,
  PROTOCOL_VERSION,
  chunkKeys,
  dataFrames,
  decodeControl,
  decodeDataFrame,
  encodeControl,
  encodeDataFrame,
  type ControlMessage,
  type ControlType,
} from '../../client/protocol';
import { Reassembly } from '../../client/peer/Reassembly';
import { MAX_KEY_LENGTH } from '../../core/contract';
import { SwarmError } from '../../core/SwarmError';

const MAX_ID = 0xffffffff;
const SWARM = 'https://watch.example|https://cdn.example/live/720p/';
const KEY = 'https://cdn.example/live/720p/seg1.ts';

/** Runs fn; returns the SwarmError code it threw, or 'no-throw'. Any other error fails the test as it is. */
function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SwarmError) return err.code;
    throw err;
  }
  return 'no-throw';
}

function expectViolation(fn: () => unknown, label?: string): void {
  expect(thrownCode(fn), label).toBe('protocol-violation');
}

/** Deterministic bytes that differ at every offset within a frame, so misplaced frames show. */
function pattern(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** An ArrayBuffer holding exactly these bytes (as a data channel delivers it). */
function bufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

// One or more samples per message type; a Record so a new type without a sample does not type-check.
const SAMPLES: Record<ControlType, ControlMessage[]> = {
  hello: [{ t: 'hello', v: PROTOCOL_VERSION }, { t: 'hello', v: 2 }],
  ping: [{ t: 'ping' }],
  pong: [{ t: 'pong' }],
  have: [
    { t: 'have', swarm: SWARM, keys: [KEY, `${KEY}#0-99`] },
    { t: 'have', swarm: SWARM, keys: [] },
  ],
  lost: [{ t: 'lost', swarm: SWARM, keys: [KEY] }],
  fetching: [{ t: 'fetching', swarm: SWARM, keys: [KEY] }],
  req: [
    { t: 'req', id: 0, key: KEY, waitMs: 0 },
    { t: 'req', id: MAX_ID, key: KEY, waitMs: 5000 },
    { t: 'req', id: 3, key: KEY, waitMs: 0, withinMs: 800 },
  ],
  cancel: [{ t: 'cancel', id: 7 }, { t: 'cancel', id: 8, late: true }],
  absent: [{ t: 'absent', id: 8 }],
  send: [
    { t: 'send', id: 9, bytes: 1_000_000, totalBytes: 1_000_000, contentType: 'video/mp2t' },
    { t: 'send', id: 10, bytes: 0, totalBytes: null, contentType: null },
    { t: 'send', id: 11, bytes: 100, totalBytes: 5000, contentType: null },
  ],
  done: [{ t: 'done', id: MAX_ID }],
};

describe('control messages', () => {
  it('round-trip for every message type', () => {
    for (const [type, messages] of Object.entries(SAMPLES)) {
      expect(messages.length, type).toBeGreaterThan(0);
      for (const message of messages) {
        const text = encodeControl(message);
        expect(typeof text).toBe('string');
        expect(decodeControl(text), type).toEqual(message);
      }
    }
  });

  it('round-trip for any valid message within moderate sizes', () => {
    const id = fc.integer({ min: 0, max: MAX_ID });
    const key = fc.string({ minLength: 1, maxLength: 200 });
    const keys = fc.array(key, { maxLength: 20 });
    const message: fc.Arbitrary<ControlMessage> = fc.oneof(
      fc.integer().map((v) => ({ t: 'hello' as const, v })),
      fc.record({ t: fc.constantFrom('have' as const, 'lost' as const), swarm: key, keys }),
      fc.record({ t: fc.constant('req' as const), id, key, waitMs: fc.integer({ min: 0, max: MAX_REQ_WAIT_MS }) }),
      fc.record({ t: fc.constantFrom('cancel' as const, 'absent' as const, 'done' as const), id }),
      fc
        .record({
          id,
          bytes: fc.nat(),
          extra: fc.option(fc.nat(), { nil: null }),
          contentType: fc.option(fc.string({ maxLength: 100 }), { nil: null }),
        })
        .map(({ id, bytes, extra, contentType }) => ({
          t: 'send' as const,
          id,
          bytes,
          totalBytes: extra === null ? null : bytes + extra,
          contentType,
        })),
    );
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeControl(encodeControl(m))).toEqual(m);
      }),
    );
  });

  it('accept values at their limits', () => {
    const longKey = 'k'.repeat(MAX_KEY_LENGTH);
    expect(decodeControl(encodeControl({ t: 'req', id: MAX_ID, key: longKey, waitMs: 0 }))).toEqual({
      t: 'req',
      waitMs: 0,
      id: MAX_ID,
      key: longKey,
    });
    const keys = Array.from({ length: MAX_KEYS_PER_MESSAGE }, (_, i) => `${KEY}${i}`);
    expect(decodeControl(encodeControl({ t: 'have', swarm: SWARM, keys }))).toEqual({ t: 'have', swarm: SWARM, keys });
    const ct = 'x'.repeat(100);
    const send: ControlMessage = { t: 'send', id: 1, bytes: 5, totalBytes: 5, contentType: ct };
    expect(decodeControl(encodeControl(send))).toEqual(send);
  });

  it('read missing totalBytes and contentType of send as null', () => {
    expect(decodeControl('{"t":"send","id":1,"bytes":10}')).toEqual({
      t: 'send',
      id: 1,
      bytes: 10,
      totalBytes: null,
      contentType: null,
    });
  });

  it('drop fields that are not part of the message', () => {
    expect(decodeControl('{"t":"req","id":1,"key":"k","evil":{"x":1},"__proto__":{"polluted":true}}')).toEqual({
      t: 'req',
      waitMs: 0,
      id: 1,
      key: 'k',
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never produce text that the other side refuses: encode throws size-exceeded instead', () => {
    // Messages at the per-field limits (MAX_KEYS_PER_MESSAGE keys of MAX_KEY_LENGTH) exceed MAX_CONTROL_BYTES:
    // sending one would end the connection as a protocol violation on the other side.
    const keys = Array.from({ length: MAX_KEYS_PER_MESSAGE }, (_, i) => `${i}`.padStart(MAX_KEY_LENGTH, 'k'));
    expect(thrownCode(() => encodeControl({ t: 'have', swarm: SWARM, keys }))).toBe('size-exceeded');
    expect(thrownCode(() => encodeControl({ t: 'lost', swarm: SWARM, keys }))).toBe('size-exceeded');
  });

  it('chunkKeys splits any key list into messages the other side accepts, keeping every key in order', () => {
    const longSwarm = 's'.repeat(MAX_KEY_LENGTH);
    const key = fc.oneof(
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.string({ minLength: 1, maxLength: 3, unit: 'binary' }), // characters JSON must escape
      fc.integer({ min: 1, max: MAX_KEY_LENGTH }).map((n) => 'k'.repeat(n)),
      fc.constant('"'.repeat(MAX_KEY_LENGTH)), // each character costs two in JSON
    );
    fc.assert(
      fc.property(fc.array(key, { maxLength: 700 }), (keys) => {
        const chunks = chunkKeys(keys);
        expect(chunks.flat()).toEqual(keys);
        for (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          expect(chunk.length).toBeLessThanOrEqual(MAX_KEYS_PER_MESSAGE);
          const message: ControlMessage = { t: 'have', swarm: longSwarm, keys: chunk };
          expect(decodeControl(encodeControl(message))).toEqual(message);
        }
      }),
      { numRuns: 40 },
    );
    expect(chunkKeys([])).toEqual([]);
  });

  it('refuse malformed messages with protocol-violation', () => {
    const bad: Record<string, string> = {
      'not JSON': 'hello',
      'truncated JSON': '{"t":"req","id":1',
      empty: '',
      'JSON null': 'null',
      'JSON number': '42',
      'JSON string': '"have"',
      'JSON array': '[{"t":"hello","v":1}]',
      'no type': '{"v":1}',
      'unknown type': '{"t":"gimme","id":1}',
      'type not a string': '{"t":1}',
      'hello without version': '{"t":"hello"}',
      'hello version string': '{"t":"hello","v":"1"}',
      'hello version fraction': '{"t":"hello","v":1.5}',
      'have without keys': `{"t":"have","swarm":"s"}`,
      'have keys not array': `{"t":"have","swarm":"s","keys":"k"}`,
      'have key not string': `{"t":"have","swarm":"s","keys":[1]}`,
      'have empty key': `{"t":"have","swarm":"s","keys":[""]}`,
      'have key too long': JSON.stringify({ t: 'have', swarm: 's', keys: ['k'.repeat(MAX_KEY_LENGTH + 1)] }),
      'have too many keys': JSON.stringify({
        t: 'have',
        swarm: 's',
        keys: Array.from({ length: MAX_KEYS_PER_MESSAGE + 1 }, (_, i) => `k${i}`),
      }),
      'have swarm empty': `{"t":"have","swarm":"","keys":[]}`,
      'lost swarm missing': `{"t":"lost","keys":["k"]}`,
      'req without key': '{"t":"req","id":1}',
      'req key not string': '{"t":"req","id":1,"key":{}}',
      'req id negative': '{"t":"req","id":-1,"key":"k"}',
      'req id fraction': '{"t":"req","id":1.5,"key":"k"}',
      'req id too big': `{"t":"req","id":${MAX_ID + 1},"key":"k"}`,
      'req id string': '{"t":"req","id":"1","key":"k"}',
      'req wait negative': '{"t":"req","id":1,"key":"k","waitMs":-5}',
      'req wait fraction': '{"t":"req","id":1,"key":"k","waitMs":1.5}',
      'fetching key list not array': '{"t":"fetching","swarm":"s","keys":"k"}',
      'cancel id missing': '{"t":"cancel"}',
      'absent id null': '{"t":"absent","id":null}',
      'done id huge': '{"t":"done","id":1e300}',
      'send bytes missing': '{"t":"send","id":1}',
      'send bytes negative': '{"t":"send","id":1,"bytes":-1}',
      'send bytes fraction': '{"t":"send","id":1,"bytes":1.5}',
      'send bytes unsafe': `{"t":"send","id":1,"bytes":${2 ** 53}}`,
      'send bytes string': '{"t":"send","id":1,"bytes":"10"}',
      'send total below bytes': '{"t":"send","id":1,"bytes":10,"totalBytes":9}',
      'send total negative': '{"t":"send","id":1,"bytes":0,"totalBytes":-1}',
      'send total string': '{"t":"send","id":1,"bytes":0,"totalBytes":"5"}',
      'send contentType number': '{"t":"send","id":1,"bytes":0,"contentType":5}',
      'send contentType too long': JSON.stringify({ t: 'send', id: 1, bytes: 0, contentType: 'x'.repeat(101) }),
      'too large': JSON.stringify({ t: 'hello', v: 1, pad: 'x'.repeat(MAX_CONTROL_BYTES) }),
    };
    for (const [label, text] of Object.entries(bad)) expectViolation(() => decodeControl(text), label);
  });

  it('only ever throw protocol-violation on arbitrary text', () => {
    const types = fc.constantFrom('hello', 'have', 'lost', 'fetching', 'req', 'cancel', 'absent', 'send', 'done', 'x');
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.integer({ min: -2, max: MAX_ID + 2 }),
      fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
    );
    const shaped = fc
      .record(
        { t: types, v: value, id: value, key: value, keys: value, swarm: value, bytes: value, totalBytes: value },
        { requiredKeys: ['t'] },
      )
      .map((o) => JSON.stringify(o));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), shaped), (text) => {
        const code = thrownCode(() => decodeControl(text));
        expect(['no-throw', 'protocol-violation']).toContain(code);
      }),
      { numRuns: 3000 },
    );
  });

  it('decode only what re-encodes to the same message (decoded messages are valid)', () => {
    const shaped = fc
      .record({
        t: fc.constantFrom('hello', 'have', 'req', 'send', 'done'),
        v: fc.integer(),
        id: fc.integer({ min: -1, max: MAX_ID + 1 }),
        key: fc.string({ maxLength: 4 }),
        keys: fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
        swarm: fc.string({ maxLength: 4 }),
        bytes: fc.integer({ min: -1, max: 100 }),
        totalBytes: fc.option(fc.integer({ min: -1, max: 100 })),
      })
      .map((o) => JSON.stringify(o));
    fc.assert(
      fc.property(shaped, (text) => {
        let m: ControlMessage;
        try {
          m = decodeControl(text);
        } catch {
          return;
        }
        expect(decodeControl(encodeControl(m))).toEqual(m);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('data frames', () => {
  it('are laid out as [0x01][id u32 big-endian][payload]', () => {
    const frame = new Uint8Array(encodeDataFrame(0x01020304, new Uint8Array([9, 8, 7])));
    expect([...frame]).toEqual([0x01, 0x01, 0x02, 0x03, 0x04, 9, 8, 7]);
  });

  it('copy the payload (the caller may reuse its buffer)', () => {
    const payload = new Uint8Array([1, 2, 3]);
    const frame = encodeDataFrame(1, payload);
    payload[0] = 99;
    expect([...decodeDataFrame(frame).payload]).toEqual([1, 2, 3]);
  });

  it('refuse to encode a payload larger than a frame holds', () => {
    expect(() => encodeDataFrame(1, new Uint8Array(FRAME_PAYLOAD_BYTES + 1))).toThrow(
      expect.objectContaining({ code: 'size-exceeded' }),
    );
    expect(encodeDataFrame(1, new Uint8Array(FRAME_PAYLOAD_BYTES)).byteLength).toBe(FRAME_MAX_BYTES);
  });

  it('are at most 16 KiB', () => {
    expect(FRAME_MAX_BYTES).toBe(16 * 1024);
    expect(FRAME_HEADER_BYTES + FRAME_PAYLOAD_BYTES).toBe(FRAME_MAX_BYTES);
  });

  it('keep the request id for the whole id range', () => {
    for (const id of [0, 1, 255, 256, 0x7fffffff, 0x80000000, MAX_ID]) {
      expect(decodeDataFrame(encodeDataFrame(id, new Uint8Array([1]))).id, String(id)).toBe(id);
    }
  });

  it('decode without copying the payload', () => {
    const frame = encodeDataFrame(3, pattern(100));
    const { payload } = decodeDataFrame(frame);
    expect(payload.buffer).toBe(frame);
    expect(payload.byteOffset).toBe(FRAME_HEADER_BYTES);
    expect(payload.byteLength).toBe(100);
  });

  for (const size of [0, 1, FRAME_PAYLOAD_BYTES, FRAME_PAYLOAD_BYTES + 1, 2 * 1024 * 1024]) {
    it(`split and decode a ${size}-byte segment back to the same bytes`, async () => {
      const bytes = pattern(size);
      const id = 0xabcdef01;
      const frames = [...dataFrames(id, bytes)];
      expect(frames.length).toBe(Math.ceil(size / FRAME_PAYLOAD_BYTES));
      const reassembly = new Reassembly(size, 32 * 1024 * 1024);
      for (const frame of frames) {
        expect(frame.byteLength).toBeLessThanOrEqual(FRAME_MAX_BYTES);
        expect(frame.byteLength).toBeGreaterThan(FRAME_HEADER_BYTES);
        const decoded = decodeDataFrame(frame);
        expect(decoded.id).toBe(id);
        reassembly.push(decoded.payload);
      }
      expect(reassembly.complete).toBe(true);
      expect(reassembly.receivedBytes).toBe(size);
      const blob = reassembly.toBlob('video/mp2t');
      expect(blob.size).toBe(size);
      expect(blob.type).toBe('video/mp2t');
      expect(Buffer.from(await blob.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    });
  }

  it('split a subarray view by its own bytes, not its underlying buffer', () => {
    const whole = pattern(FRAME_PAYLOAD_BYTES * 3);
    const view = whole.subarray(100, 100 + FRAME_PAYLOAD_BYTES + 10);
    const out = Buffer.concat([...dataFrames(1, view)].map((f) => decodeDataFrame(f).payload));
    expect(out.equals(Buffer.from(view))).toBe(true);
  });

  it('refuse frames that are too large, too small or of an unknown tag', () => {
    const ok = new Uint8Array(FRAME_MAX_BYTES);
    ok[0] = 0x01;
    expect(() => decodeDataFrame(bufferOf(ok))).not.toThrow();
    const tooLarge = new Uint8Array(FRAME_MAX_BYTES + 1);
    tooLarge[0] = 0x01;
    expectViolation(() => decodeDataFrame(bufferOf(tooLarge)), 'too large');
    for (let n = 0; n <= FRAME_HEADER_BYTES; n++) {
      const small = new Uint8Array(n);
      if (n > 0) small[0] = 0x01;
      expectViolation(() => decodeDataFrame(bufferOf(small)), `${n} bytes`);
    }
    for (const tag of [0x00, 0x02, 0x7b /* '{' */, 0xff]) {
      expectViolation(() => decodeDataFrame(bufferOf(new Uint8Array([tag, 0, 0, 0, 1, 42]))), `tag ${tag}`);
    }
  });

  it('only ever throw protocol-violation on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.uint8Array({ minLength: FRAME_MAX_BYTES - 2, maxLength: FRAME_MAX_BYTES + 2 }),
          fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => {
            b[0] = 0x01;
            return b;
          }),
        ),
        (bytes) => {
          const buffer = bufferOf(bytes);
          let decoded: ReturnType<typeof decodeDataFrame>;
          try {
            decoded = decodeDataFrame(buffer);
          } catch (err) {
            expect(SwarmError.is(err, 'protocol-violation')).toBe(true);
            return;
          }
          expect(bytes[0]).toBe(0x01);
          expect(decoded.payload.byteLength).toBe(bytes.byteLength - FRAME_HEADER_BYTES);
          expect(decoded.id).toBe(new DataView(buffer).getUint32(1));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('req waits', () => {
  it('are capped at MAX_REQ_WAIT_MS and default to 0', () => {
    expect(decodeControl('{"t":"req","id":1,"key":"k","waitMs":99999999}')).toMatchObject({ waitMs: MAX_REQ_WAIT_MS });
    expect(decodeControl('{"t":"req","id":1,"key":"k"}')).toMatchObject({ waitMs: 0 });
  });
});

describe("a request's deadline (withinMs, optional)", () => {
  it('is kept when a whole number of ms, capped at MAX_REQ_WITHIN_MS, and left out (not an error) when malformed', () => {
    const req = (withinMs: unknown) => decodeControl(JSON.stringify({ t: 'req', id: 1, key: 'http://cdn/v/s.ts', waitMs: 0, withinMs }));
    expect(req(1500)).toEqual({ t: 'req', id: 1, key: 'http://cdn/v/s.ts', waitMs: 0, withinMs: 1500 });
    expect(req(10 * MAX_REQ_WITHIN_MS)).toMatchObject({ withinMs: MAX_REQ_WITHIN_MS });
    for (const bad of [-1, 1.5, '800', null, {}]) expect(req(bad)).toEqual({ t: 'req', id: 1, key: 'http://cdn/v/s.ts', waitMs: 0 });
    // an older peer's request, without it
    expect(decodeControl(JSON.stringify({ t: 'req', id: 1, key: 'http://cdn/v/s.ts', waitMs: 0 }))).toEqual({ t: 'req', id: 1, key: 'http://cdn/v/s.ts', waitMs: 0 });
  });
});

describe("a cancel's `late` (optional)", () => {
  it('is kept only as `true`; anything else is a plain cancel (not an error), as an older peer sends', () => {
    const cancel = (late: unknown) => decodeControl(JSON.stringify({ t: 'cancel', id: 4, late }));
    expect(cancel(true)).toEqual({ t: 'cancel', id: 4, late: true });
    for (const other of [false, 1, 'true', null, {}]) expect(cancel(other)).toEqual({ t: 'cancel', id: 4 });
    expect(decodeControl('{"t":"cancel","id":4}')).toEqual({ t: 'cancel', id: 4 });
  });
});
