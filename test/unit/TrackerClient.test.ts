import { describe, expect, it } from 'vitest';
import { TrackerClient } from '../../client/TrackerClient';
import { SwarmError } from '../../core/SwarmError';

function client(answer: () => Response | Promise<Response>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return answer();
  }) as unknown as typeof globalThis.fetch;
  return { tracker: new TrackerClient({ baseUrl: 'http://p2p.example/', timeoutMs: 1000, fetch }), calls };
}

describe('TrackerClient.leave', () => {
  it('posts { peerId, token, swarm } to /swarmfetch/v1/leave without credentials and takes a 204', async () => {
    const { tracker, calls } = client(() => new Response(null, { status: 204 }));
    await expect(tracker.leave('me', 'tok', 'http://site|http://cdn/a/')).resolves.toBeUndefined();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('http://p2p.example/swarmfetch/v1/leave');
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.credentials).toBe('omit');
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ peerId: 'me', token: 'tok', swarm: 'http://site|http://cdn/a/' });
  });

  it('fails with server-unreachable on an error status or a network failure', async () => {
    const forbidden = client(() => new Response('{"error":"forbidden"}', { status: 403 }));
    await expect(forbidden.tracker.leave('me', 'tok', 's')).rejects.toSatisfy((e) => SwarmError.is(e, 'server-unreachable'));
    const down = client(() => Promise.reject(new TypeError('network')));
    await expect(down.tracker.leave('me', 'tok', 's')).rejects.toSatisfy((e) => SwarmError.is(e, 'server-unreachable'));
  });
});

describe('TrackerClient base URL', () => {
  it('reads a base URL given as a function at each request (the server signalling uses now)', async () => {
    const urls: string[] = [];
    const fetch = (async (url: string) => {
      urls.push(url);
      return new Response(null, { status: 204 });
    }) as unknown as typeof globalThis.fetch;
    let base = 'https://p1.example/';
    const tracker = new TrackerClient({ baseUrl: () => base, timeoutMs: 1000, fetch });
    await tracker.leave('me', 'tok', 's');
    base = 'https://p2.example/p2p/';
    await tracker.leave('me', 'tok', 's');
    await tracker.beacon({}, false);
    expect(urls).toEqual([
      'https://p1.example/swarmfetch/v1/leave', 'https://p2.example/p2p/swarmfetch/v1/leave', 'https://p2.example/p2p/swarmfetch/v1/beacon',
    ]);
  });

  it('a request that fails does not move it to another server (signalling chooses)', async () => {
    const urls: string[] = [];
    const fetch = (async (url: string) => {
      urls.push(url);
      throw new TypeError('network');
    }) as unknown as typeof globalThis.fetch;
    const tracker = new TrackerClient({ baseUrl: () => 'https://p1.example/', timeoutMs: 1000, fetch });
    await expect(tracker.leave('me', 'tok', 's')).rejects.toSatisfy((e) => SwarmError.is(e, 'server-unreachable'));
    await expect(tracker.leave('me', 'tok', 's')).rejects.toSatisfy((e) => SwarmError.is(e, 'server-unreachable'));
    expect(urls).toEqual(['https://p1.example/swarmfetch/v1/leave', 'https://p1.example/swarmfetch/v1/leave']);
  });
});
