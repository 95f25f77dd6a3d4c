/// <reference lib="webworker" />
/**
 * dist/swarmfetch-sw.js — the drop-in service worker (classic script). Its config comes from its own URL's
 * query (written by the page script), so it survives the browser stopping and restarting the worker.
 * A site with its own worker sets `self.swarmfetchManual = true` before `importScripts()` and calls
 * `self.swarmfetch.enableSwarmfetch(config)` itself.
 */
import { swConfigFromParams } from '../core/swConfig';
import { enableSwarmfetch, SwarmfetchWorker } from './index';

/** What the classic script offers a worker that imports it. */
const api = { enableSwarmfetch, SwarmfetchWorker, swConfigFromParams };
declare const self: ServiceWorkerGlobalScope & { swarmfetch?: typeof api; swarmfetchManual?: boolean };

self.swarmfetch = api;
if (!self.swarmfetchManual) {
  self.addEventListener('install', () => void self.skipWaiting());
  enableSwarmfetch(swConfigFromParams(new URL(self.location.href).searchParams));
}
