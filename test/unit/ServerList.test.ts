/** The P2P servers of `serverUrl` and the one in use. */
import { describe, expect, it } from 'vitest';
import { ServerList } from '../../client/ServerList';

const PAGE = 'https://site.example/watch/page.html';
const THREE = 'https://p1.example, https://p2.example/base ,https://p3.example/';
const hrefs = (list: ServerList) => Array.from({ length: list.size }, () => list.failover().href);

describe('ServerList', () => {
  it('reads comma-separated entries: trimmed, empty ones dropped, each ending in "/"', () => {
    const list = new ServerList(` ,${THREE},, `, PAGE, () => 0);
    expect(list.size).toBe(3);
    expect(list.current().href).toBe('https://p1.example/');
    expect(hrefs(list)).toEqual(['https://p2.example/base/', 'https://p3.example/', 'https://p1.example/']);
  });

  it('one URL is the one server, as before a list existed: relative to the page, never asking random()', () => {
    const list = new ServerList('/p2p', PAGE, () => {
      throw new Error('no choice to make');
    });
    expect(list.size).toBe(1);
    expect(list.current().href).toBe('https://site.example/p2p/');
    expect(list.failover().href).toBe('https://site.example/p2p/');
  });

  it('no entry (the default "") is the page\'s origin', () => {
    expect(new ServerList('', PAGE, Math.random).current().href).toBe('https://site.example/');
    expect(new ServerList(' , ', PAGE, Math.random).current().href).toBe('https://site.example/');
  });

  it('picks the first server uniformly at random', () => {
    const pick = (r: number) => new ServerList(THREE, PAGE, () => r).current().host;
    expect([0, 0.3, 0.34, 0.66, 0.67, 0.999].map(pick)).toEqual([
      'p1.example', 'p1.example', 'p2.example', 'p2.example', 'p3.example', 'p3.example',
    ]);
    // a random source out of [0, 1) still picks one of them
    expect(pick(1)).toBe('p3.example');
    expect(pick(-0.5)).toBe('p1.example');
  });

  it('moves round robin from the one picked', () => {
    const list = new ServerList(THREE, PAGE, () => 0.5);
    expect(list.current().host).toBe('p2.example');
    expect([list.failover().host, list.failover().host, list.failover().host]).toEqual(['p3.example', 'p1.example', 'p2.example']);
  });

  it('drops repeated entries and entries that are no URL', () => {
    const list = new ServerList('https://p1.example,https://p1.example/,http://[bad,https://p2.example', PAGE, () => 0);
    expect(list.size).toBe(2);
    expect(hrefs(list)).toEqual(['https://p2.example/', 'https://p1.example/']);
  });

  it('current() is a copy: changing it changes nothing', () => {
    const list = new ServerList('https://p1.example', PAGE, () => 0);
    list.current().host = 'evil.example';
    expect(list.current().host).toBe('p1.example');
  });
});
