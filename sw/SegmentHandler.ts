import {
  segmentKey,
  swarmId,
  type SegmentAnswer,
  type SegmentQuery,
  type SegmentReport,
  type SwConfig,
} from '../core/contract';
import { SwarmError, type SwarmErrorCode } from '../core/SwarmError';
import { compileSegmentPattern, isManifestRequest, isSegmentRequest } from '../core/isSegmentRequest';
import { parseRangeHeader, type ByteRange, type SuffixRange } from '../core/parseRangeHeader';
import { contentTypeFor } from '../core/contentTypeFor';
import { isShareableRequest, isShareableResponse } from '../core/isShareable';
import { AgentCalls, type AgentLike } from './AgentCalls';
import { readBodyCapped } from './readBodyCapped';
import { RangeResponder } from './RangeResponder';
import { MANIFEST_LIMITS } from '../core/manifest/types';

export interface SegmentHandlerDeps {
  config: SwConfig;
  /** The page's agent for a client id, or null within the wait. */
  agentFor(clientId: string, waitMs: number): Promise<AgentLike | null>;
  /** Whether the page said its agent would answer `no-peer` at once (DirectMessage): no need to wait for it. */
  isDirect?(clientId: string): boolean;
  /** Called when an agent did not answer a call in time; the worker may drop its port. */
  onAgentTimeout?(clientId: string): void;
  fetch: typeof fetch;
  now(): number;
  /** The site's origin (the worker's own). */
  siteOrigin: string;
}

type Fallback = SegmentReport['fallback'];

/**
 * Answers one media segment request: from the page agent (its store or a peer) within a deadline, else from the
 * network — streamed straight to the player, with a copy handed to the agent to share.
 */
export class SegmentHandler {
  private readonly pattern: RegExp;
  private readonly ranges: RangeResponder;
  /** Each agent's calls (deadlines, error budget), for as long as its proxy lives. */
  private readonly calls = new WeakMap<object, AgentCalls>();

  constructor(private readonly deps: SegmentHandlerDeps) {
    this.pattern = compileSegmentPattern(deps.config.segmentPattern);
    this.ranges = new RangeResponder({ fetch: deps.fetch, now: deps.now, agentBudgetMs: deps.config.p2pTimeoutMs });
  }

  /** Whether this worker handles the request at all (decided synchronously, in the fetch event). */
  matches(request: Request, clientId: string): boolean {
    return !!clientId && isSegmentRequest(request, this.pattern);
  }

  /** Whether the request is a manifest the worker reads on its way to the player (to tell the agent what comes next). */
  matchesManifest(request: Request, clientId: string): boolean {
    return !!clientId && isManifestRequest(request);
  }

  /**
   * Passes a manifest through unchanged, and hands a copy (bounded) to the agent in the background, which parses
   * it and learns each rendition's segments. Nothing here can delay or alter what the player gets.
   */
  async observeManifest(request: Request, clientId: string): Promise<Response> {
    const response = await this.deps.fetch(request);
    if (response.ok && response.type !== 'opaque' && response.body) {
      const copy = response.clone();
      void (async () => {
        const max = MANIFEST_LIMITS.maxTextBytes;
        const { blob, bytes, complete } = await readBodyCapped(copy, max);
        if (!complete) return; // the player saw the same failure
        const agent = await this.agentFor(clientId);
        if (!agent) return;
        const url = response.url || request.url;
        if (!blob) {
          agent.workerError('size-exceeded', `manifest ${withoutQuery(url)} is over ${max} bytes (${bytes}): not read, its segments are not shared`);
          return;
        }
        const m = { text: await blob.text(), url, contentType: response.headers.get('content-type'), siteOrigin: this.deps.siteOrigin };
        const failed = await agent.manifestText(m);
        // a timeout is the page being slow or gone, not the manifest
        if (failed && failed.code !== 'agent-timeout') {
          agent.workerError(failed.code, `manifest ${withoutQuery(url)} could not be read (${failed.message}): its segments are not shared`);
        }
      })().catch(() => {});
    }
    return response;
  }

  async handle(request: Request, clientId: string): Promise<Response> {
    const t0 = this.deps.now();
    const rangeHeader = request.headers.get('range');
    const range = parseRangeHeader(rangeHeader);
    // A Range header we do not understand (several ranges, malformed) goes to the network as it is.
    if (rangeHeader && !range) return this.deps.fetch(request);
    // this viewer's own credentials: what comes back may be its alone, so neither peers nor the store answer it
    if (!isShareableRequest(request, this.deps.siteOrigin)) return this.deps.fetch(request);

    const wholeKey = segmentKey(request.url);
    const swarm = swarmId(this.deps.siteOrigin, request.url);
    if (!wholeKey || !swarm) return this.deps.fetch(request);
    const closedRange = range && 'start' in range && range.end !== undefined ? (range as Required<ByteRange>) : null;
    const key = range ? segmentKey(request.url, range) : wholeKey;
    if (!key) return this.deps.fetch(request);

    let agent: AgentCalls | null = null;
    let fallback: Fallback = null;
    try {
      agent = await this.agentFor(clientId);
      if (!agent) fallback = 'agent-unavailable';
    } catch {
      fallback = 'agent-unavailable';
    }

    // An open or suffix range (`<video src>`): exact 206s assembled from pieces peers share. A no-cors request
    // to another origin stays as it is (its response could not be read).
    if (agent && range && !closedRange && (request.mode !== 'no-cors' || new URL(request.url).origin === this.deps.siteOrigin)) {
      return this.ranges.respond(request, range, agent, wholeKey, swarm);
    }
    if (agent) {
      const budgetMs = this.deps.config.p2pTimeoutMs;
      const query: SegmentQuery = {
        key,
        wholeKey: range ? wholeKey : null,
        range,
        swarm,
        url: request.url,
        budgetMs,
      };
      // The page said its answer would be `no-peer`: the network at once, the page told without waiting for it (its
      // round trip took 30–344 ms on a starting page of a loaded machine, and the player counts it as the network's)
      if (this.deps.isDirect?.(clientId) === true) {
        void agent.getSegment({ ...query, direct: true }).catch(() => {});
        return this.fromNetwork(request, { agent, key, swarm, t0, fallback: 'no-peer', range, closedRange });
      }
      let answer: SegmentAnswer;
      try {
        answer = await agent.getSegment(query);
      } catch (err) {
        answer = { kind: 'miss', reason: SwarmError.is(err) ? err.code : 'agent-unavailable' };
      }
      const answered = this.answerResponse(answer, request, range !== null);
      if (answered) {
        if (answer.kind === 'hit') {
          agent.report({
            url: request.url, key: query.key, source: answer.source, peerId: answer.peerId,
            bytes: answer.body.size, ms: this.deps.now() - t0, fallback: null, error: null,
          });
        }
        return answered;
      }
      if (answer.kind === 'miss') fallback = answer.reason;
    }
    return this.fromNetwork(request, { agent, key, swarm, t0, fallback, range, closedRange });
  }

  /**
   * A seeding download the page's agent asked for (it was elected to fetch this segment for its swarm): fetched
   * over HTTP straight into that page's store, never to a player. Only segment URLs are fetched.
   */
  async seed(url: string, clientId: string): Promise<void> {
    const t0 = this.deps.now();
    const key = segmentKey(url);
    const swarm = swarmId(this.deps.siteOrigin, url);
    if (!key || !swarm || !isSegmentRequest({ method: 'GET', url }, this.pattern)) return;
    const agent = await this.agentFor(clientId).catch(() => null);
    if (!agent) return;
    const report = (bytes: number, error: SwarmErrorCode | null) =>
      agent.report({
        url, key, source: 'http', peerId: null, bytes, ms: this.deps.now() - t0, fallback: null, error, seed: true,
      });
    try {
      const response = await this.deps.fetch(new Request(url, { mode: 'cors', credentials: 'same-origin' }));
      if (response.status !== 200 || !response.body) throw new SwarmError('network-error', `status ${response.status}`);
      if (!isShareableResponse(response)) throw new SwarmError('network-error', 'response is private or no-store: not shared');
      const { blob, bytes, complete } = await readBodyCapped(response, this.deps.config.segmentMaxBytes);
      if (!blob || !complete) throw new SwarmError('network-error', 'body incomplete or too large', { bytes });
      // bounded (a page that closed meanwhile must not keep the worker waiting)
      const failed = await agent.putSegment({
        key, swarm, url, body: blob, totalBytes: blob.size, contentType: response.headers.get('content-type'), seed: true,
      });
      if (failed) throw failed;
      report(bytes, null);
    } catch (err) {
      report(0, 'network-error');
      const message = err instanceof Error ? err.message : String(err);
      agent.workerError(SwarmError.is(err) ? err.code : 'network-error', `seeding ${withoutQuery(url)} failed: ${message}`);
    }
  }

  private answerResponse(answer: SegmentAnswer, request: Request, ranged: boolean): Response | null {
    if (answer.kind === 'unsatisfiable') {
      return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${answer.totalBytes}` } });
    }
    if (answer.kind !== 'hit') return null;
    const headers = new Headers({
      'Content-Type': answer.contentType ?? contentTypeFor(request.url),
      'Content-Length': String(answer.body.size),
      'Accept-Ranges': 'bytes',
      'X-Swarmfetch-Source': answer.source,
    });
    if (!ranged) return new Response(answer.body, { status: 200, headers });
    const end = answer.start + answer.body.size - 1;
    headers.set('Content-Range', `bytes ${answer.start}-${end}/${answer.totalBytes ?? '*'}`);
    return new Response(answer.body, { status: 206, headers });
  }

  private async fromNetwork(
    request: Request,
    ctx: {
      agent: AgentCalls | null;
      key: string;
      swarm: string;
      t0: number;
      fallback: Fallback;
      range: ByteRange | SuffixRange | null;
      closedRange: Required<ByteRange> | null;
    },
  ): Promise<Response> {
    const { agent, key, swarm, t0, fallback, range, closedRange } = ctx;
    let response: Response;
    try {
      response = await this.deps.fetch(request);
    } catch (err) {
      if (agent) {
        agent.report({
          url: request.url, key, source: 'http', peerId: null, bytes: 0,
          ms: this.deps.now() - t0, fallback, error: 'network-error',
        });
      }
      throw err;
    }
    if (!agent || response.type === 'opaque' || !response.body) return response;

    // only whole files and closed ranges are shared: an open range's answer depends on the file's size
    const shareable = (range === null || closedRange !== null) && isCompleteAnswer(response, closedRange) && isShareableResponse(response);
    const copy = response.clone();
    const max = shareable ? this.deps.config.segmentMaxBytes : 0;
    void readBodyCapped(copy, max).then(
      ({ blob, bytes, complete }) => {
        if (shareable && blob && complete) {
          const total = closedRange ? totalFromContentRange(response.headers.get('content-range')) : blob.size;
          void agent.putSegment({
            key, swarm, url: request.url, body: blob, totalBytes: total,
            contentType: response.headers.get('content-type'),
          });
        }
        agent.report({
          url: request.url, key, source: 'http', peerId: null, bytes,
          ms: this.deps.now() - t0, fallback, error: complete ? null : 'network-error',
        });
      },
      () => {},
    );
    return response;
  }

  /** The page's agent (within `portWaitMs`), its calls bounded by deadlines; null when it has none. */
  private async agentFor(clientId: string): Promise<AgentCalls | null> {
    const agent = await this.deps.agentFor(clientId, this.deps.config.portWaitMs);
    if (!agent) return null;
    let calls = this.calls.get(agent);
    if (!calls) {
      calls = new AgentCalls(agent, {
        callTimeoutMs: this.deps.config.p2pTimeoutMs,
        now: this.deps.now,
        onTimeout: () => this.deps.onAgentTimeout?.(clientId),
        log: this.deps.config.debug ? (line) => console.info(`swarmfetch-sw: ${line}`) : undefined,
      });
      this.calls.set(agent, calls);
    }
    return calls;
  }
}

/** A URL as error messages show it: without its query (tokens) or fragment, and not too long. */
function withoutQuery(url: string): string {
  return url.split(/[?#]/, 1)[0]!.slice(0, 200);
}

/** A response holds exactly what was asked: a whole 200, or the 206 of the closed range requested. */
function isCompleteAnswer(response: Response, closedRange: Required<ByteRange> | null): boolean {
  if (!closedRange) return response.status === 200;
  if (response.status !== 206) return false;
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
  return !!m && Number(m[1]) === closedRange.start && Number(m[2]) === closedRange.end;
}

function totalFromContentRange(header: string | null): number | null {
  const m = /\/(\d+)$/.exec(header ?? '');
  return m ? Number(m[1]) : null;
}
