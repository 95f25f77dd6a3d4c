import Peer from 'peerjs';
import type { SwarmfetchConfig } from '../core/config';
import { iceServersFrom } from './peer/iceServersFrom';
import type { PeerLike } from './PeerPool';
import type { MediaLike } from './urgency';

/** Collaborators, injectable for tests. */
export interface SwarmfetchDeps {
  createPeer(options: Readonly<SwarmfetchConfig>, token: string, pageUrl: string): PeerLike;
  fetch: typeof fetch;
  serviceWorker: ServiceWorkerContainer | undefined;
  hasWebRTC: boolean;
  pageUrl: string;
  /** The page's media elements (to see how much the player has buffered). */
  media(): Iterable<MediaLike>;
  now(): number;
  random(): number;
}

/** Resolves the P2P server base URL (always ending in '/'). */
export function serverBase(config: Readonly<SwarmfetchConfig>, pageUrl: string): URL {
  const base = new URL(config.serverUrl || '/', pageUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return base;
}

function defaultCreatePeer(config: Readonly<SwarmfetchConfig>, token: string, pageUrl: string): PeerLike {
  const base = serverBase(config, pageUrl);
  const secure = base.protocol === 'https:';
  return new Peer({
    host: base.hostname,
    port: Number(base.port) || (secure ? 443 : 80),
    path: base.pathname.replace(/\/$/, '') + config.peerjsPath,
    key: config.peerjsKey,
    secure,
    token,
    debug: config.debug ? 2 : 0,
    // null: the P2P server's, set once signalling is up (see peer/ServerIce)
    config: { iceServers: iceServersFrom(config.iceServers ?? [], config.allowRelayedPeers) },
  }) as unknown as PeerLike;
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
  };
}
