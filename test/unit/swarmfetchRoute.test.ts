import { describe, expect, it, vi } from 'vitest';
import { SwarmfetchWorker } from '../../sw/SwarmfetchWorker';
import { swarmfetchRoute } from '../../sw/swarmfetchRoute';
import { CONTRACT_VERSION } from '../../core/contract';

// workbox-core (imported by the worker) reads `self` when it loads; in Node that is globalThis
vi.hoisted(() => {
  (globalThis as { self?: unknown }).self ??= globalThis;
});

const SEGMENT = 'http://site.test/vod/360p/seg_001.ts';

/** The parts of a ServiceWorkerGlobalScope the worker uses: events, clients, fetch, location. */
function fakeScope(body = 'from the network') {
  const target = new EventTarget();
  const clients = { get: vi.fn(async () => undefined), claim: vi.fn(async () => undefined), matchAll: vi.fn(async () => []) };
  const fetch = vi.fn(async () => new Response(body, { status: 200, headers: { 'content-type': 'video/mp2t' } }));
  const scope = Object.assign(target, { clients, fetch, location: new URL('http://site.test/site-sw.js') });
  return { scope: scope as unknown as ServiceWorkerGlobalScope, clients, fetch };
}

function fetchEvent(url: string, clientId = 'page-1') {
  const respondWith = vi.fn();
  return { event: { request: new Request(url), clientId, respondWith } as unknown as FetchEvent, respondWith };
}

const worker = (scope: ServiceWorkerGlobalScope) => new SwarmfetchWorker({ portWaitMs: 0, p2pTimeoutMs: 50 }, scope);

describe('swarmfetch in a site\'s own service worker', () => {
  it('a Workbox route matches segments and manifests of controlled pages, nothing else', () => {
    const { scope } = fakeScope();
    const { matcher } = swarmfetchRoute({}, worker(scope));
    const match = (url: string, clientId = 'page-1') => {
      const { event } = fetchEvent(url, clientId);
      return matcher({ request: event.request, event, url: new URL(url), sameOrigin: true });
    };
    expect(match(SEGMENT)).toBe(true);
    expect(match('http://site.test/vod/360p/index.m3u8')).toBe(true);
    expect(match('http://site.test/app.js')).toBe(false);
    expect(match('http://site.test/hello')).toBe(false);
    expect(match(SEGMENT, '')).toBe(false); // no page behind it (e.g. the worker's own fetch)
  });

  it('the route handler answers a segment from the network when no page agent is there', async () => {
    const { scope, fetch } = fakeScope('segment bytes');
    const { handler } = swarmfetchRoute({}, worker(scope));
    const { event } = fetchEvent(SEGMENT);
    const response = await handler.handle({ request: event.request, event, url: new URL(SEGMENT) });
    expect(await response.text()).toBe('segment bytes');
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('respond(event) takes swarmfetch\'s requests and leaves the site\'s alone', async () => {
    const { scope } = fakeScope();
    const w = worker(scope);
    const site = fetchEvent('http://site.test/hello');
    expect(w.respond(site.event)).toBe(false);
    expect(site.respondWith).not.toHaveBeenCalled();
    const segment = fetchEvent(SEGMENT);
    expect(w.respond(segment.event)).toBe(true);
    expect(segment.respondWith).toHaveBeenCalledTimes(1);
    expect(await (await segment.respondWith.mock.calls[0]![0]).text()).toBe('from the network');
  });

  it('listen() handles the pages\' messages once however often it is called; destroy() stops it', () => {
    const { scope, clients } = fakeScope();
    const w = worker(scope).listen().listen();
    const claim = () => {
      const event = Object.assign(new Event('message'), {
        data: { type: 'swarmfetch:claim', version: CONTRACT_VERSION }, source: null, waitUntil: vi.fn(),
      });
      scope.dispatchEvent(event);
    };
    claim();
    expect(clients.claim).toHaveBeenCalledTimes(1);
    w.destroy();
    claim();
    expect(clients.claim).toHaveBeenCalledTimes(1);
  });
});
