/// <reference lib="webworker" />
import { clientsClaim } from 'workbox-core';
import { CONTRACT_VERSION, contractVersionOf, isPageToWorkerMessage, SW_DEFAULTS, type SwConfig } from '../core/contract';
import { AgentPorts } from './AgentPorts';
import { SegmentHandler } from './SegmentHandler';

declare const self: ServiceWorkerGlobalScope;

/**
 * swarmfetch inside a service worker: keeps the pages' agent ports and answers media segment requests.
 * `enable()` adds its own fetch and message listeners. A site with its own fetch handling calls `listen()` (messages
 * only) and hands requests over with `respond(event)`, or routes them with `routes()`/`route()` (see
 * `swarmfetchRoute()` for Workbox).
 */
export class SwarmfetchWorker {
  readonly ports: AgentPorts;
  readonly handler: SegmentHandler;
  private listening = false;

  constructor(config: Partial<SwConfig> = {}, scope: ServiceWorkerGlobalScope = self) {
    const full: SwConfig = { ...SW_DEFAULTS, ...config };
    this.ports = new AgentPorts(scope.clients, { helloTimeoutMs: full.p2pTimeoutMs });
    this.handler = new SegmentHandler({
      config: full,
      agentFor: (id, waitMs) => this.ports.get(id, waitMs),
      isDirect: (id) => this.ports.isDirect(id),
      // keep a slow page's port; forget a page that is gone
      onAgentTimeout: (id) => this.ports.dropIfGone(id),
      fetch: (input) => scope.fetch(input),
      now: () => performance.now(),
      siteOrigin: scope.location.origin,
    });
    this.scope = scope;
  }

  private readonly scope: ServiceWorkerGlobalScope;

  /** Whether a request is a media segment this worker answers. */
  matches(request: Request, clientId: string): boolean {
    return this.handler.matches(request, clientId);
  }

  /** Answers a segment request (for use as a route handler). */
  handle(request: Request, clientId: string): Promise<Response> {
    return this.handler.handle(request, clientId);
  }

  /** Whether a request is one this worker answers: a media segment, or a manifest it reads on the way. */
  routes(request: Request, clientId: string): boolean {
    return this.matches(request, clientId) || this.handler.matchesManifest(request, clientId);
  }

  /** Answers a request `routes()` accepted: segments from peers or the network, manifests passed through. */
  route(request: Request, clientId: string): Promise<Response> {
    return this.matches(request, clientId)
      ? this.handle(request, clientId)
      : this.handler.observeManifest(request, clientId);
  }

  /**
   * For a site's own fetch listener: responds to the event when it is swarmfetch's (returns true), else leaves it
   * alone (false). `respondWith` stops the event there, so listeners after this one never see swarmfetch's requests.
   */
  respond(event: FetchEvent): boolean {
    if (!this.routes(event.request, event.clientId)) return false;
    event.respondWith(this.route(event.request, event.clientId));
    return true;
  }

  /** Listens to the pages' messages only (port hand-over, claim, seed, direct): for a site that routes fetches itself. */
  listen(): this {
    this.scope.addEventListener('message', this.onMessage); // the same listener twice is added once
    return this;
  }

  /** Listens to fetch and message events, and claims pages on activation. */
  enable(): this {
    this.listen();
    if (this.listening) return this;
    this.listening = true;
    this.scope.addEventListener('fetch', this.onFetch);
    clientsClaim();
    return this;
  }

  destroy(): void {
    this.scope.removeEventListener('fetch', this.onFetch);
    this.scope.removeEventListener('message', this.onMessage);
    this.listening = false;
    this.ports.destroy();
  }

  /**
   * Handles the page→worker messages of the contract; returns whether it was one. A page speaking another
   * contract version gets the network for all its requests, and is told once (claiming it is still done).
   */
  acceptMessage(event: ExtendableMessageEvent): boolean {
    const data = event.data;
    const version = contractVersionOf(data);
    const source = event.source as Client | null;
    if (version !== null && version !== CONTRACT_VERSION) {
      const { type, port } = data as { type: string; port?: unknown };
      if (type === 'swarmfetch:claim') event.waitUntil(this.scope.clients.claim());
      if (typeof MessagePort !== 'undefined' && port instanceof MessagePort) port.close(); // not talked to
      if (source && 'id' in source) this.ports.mismatch(source.id, version);
      return true;
    }
    if (!isPageToWorkerMessage(data)) return false;
    if (data.type === 'swarmfetch:claim') {
      event.waitUntil(this.scope.clients.claim());
    } else if (!source || !('id' in source)) {
      return true;
    } else if (data.type === 'swarmfetch:seed') {
      event.waitUntil(this.handler.seed(data.url, source.id));
    } else if (data.type === 'swarmfetch:direct') {
      this.ports.setDirect(source.id, data.on);
    } else {
      this.ports.set(source.id, data.port as MessagePort); // isPageToWorkerMessage checked `instanceof MessagePort`
    }
    return true;
  }

  private readonly onFetch = (event: FetchEvent): void => {
    this.respond(event);
  };

  private readonly onMessage = (event: ExtendableMessageEvent): void => {
    this.acceptMessage(event);
  };
}
