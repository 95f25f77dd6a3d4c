import { afterEach, describe, expect, it, vi } from 'vitest';
import { Emitter } from '../../core/Emitter';

interface Events {
  segment: { source: 'http' | 'p2p'; bytes: number };
  peer: string;
}

describe('Emitter', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('delivers the payload to every listener of the event, in the order they were added', () => {
    const e = new Emitter<Events>();
    const calls: string[] = [];
    e.on('segment', (p) => calls.push(`a:${p.bytes}`));
    e.on('segment', (p) => calls.push(`b:${p.source}`));
    e.on('peer', (p) => calls.push(`peer:${p}`));
    e.emit('segment', { source: 'p2p', bytes: 42 });
    expect(calls).toEqual(['a:42', 'b:p2p']);
  });

  it('does nothing when an event has no listener', () => {
    const e = new Emitter<Events>();
    expect(() => e.emit('peer', 'x')).not.toThrow();
  });

  it('keeps calling the other listeners, and does not throw, when a listener throws', () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const e = new Emitter<Events>();
    const calls: string[] = [];
    const boom = new Error('boom');
    e.on('peer', () => calls.push('first'));
    e.on('peer', () => {
      throw boom;
    });
    e.on('peer', () => {
      throw 'not even an Error';
    });
    e.on('peer', (p) => calls.push(`last:${p}`));
    expect(() => e.emit('peer', 'p1')).not.toThrow();
    expect(calls).toEqual(['first', 'last:p1']);
    // the errors are reported, not swallowed
    expect(errors).toHaveBeenCalledTimes(2);
    expect(errors.mock.calls[0]).toContain(boom);
    expect(String(errors.mock.calls[0]?.[0])).toContain('peer');
  });

  it('still works after a listener threw', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const e = new Emitter<Events>();
    let n = 0;
    e.on('peer', () => {
      throw new Error('boom');
    });
    e.on('peer', () => n++);
    e.emit('peer', 'a');
    e.emit('peer', 'b');
    expect(n).toBe(2);
  });

  it('removes a listener with off() and with the function on() returns', () => {
    const e = new Emitter<Events>();
    const calls: string[] = [];
    const a = (p: string) => calls.push(`a:${p}`);
    e.on('peer', a);
    const offB = e.on('peer', (p) => calls.push(`b:${p}`));
    e.emit('peer', '1');
    e.off('peer', a);
    e.emit('peer', '2');
    offB();
    e.emit('peer', '3');
    expect(calls).toEqual(['a:1', 'b:1', 'b:2']);
  });

  it('lets a listener remove itself or add another during emit without looping', () => {
    const e = new Emitter<Events>();
    const calls: string[] = [];
    const off = e.on('peer', (p) => {
      calls.push(`once:${p}`);
      off();
      e.on('peer', (q) => calls.push(`added:${q}`));
    });
    e.emit('peer', '1');
    e.emit('peer', '2');
    expect(calls).toEqual(['once:1', 'added:2']);
  });

  it('removeAll() drops every listener of every event', () => {
    const e = new Emitter<Events>();
    const fn = vi.fn();
    e.on('peer', fn);
    e.on('segment', fn);
    e.removeAll();
    e.emit('peer', 'x');
    e.emit('segment', { source: 'http', bytes: 1 });
    expect(fn).not.toHaveBeenCalled();
  });
});
