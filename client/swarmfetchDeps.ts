import Peer from 'peerjs';
import type { SwarmfetchConfig } from '../core/config';
import { iceServersFrom } from './peer/iceServersFrom';
import type { LoadedResource } from './ManifestCatchUp';
import type { PeerLike } from './PeerPool';
import type { MediaLike } from './urgency';

/** Collaborators, injectable for tests. */
export interface SwarmfetchDeps {
  /**
   * Makes a PeerJS Peer signalling through `serverBase` (the P2P server in use, its base URL ending in '/': see
   * ServerList). `id`: the peer id to keep (after a failover to another server of the list); none: the server's pick.
   */
  createPeer(options: Readonly<SwarmfetchConfig>, token: string, pageUrl: string, serverBase: string, id?: string): PeerLike;
  fetch: typeof fetch;
  serviceWorker: ServiceWorkerContainer | undefined;
  hasWebRTC: boolean;
  pageUrl: string;
  /** The page's media elements (to see how much the player has buffered). */
  media(): Iterable<MediaLike>;
  now(): number;
  random(): number;
  /** What the page has loaded so far (its resource timing entries: see ManifestCatchUp). */
  loaded(): Iterable<LoadedResource>;
}

function defaultCreatePeer(config: Readonly<SwarmfetchConfig>, token: string, pageUrl: string, serverBase: string, id?: string): PeerLike {
  const base = new URL(serverBase, pageUrl);
  const secure = base.protocol === 'https:';
  const options = {
    host: base.hostname,
    port: Number(base.port) || (secure ? 443 : 80),
    path: base.pathname.replace(/\/$/, '') + config.peerjsPath,
    key: config.peerjsKey,
    secure,
    token,
    debug: config.debug ? 2 : 0,
    // null: the P2P server's, set once signalling is up (see peer/ServerIce)
    config: { iceServers: iceServersFrom(config.iceServers ?? [], config.allowRelayedPeers) },
  };
  return (id === undefined ? new Peer(options) : new Peer(id, options)) as unknown as PeerLike;
}

export function defaultDeps(): SwarmfetchDeps {
  const g = globalThis as typeof globalThis & { location?: Location };
  return {
    createPeer: defaultCreatePeer,
    fetch: (...args) => fetch(...args),
    serviceWorker: typeof navigator !== 'undefined' && 'serviceWorker' in navigator ? navigator.serviceWorker : undefined,
    hasWebRTC: typeof RTCPeerConnection === 'function',
    pageUrl: g.location?.href ?? 'http://localhost/',
    media: () => (typeof document === 'undefined' ? [] : document.querySelectorAll<HTMLMediaElement>('video, audio')),
    now: () => performance.now(),
    random: Math.random,
    loaded: () => (typeof performance === 'undefined' || typeof performance.getEntriesByType !== 'function' ? [] : (performance.getEntriesByType('resource') as PerformanceResourceTiming[])),
  };
}
