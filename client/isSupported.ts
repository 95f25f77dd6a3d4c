/** The globals isSupported reads (a test passes its own). */
export interface SupportGlobals {
  isSecureContext?: boolean;
  navigator?: { serviceWorker?: unknown };
  RTCPeerConnection?: unknown;
  WebSocket?: unknown;
  crypto?: { subtle?: unknown };
}

/**
 * Whether this browser can deliver segments over P2P on this page: a secure context (service workers and
 * crypto.subtle need one), service workers (segments reach the player through one), RTCPeerConnection (the data
 * channels to peers), WebSocket (signalling) and crypto.subtle (every peer segment is checked against its SHA-256).
 * Reads the globals only: it makes no connection and no RTCPeerConnection. A browser where it is false plays over
 * HTTP as before.
 */
export function isSupported(g: SupportGlobals = globalThis as SupportGlobals): boolean {
  return (
    g.isSecureContext === true &&
    !!g.navigator?.serviceWorker &&
    typeof g.RTCPeerConnection === 'function' &&
    typeof g.WebSocket === 'function' &&
    !!g.crypto?.subtle
  );
}
