import { describe, expect, it } from 'vitest';
import { SegmentStore, type StoredSegment } from '../../client/SegmentStore';

const seg = (key: string, bytes: number, swarm = 's'): StoredSegment => ({
  key, swarm, body: new Blob([new Uint8Array(bytes)]), totalBytes: null, contentType: null,
});

describe('SegmentStore', () => {
  it('holds segments up to maxBytes, evicting the oldest first and reporting them', () => {
    const evicted: string[] = [];
    const store = new SegmentStore(1000, (list) => evicted.push(...list.map((s) => s.key)));
    store.put(seg('a', 400));
    store.put(seg('b', 400));
    expect(store.bytes).toBe(800);
    store.put(seg('c', 400));
    expect(evicted).toEqual(['a']);
    expect(store.has('a')).toBe(false);
    expect(store.bytes).toBe(800);
    expect(store.get('c')?.body.size).toBe(400);
  });

  it('refuses a segment larger than the whole store and keeps what it has', () => {
    const store = new SegmentStore(1000);
    store.put(seg('a', 500));
    expect(store.put(seg('big', 1001))).toBe(false);
    expect(store.has('a')).toBe(true);
    expect(store.bytes).toBe(500);
  });

  it('re-putting a key replaces it and makes it newest', () => {
    const evicted: string[] = [];
    const store = new SegmentStore(1000, (list) => evicted.push(...list.map((s) => s.key)));
    store.put(seg('a', 300));
    store.put(seg('b', 300));
    store.put(seg('a', 300));
    expect(store.bytes).toBe(600);
    store.put(seg('c', 500));
    expect(evicted).toEqual(['b']);
    expect([...store.keysBySwarm().get('s')!]).toEqual(['a', 'c']);
  });

  it('groups keys by swarm and shrinks when maxBytes drops', () => {
    const store = new SegmentStore(10_000);
    store.put(seg('x1', 100, 'x'));
    store.put(seg('y1', 100, 'y'));
    store.put(seg('x2', 100, 'x'));
    expect(store.keysBySwarm()).toEqual(new Map([['x', ['x1', 'x2']], ['y', ['y1']]]));
    store.setMaxBytes(150);
    expect(store.size).toBe(1);
    expect(store.has('x2')).toBe(true);
  });
});

describe('SegmentStore eviction order', () => {
  it('evicts segments behind the playhead before older ones ahead of it', () => {
    const evicted: string[] = [];
    const behind = new Set(['b']);
    const store = new SegmentStore(1000, (l) => evicted.push(...l.map((s) => s.key)), (s) => behind.has(s.key));
    store.put(seg('a', 400));
    store.put(seg('b', 400));
    store.put(seg('c', 400));
    expect(evicted).toEqual(['b']);
    expect(store.has('a')).toBe(true);
  });
});
