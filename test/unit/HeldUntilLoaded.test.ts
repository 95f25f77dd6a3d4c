import { describe, expect, it } from 'vitest';
import { HeldUntilLoaded } from '../../client/HeldUntilLoaded';

describe('HeldUntilLoaded', () => {
  it('holds work until released, runs it in order once, then runs new work at once', () => {
    const ran: string[] = [];
    const h = new HeldUntilLoaded(true);
    h.run(() => ran.push('signalling'));
    h.run(() => ran.push('manifest'));
    expect(ran).toEqual([]);
    h.release();
    expect(ran).toEqual(['signalling', 'manifest']);
    h.release();
    h.run(() => ran.push('later'));
    expect(ran).toEqual(['signalling', 'manifest', 'later']);
  });

  it('holds nothing when told not to; once destroyed, nothing runs, held or new', () => {
    const ran: string[] = [];
    new HeldUntilLoaded(false).run(() => ran.push('at once'));
    expect(ran).toEqual(['at once']);
    const h = new HeldUntilLoaded(true);
    h.run(() => ran.push('held'));
    h.destroy();
    h.release();
    h.run(() => ran.push('new'));
    expect(ran).toEqual(['at once']);
  });
});
