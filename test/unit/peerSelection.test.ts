import { describe, expect, it } from 'vitest';
import { PeerSelection, type SelectableLink } from '../../client/peer/PeerSelection';

const KEY = 'http://cdn/v/seg1.ts';

function link(remoteId: string, over: Partial<SelectableLink> & { keys?: string[]; fetching?: string[] } = {}): SelectableLink {
  const keys = new Set(over.keys ?? [KEY]);
  const fetching = new Set(over.fetching ?? []);
  return {
    remoteId, isOpen: true, canRequest: true, throughput: null, activeDownloads: 0,
    has: (k) => keys.has(k), isFetching: (k) => fetching.has(k), ...over,
  };
}

describe('PeerSelection', () => {
  it('picks the link with the best throughput per download under way', () => {
    const links = [
      link('slow', { throughput: 100 }),
      link('fast-busy', { throughput: 1000, activeDownloads: 2 }), // 333
      link('fast', { throughput: 500 }),
    ];
    expect(new PeerSelection(links, () => 0).linkFor(KEY)?.remoteId).toBe('fast');
  });

  it('tries a peer of unknown throughput as if it were fast (1000 B/ms)', () => {
    const links = [link('known', { throughput: 999 }), link('new')];
    expect(new PeerSelection(links, () => 0).linkFor(KEY)?.remoteId).toBe('new');
  });

  it('skips links that lack the key, cannot take a request, or are excluded', () => {
    const links = [
      link('lacks', { keys: [] }),
      link('full', { canRequest: false }),
      link('tried'),
      link('ok', { throughput: 1 }),
    ];
    const sel = new PeerSelection(links, () => 0);
    expect(sel.linkFor(KEY, new Set(['tried']))?.remoteId).toBe('ok');
    expect(sel.linkFor(KEY, new Set(['tried', 'ok']))).toBeUndefined();
  });

  it('breaks ties with the random source only', () => {
    const links = [link('a'), link('b')];
    let r = 0;
    const sel = new PeerSelection(links, () => (r++ % 2 === 0 ? 0 : 0.5));
    expect(sel.linkFor(KEY)?.remoteId).toBe('b');
  });

  it('fetchersOf lists the open links that said they are fetching the key', () => {
    const links = [
      link('f1', { fetching: [KEY] }),
      link('closed', { fetching: [KEY], isOpen: false }),
      link('other', { fetching: ['http://cdn/v/seg2.ts'] }),
      link('f2', { fetching: [KEY], canRequest: false }),
    ];
    expect(new PeerSelection(links, () => 0).fetchersOf(KEY).map((l) => l.remoteId)).toEqual(['f1', 'f2']);
  });
});
