/**
 * The Comlink API the page exposes to the service worker on the port it hands over (see messages.ts).
 *
 * Every call the worker makes has a deadline; a call that misses it is dropped (its answer, should it come, is
 * ignored) and the worker uses the network. Segment bytes cross as Blobs: structured clone passes a Blob by
 * reference (no copy of the bytes), the store keeps the same Blob it hands out, and `Response` streams it.
 */
import type { SwarmErrorCode } from '../SwarmError';

/** Where the bytes of a segment came from. */
export type SegmentSource = 'http' | 'p2p' | 'store';

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
  /**
   * The worker is not waiting for this answer: it went to the network at once, as the page said it would answer a
   * `no-peer` miss (`swarmfetch:direct`). The agent notes the request (the player's position and rate) and that the
   * segment is on its way to its store, and answers that miss.
   */
  direct?: boolean;
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

/** One rendition's segments, as the agent reads them from a manifest passing by. */
export interface ManifestNotice {
  swarm: string;
  live: boolean;
  /** `sha256`: the segment's hash from its HLS playlist (`#EXT-X-SWARMFETCH-SHA256`), for the segment's `key`. */
  entries: Array<{ key: string; url: string; durationSec: number; seq: number; sha256?: string }>;
  /**
   * An HLS master's variant: the rate (bits/s) of the master's next rung above this one, when both are declared.
   * A player on this rendition switches up only if its line carries that rate (see HttpPace.lineFull).
   */
  nextUpBitsPerSec?: number;
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

/** Something the worker did for the page failed (the player was not harmed: it got the network's answer). */
export interface WorkerError {
  code: SwarmErrorCode;
  /** For people; at most a few hundred characters. */
  message: string;
}

export interface AgentApi {
  /**
   * Called by the worker on every port it gets: `version` is the worker's CONTRACT_VERSION, the answer the
   * page's. They differ: the worker sends all of the page's requests to the network. (A version 1 page answered
   * -1 when they differed.)
   */
  hello(version: number): { version: number };
  getSegment(query: SegmentQuery): Promise<SegmentAnswer>;
  putSegment(put: SegmentPut): void;
  report(report: SegmentReport): void;
  /** A manifest passed by: the agent parses it (the worker stays small) and learns each rendition's segments. */
  manifestText(manifest: ManifestText): void;
  /**
   * The worker reports a failure the page would not otherwise see (a manifest it could not read, an agent that
   * did not answer in time while a byte range was served, a seeding download that failed); at most 10 a second.
   * The page makes each an `error` event. The page's WorkerBridge always exposes it; optional here only so that
   * objects implementing the rest of the API (the Agent) need not.
   */
  workerError?(error: WorkerError): void;
}
