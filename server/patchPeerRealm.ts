import { EventEmitter } from 'node:events';

/** What the `peer` package's realm (its registry of connected clients) is known to have (peer 1.0.x). */
interface PeerRealm {
  clients: Map<string, unknown>;
  getClientsIds(): Iterable<string> & { readonly length: number };
}

/**
 * The live ids of a realm, in the shape PeerJS reads `getClientsIds()`'s answer: `.length` (its concurrent-limit
 * check at every new connection), iterated (its broken-connection check every 300 ms, which may remove the id it is
 * at: Map iteration allows that), and sent as JSON (its `/peers` discovery route, off in this server). O(1) to make,
 * where PeerJS copies every id into a new array.
 */
export function liveClientIds(clients: Map<string, unknown>): Iterable<string> & { readonly length: number; toJSON(): string[] } {
  return {
    get length() {
      return clients.size;
    },
    [Symbol.iterator]: () => clients.keys(),
    toJSON: () => [...clients.keys()],
  };
}

function isRealm(value: unknown): value is PeerRealm {
  const realm = value as Partial<PeerRealm> | null;
  return typeof realm === 'object' && realm !== null && realm.clients instanceof Map && typeof realm.getClientsIds === 'function';
}

/**
 * Mounts the PeerJS server (`mount` runs `app.use(path, peerServer)`, synchronously) and makes its realm's
 * `getClientsIds()` O(1) (see liveClientIds). Why: PeerJS answers it with `[...clients.keys()]`, and calls it for
 * EVERY new signalling connection just to read `.length` against `concurrent_limit` — O(n) per connection, O(n²) to
 * fill a node (at 19,500 peers it was a third of the server's CPU while peers connected) — and every 300 ms for its
 * broken-connection check (an array of every id each time).
 *
 * The `peer` package hands out no realm: it is created when the server is mounted and kept by the package's own
 * websocket-server wrapper (`wrapper.realm`, with `wrapper.socketServer` the ws server `createWebSocketServer` made).
 * That wrapper is an EventEmitter and calls `this.setMaxListeners(0)` in its constructor; while `mount` runs, that
 * method records the emitters it is called on (and is put back before control returns to anything else, as
 * captureTimers does with setTimeout). The one whose `socketServer` is `socketServer()` holds the realm.
 *
 * Returns whether the realm was found and patched; false (the package works as before, only slower) should a
 * version of the package no longer fit this.
 */
export function patchPeerRealm(mount: () => void, socketServer: () => unknown): boolean {
  const proto = EventEmitter.prototype;
  const base = proto.setMaxListeners;
  const seen: object[] = [];
  proto.setMaxListeners = function recording(this: EventEmitter, n: number) {
    seen.push(this);
    return base.call(this, n);
  };
  try {
    mount();
  } finally {
    proto.setMaxListeners = base;
  }
  const ws = socketServer();
  if (ws === null || ws === undefined) return false;
  const wrapper = seen.find((e) => (e as { socketServer?: unknown }).socketServer === ws) as { realm?: unknown } | undefined;
  const realm = wrapper?.realm;
  if (!isRealm(realm)) return false;
  const ids = liveClientIds(realm.clients);
  realm.getClientsIds = () => ids;
  return true;
}
