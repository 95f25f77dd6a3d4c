/**
 * Stands in for `peerjs-js-binarypack` in dist/swarmfetch.js. PeerJS imports it for its `binary` serialization
 * only; swarmfetch connects with `serialization: 'raw'` and its own framing (protocol.ts), and closes any incoming
 * connection in another serialization before it carries a message (peer/Signalling.ts). Leaving it out takes
 * ~9 KB (minified) of never-run code out of the drop-in — and a parser a stranger could otherwise reach.
 */
function unused(): never {
  throw new Error('swarmfetch: PeerJS binary serialization is not used');
}

export const pack = unused;
export const unpack = unused;
