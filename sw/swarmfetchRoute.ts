/// <reference lib="webworker" />
import type { RouteHandlerObject, RouteMatchCallback } from 'workbox-core/types.js';
import type { SwConfig } from '../core/contract';
import { SwarmfetchWorker } from './SwarmfetchWorker';

/** What `swarmfetchRoute()` gives a Workbox site: `registerRoute(route.matcher, route.handler)`. */
export interface SwarmfetchRoute {
  /** Matches media segments (and manifests, which are passed through and read on the way) of controlled pages. */
  matcher: RouteMatchCallback;
  /** Answers them: from peers through the page agent, else from the network. */
  handler: RouteHandlerObject;
  /** The worker behind them (listening to the pages' messages only; fetches come through Workbox). */
  worker: SwarmfetchWorker;
}

function clientIdOf(event: ExtendableEvent | undefined): string {
  return (event as FetchEvent | undefined)?.clientId ?? '';
}

/**
 * swarmfetch as a Workbox route, composed with the site's own routes and strategies:
 *
 *   import { registerRoute } from 'workbox-routing';
 *   import { swarmfetchRoute } from 'swarmfetch/sw';
 *   const swarmfetch = swarmfetchRoute();
 *   registerRoute(swarmfetch.matcher, swarmfetch.handler);
 *
 * Workbox tries routes in the order they were registered: a site route that also matches segments or manifests
 * and is registered first wins. Nothing here imports Workbox; the site's own copy does the routing.
 */
export function swarmfetchRoute(config: Partial<SwConfig> = {}, worker = new SwarmfetchWorker(config)): SwarmfetchRoute {
  worker.listen();
  return {
    matcher: ({ request, event }) => worker.routes(request, clientIdOf(event)),
    handler: { handle: ({ request, event }) => worker.route(request, clientIdOf(event)) },
    worker,
  };
}
