/**
 * The contract between the service worker and the page agent, version CONTRACT_VERSION.
 *
 * Handshake: the page creates a MessageChannel, exposes its AgentApi on one port with Comlink and posts the other
 * port to the service worker in a PortMessage. The service worker keeps one Comlink proxy per client id. When it
 * has none for a client (first request, or after the browser restarted it) it posts NeedPortMessage to that client
 * and waits at most `portWaitMs`. Every call the worker makes has a deadline; on expiry it uses the network.
 *
 * Segment bytes cross as Blobs: structured clone passes a Blob by reference (no copy of the bytes), the store keeps
 * the same Blob it hands out, and `Response` streams it.
 */
import type { SwarmErrorCode } from './SwarmError';

export const CONTRACT_VERSION = 1;

/** Where the bytes of a segment came from. */
export type SegmentSource = 'http' | 'p2p' | 'store';

// ---- messages over postMessage (outside Comlink) ----

/** page → service worker: here is my agent. */
export interface PortMessage {
  type: 'swarmfetch:port';
  version: number;
  port: MessagePort;
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
export type PageToWorkerMessage = PortMessage | ClaimMessage | SeedMessage;

/** service worker → page: I have no port for you (I was restarted); send one. */
export interface NeedPortMessage {
  type: 'swarmfetch:need-port';
  version: number;
}
export type WorkerToPageMessage = NeedPortMessage;

export function isPageToWorkerMessage(data: unknown): data is PageToWorkerMessage {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as { type?: unknown; version?: unknown; port?: unknown };
  if (d.version !== CONTRACT_VERSION) return false;
  if (d.type === 'swarmfetch:claim') return true;
  if (d.type === 'swarmfetch:seed') return typeof (d as { url?: unknown }).url === 'string' && (d as { url: string }).url.length <= 4096;
  return d.type === 'swarmfetch:port' && typeof MessagePort !== 'undefined' && d.port instanceof MessagePort;
}

export function isWorkerToPageMessage(data: unknown): data is WorkerToPageMessage {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as { type?: unknown; version?: unknown };
  return d.type === 'swarmfetch:need-port' && d.version === CONTRACT_VERSION;
}

// ---- Comlink API the agent exposes ----

export interface SegmentQuery {
  /** Store key of exactly what the request asks for (see segmentKey). */
  key: string;
  /** Key of the whole file, when the request asks for a byte range of it. */
  wholeKey: string | null;
  /** Requested range resolved by the agent against the whole file's size, when `wholeKey` is set. */
  range: { start: number; end?: number } | { suffix: number } | null;
  swarm: string;
  url: string;
  /** Milliseconds the agent has to answer; the worker gives up shortly after. */
  budgetMs: number;
}

export type SegmentAnswer =
  | {
      kind: 'hit';
      /** How the player's bytes reached this page ('http' for a seeded segment's first delivery). */
      source: SegmentSource;
      peerId: string | null;
      /** Exactly the requested bytes. */
      body: Blob;
      /** Size of the whole file, for Content-Range, when known. */
      totalBytes: number | null;
      /** Offset of `body` in the whole file (0 unless a range was asked). */
      start: number;
      contentType: string | null;
    }
  | { kind: 'unsatisfiable'; totalBytes: number }
  | { kind: 'miss'; reason: SwarmErrorCode | 'not-found' | 'no-peer' };

/** One rendition's segments, as the worker parsed them from a manifest passing by. */
export interface ManifestNotice {
  swarm: string;
  live: boolean;
  /** `sha256`: the segment's hash from its HLS playlist (`#EXT-X-SWARMFETCH-SHA256`), for the segment's `key`. */
  entries: Array<{ key: string; url: string; durationSec: number; seq: number; sha256?: string }>;
}

/** A manifest (HLS playlist or DASH MPD) the worker passed to the player, as text for the agent to read. */
export interface ManifestText {
  text: string;
  /** The manifest's final URL (segment URLs resolve against it). */
  url: string;
  contentType: string | null;
  /** The site's origin (swarm ids are per site). */
  siteOrigin: string;
}

export interface SegmentPut {
  key: string;
  swarm: string;
  url: string;
  body: Blob;
  totalBytes: number | null;
  contentType: string | null;
  /** A seeding download (the player has not had these bytes yet). */
  seed?: boolean;
}

/** What happened to one segment request, reported by the worker once its body has been delivered (or failed). */
export interface SegmentReport {
  url: string;
  key: string;
  source: SegmentSource;
  peerId: string | null;
  bytes: number;
  /** From the worker seeing the request to the last byte handed to the player. */
  ms: number;
  /** Why the worker went to the network, when it did. */
  fallback: SwarmErrorCode | 'not-found' | 'no-peer' | null;
  /** Set when delivering failed (the player saw an error). */
  error: SwarmErrorCode | null;
  /** A seeding download for the store (not bytes the player consumed). */
  seed?: boolean;
}

export interface AgentApi {
  hello(version: number): { version: number };
  getSegment(query: SegmentQuery): Promise<SegmentAnswer>;
  putSegment(put: SegmentPut): void;
  report(report: SegmentReport): void;
  /** A manifest passed by: the agent parses it (the worker stays small) and learns each rendition's segments. */
  manifestText(manifest: ManifestText): void;
}
