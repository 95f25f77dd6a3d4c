/// <reference lib="webworker" />
/**
 * dist/swarmfetch-sw.js — the drop-in service worker (classic script). Its config comes from its worker's URL
 * query (written by the page script), so it survives the browser stopping and restarting the worker.
 *
 * Registered as the worker itself (a file named `swarmfetch-sw*.js`), it enables itself. Imported by a site's own
 * worker it only defines `self.swarmfetch`; the site then makes one call:
 *
 *   importScripts('/swarmfetch-sw.js');
 *   self.swarmfetch.enable();          // before the site's own fetch listeners: it answers segments first
 *
 * or, from a fetch listener of its own registered earlier: `if (self.swarmfetch.respond(event)) return;`.
 * `self.swarmfetchManual = true` before the import keeps even the drop-in worker from enabling itself.
 */
import { swConfigFromParams, type SwConfig } from '../core/contract';
import { SwarmfetchWorker } from './SwarmfetchWorker';
import { enableSwarmfetch } from './index';

let worker: SwarmfetchWorker | null = null;

/** What the classic script offers a worker that imports it. */
const api = {
  /**
   * Enables swarmfetch in this worker (once; later calls return the same worker): its message and fetch listeners.
   * Options: the worker URL's query (when the page script registered it), overridden by `config`.
   */
  enable(config: Partial<SwConfig> = {}): SwarmfetchWorker {
    worker ??= enableSwarmfetch({ ...swConfigFromParams(new URL(self.location.href).searchParams), ...config });
    return worker;
  },
  /** For a site fetch listener that runs before swarmfetch's: answers the event if it is swarmfetch's. */
  respond(event: FetchEvent): boolean {
    return worker?.respond(event) ?? false;
  },
  SwarmfetchWorker,
};
declare const self: ServiceWorkerGlobalScope & { swarmfetch?: typeof api; swarmfetchManual?: boolean };

self.swarmfetch = api;
const ownScript = /(^|\/)swarmfetch-sw[^/]*\.js$/.test(new URL(self.location.href).pathname);
if (ownScript && !self.swarmfetchManual) {
  self.addEventListener('install', () => void self.skipWaiting());
  api.enable();
}
