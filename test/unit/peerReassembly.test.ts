/** Reassembly of one download (moved from protocol.ts to client/peer/Reassembly.ts with issue 10; same assertions). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reassembly } from '../../client/peer/Reassembly';
import { SwarmError } from '../../core/SwarmError';

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

describe('Reassembly', () => {
  it('refuses a declared size above the limit, or one that is not a size', () => {
    expectViolation(() => new Reassembly(1001, 1000), 'above limit');
    for (const declared of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expectViolation(() => new Reassembly(declared, Number.MAX_SAFE_INTEGER), String(declared));
    }
    expect(new Reassembly(1000, 1000).declaredBytes).toBe(1000);
  });

  it('refuses more bytes than declared, in one push or over several', () => {
    expectViolation(() => new Reassembly(3, 100).push(new Uint8Array(4)), 'one push');
    const r = new Reassembly(10, 100);
    r.push(new Uint8Array(6));
    expectViolation(() => r.push(new Uint8Array(5)), 'second push');
    // a refused push leaves the count unchanged
    expect(r.receivedBytes).toBe(6);
    expect(r.complete).toBe(false);
  });

  it('refuses to hand out a transfer that ended short', () => {
    const r = new Reassembly(10, 100);
    r.push(new Uint8Array(9));
    expect(r.complete).toBe(false);
    expectViolation(() => r.toBlob(null), 'short');
  });

  it('completes an empty transfer at once', async () => {
    const r = new Reassembly(0, 100);
    expect(r.complete).toBe(true);
    expect(r.toBlob(null).size).toBe(0);
  });

  it('keeps bytes in order and leaves the blob type empty without a content type', async () => {
    const r = new Reassembly(5, 100);
    r.push(new Uint8Array([1, 2]));
    r.push(new Uint8Array([]));
    r.push(new Uint8Array([3, 4, 5]));
    const blob = r.toBlob(null);
    expect(blob.type).toBe('');
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([1, 2, 3, 4, 5]);
  });

  it('never holds more than declared, whatever the pushes', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 5000 }),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 10 }),
        (declared, pushes) => {
          const r = new Reassembly(declared, 5000);
          for (const n of pushes) {
            const code = thrownCode(() => r.push(new Uint8Array(n)));
            expect(['no-throw', 'protocol-violation']).toContain(code);
            expect(r.receivedBytes).toBeLessThanOrEqual(declared);
          }
        },
      ),
    );
  });
});
