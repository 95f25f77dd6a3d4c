/**
 * The page↔worker messages over postMessage (outside Comlink). Every one is `{ type: 'swarmfetch:…', version }`:
 * the one rule that never changes between versions, so that either side can tell the other speaks another version
 * (see contractVersionOf).
 */

/**
 * A MessagePort as the contract sees it: structural, so that core/ also compiles where MessagePort is no type (Node's
 * globals, for the server). The page sends a real one; the worker takes it as such (`asMessagePort`).
 */
export interface TransferredPort {
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}

/** page → service worker: here is my agent (Comlink `AgentApi` exposed on `port`). */
export interface PortMessage {
  type: 'swarmfetch:port';
  version: number;
  port: TransferredPort;
}
/** page → service worker: please claim me (after a shift-reload left the page uncontrolled). */
export interface ClaimMessage {
  type: 'swarmfetch:claim';
  version: number;
}
/** page → service worker: download this segment over HTTP into my store (I was elected to seed it). */
export interface SeedMessage {
  type: 'swarmfetch:seed';
  version: number;
  url: string;
}
/**
 * page → service worker: whether my agent would answer every segment request with a `no-peer` miss at once (P2P is
 * paused for my line or switched off, see Agent.direct). While `on`, the worker fetches my segments from the network
 * without waiting for my answer, and tells me of each with a `getSegment` whose query says `direct` (not waited
 * for). Sent when it changes and after every port (a new port starts with `on: false`).
 */
export interface DirectMessage {
  type: 'swarmfetch:direct';
  version: number;
  on: boolean;
}
export type PageToWorkerMessage = PortMessage | ClaimMessage | SeedMessage | DirectMessage;

/** service worker → page: I have no port for you (I was restarted); send one. */
export interface NeedPortMessage {
  type: 'swarmfetch:need-port';
  version: number;
}
/**
 * service worker → page: you speak another contract version (your message said so, or your `hello` did); I send
 * all your requests to the network.
 */
export interface VersionMismatchMessage {
  type: 'swarmfetch:version-mismatch';
  version: number;
  /** The version the page spoke, when it told one. */
  pageVersion: number | null;
}
export type WorkerToPageMessage = NeedPortMessage | VersionMismatchMessage;
