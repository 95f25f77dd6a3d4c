/// <reference lib="webworker" />
import { clientsClaim } from 'workbox-core';
import { isPageToWorkerMessage } from '../core/contract';
import { SW_DEFAULTS, type SwConfig } from '../core/swConfig';
import { AgentPorts } from './AgentPorts';
import { SegmentHandler } from './SegmentHandler';

declare const self: ServiceWorkerGlobalScope;

/**
 * swarmfetch inside a service worker: keeps the pages' agent ports and answers media segment requests.
 * `enable()` adds its own fetch and message listeners; a Workbox site can instead route to `handle()`.
 */
export class SwarmfetchWorker {
  readonly ports: AgentPorts;
  readonly handler: SegmentHandler;
  private listening = false;

  constructor(config: Partial<SwConfig> = {}, scope: ServiceWorkerGlobalScope = self) {
    const full: SwConfig = { ...SW_DEFAULTS, ...config };
    this.ports = new AgentPorts(scope.clients);
    this.handler = new SegmentHandler({
      config: full,
      agentFor: (id, waitMs) => this.ports.get(id, waitMs),
      onAgentTimeout: (id) => {
        // keep a slow page's port; forget a page that is gone
        scope.clients.get(id).then((c) => c || this.ports.drop(id), () => this.ports.drop(id));
      },
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

  /** Listens to fetch and message events, and claims pages on activation. */
  enable(): this {
    if (this.listening) return this;
    this.listening = true;
    this.scope.addEventListener('fetch', this.onFetch);
    this.scope.addEventListener('message', this.onMessage);
    clientsClaim();
    return this;
  }

  destroy(): void {
    this.scope.removeEventListener('fetch', this.onFetch);
    this.scope.removeEventListener('message', this.onMessage);
    this.listening = false;
    this.ports.destroy();
  }

  /** Handles the page→worker messages of the contract; returns whether it was one. */
  acceptMessage(event: ExtendableMessageEvent): boolean {
    const data = event.data;
    if (!isPageToWorkerMessage(data)) return false;
    const source = event.source as Client | null;
    if (data.type === 'swarmfetch:claim') {
      event.waitUntil(this.scope.clients.claim());
    } else if (!source || !('id' in source)) {
      return true;
    } else if (data.type === 'swarmfetch:seed') {
      event.waitUntil(this.handler.seed(data.url, source.id));
    } else {
      this.ports.set(source.id, data.port);
    }
    return true;
  }

  private readonly onFetch = (event: FetchEvent): void => {
    if (this.matches(event.request, event.clientId)) {
      event.respondWith(this.handle(event.request, event.clientId));
    } else if (this.handler.matchesManifest(event.request, event.clientId)) {
      event.respondWith(this.handler.observeManifest(event.request, event.clientId));
    }
  };

  private readonly onMessage = (event: ExtendableMessageEvent): void => {
    this.acceptMessage(event);
  };
}
