import { isShareableResponse } from '../core/isShareable';
import { PIECE_BYTES, pieceIndex, pieceRange, segmentKey } from '../core/contract';
import { contentTypeFor } from '../core/contentTypeFor';
import { resolveRange, type ByteRange, type SuffixRange } from '../core/parseRangeHeader';
import { SwarmError } from '../core/SwarmError';
import type { AgentCalls } from './AgentCalls';
import { pieceStream, type PieceSource } from './pieceStream';
import { readBodyCapped } from './readBodyCapped';

type Agent = AgentCalls;

export interface RangeResponderDeps {
  fetch: typeof fetch;
  now(): number;
  /** How long the agent may take for one piece. */
  agentBudgetMs: number;
}

/** Files whose size the worker remembers (learnt from Content-Range), oldest forgotten first. */
const MAX_SIZES = 256;

interface Ctx {
  request: Request;
  agent: Agent | null;
  wholeKey: string;
  swarm: string;
  size: number;
  type: string | null;
  /** A network answer already holding piece `index` (the one the file's size was learnt from). */
  first?: { index: number; response: Response } | undefined;
  /** A piece the agent already gave (while the size was learnt). */
  held?: { index: number; blob: Blob } | undefined;
}

/**
 * Answers an open or suffix byte range (how `<video src>` reads a progressive file) exactly — 206 with
 * Content-Range, 416 past the end — from fixed-size pieces: each from the page agent (its store or a peer) or the
 * network, streamed one piece at a time, every piece fetched over the network handed to the agent to share.
 */
export class RangeResponder {
  private readonly sizes = new Map<string, number>();

  constructor(private readonly deps: RangeResponderDeps) {}

  async respond(request: Request, range: ByteRange | SuffixRange, agent: Agent | null, wholeKey: string, swarm: string): Promise<Response> {
    const ctx: Ctx = { request, agent, wholeKey, swarm, size: this.sizes.get(wholeKey) ?? -1, type: null };
    if (ctx.size < 0) {
      // a suffix needs the size first: the network answers it exactly, and tells the size for later requests
      if ('suffix' in range) return this.learn(wholeKey, await this.deps.fetch(request));
      const index = pieceIndex(range.start);
      // the agent may know the size (it holds the piece, or the whole file); otherwise the network tells
      const held = await this.fromAgent(ctx, index);
      if (held) ctx.held = { index, blob: held };
      if (!this.sizes.has(wholeKey)) {
        const response = this.learn(wholeKey, await this.pieceFetch(ctx, pieceRange(index)));
        const size = totalOf(response);
        if (response.status !== 206 || size === null) return response;
        if (!exactPiece(response, index, size)) {
          void response.body?.cancel().catch(() => {});
          return this.deps.fetch(request);
        }
        ctx.first = { index, response };
      }
      ctx.size = this.sizes.get(wholeKey) ?? -1;
      if (ctx.size < 0) return this.deps.fetch(request);
    }
    const r = resolveRange(range, ctx.size);
    if (!r) return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${ctx.size}` } });
    const fromAgent: PieceSource = async (i) => {
      const held = ctx.held?.index === i ? ctx.held.blob : await this.fromAgent(ctx, i);
      ctx.held = undefined;
      return held?.stream() ?? null;
    };
    const sources = [fromAgent, (i: number) => this.fromNetwork(ctx, i)];
    return new Response(pieceStream(r.start, r.end, sources), {
      status: 206,
      headers: {
        'Content-Type': ctx.type ?? contentTypeFor(request.url),
        'Content-Length': String(r.end - r.start + 1),
        'Content-Range': `bytes ${r.start}-${r.end}/${ctx.size}`,
        'Accept-Ranges': 'bytes',
      },
    });
  }

  /** Piece `index` from the agent, exactly (checked against the known size), or null. Learns the size. */
  private async fromAgent(ctx: Ctx, index: number): Promise<Blob | null> {
    const { agent, request } = ctx;
    if (!agent) return null;
    const t0 = this.deps.now();
    const p = pieceRange(index, ctx.size < 0 ? Infinity : ctx.size);
    const key = segmentKey(request.url, p)!;
    try {
      const a = await agent.getSegment({ key, wholeKey: ctx.wholeKey, range: p, swarm: ctx.swarm, url: request.url, budgetMs: this.deps.agentBudgetMs });
      if (a.kind === 'unsatisfiable' && ctx.size < 0) this.remember(ctx.wholeKey, a.totalBytes);
      if (a.kind !== 'hit' || a.start !== p.start) return null;
      const size = ctx.size >= 0 ? ctx.size : a.totalBytes;
      if (size === null || (a.totalBytes !== null && a.totalBytes !== size)) return null;
      if (a.body.size !== pieceRange(index, size).end - p.start + 1) return null;
      if (ctx.size < 0) this.remember(ctx.wholeKey, (ctx.size = size));
      ctx.type ??= a.contentType;
      agent.report({ url: request.url, key, source: a.source, peerId: a.peerId, bytes: a.body.size, ms: this.deps.now() - t0, fallback: null, error: null });
      return a.body;
    } catch (err) {
      if (SwarmError.is(err, 'agent-timeout')) {
        agent.workerError('agent-timeout', `no answer for piece ${index} of ${ctx.wholeKey.slice(0, 200)} within ${this.deps.agentBudgetMs} ms: it came from the network`);
      }
      return null;
    }
  }

  /** Piece `index` from the network (exactly, else an error), shared with the agent once complete. */
  private async fromNetwork(ctx: Ctx, index: number): Promise<ReadableStream<Uint8Array>> {
    const t0 = this.deps.now();
    let response = ctx.first?.index === index ? ctx.first.response : null;
    ctx.first = undefined;
    const p = pieceRange(index, ctx.size);
    response ??= await this.pieceFetch(ctx, p);
    if (!exactPiece(response, index, ctx.size) || !response.body) throw new Error(`piece ${index}: ${response.status}`);
    ctx.type ??= response.headers.get('content-type');
    const { agent } = ctx;
    if (agent) {
      const key = segmentKey(ctx.request.url, p)!;
      void readBodyCapped(response.clone(), PIECE_BYTES).then(({ blob, bytes, complete }) => {
        const whole = complete && blob?.size === p.end - p.start + 1;
        if (whole && isShareableResponse(response)) {
          void agent.putSegment({ key, swarm: ctx.swarm, url: ctx.request.url, body: blob!, totalBytes: ctx.size, contentType: ctx.type });
        }
        agent.report({ url: ctx.request.url, key, source: 'http', peerId: null, bytes, ms: this.deps.now() - t0, fallback: null, error: whole ? null : 'network-error' });
      });
    }
    return response.body;
  }

  private pieceFetch(ctx: Ctx, p: { start: number; end: number }): Promise<Response> {
    const { request } = ctx;
    return this.deps.fetch(new Request(request.url, { headers: { Range: `bytes=${p.start}-${p.end}` }, credentials: request.credentials }));
  }

  /** Remembers the file size a response's Content-Range tells. */
  private learn(wholeKey: string, response: Response): Response {
    const size = totalOf(response);
    if (size !== null) this.remember(wholeKey, size);
    return response;
  }

  private remember(wholeKey: string, size: number): void {
    this.sizes.delete(wholeKey);
    this.sizes.set(wholeKey, size);
    if (this.sizes.size > MAX_SIZES) this.sizes.delete(this.sizes.keys().next().value!);
  }
}

/** The file size a 206 or 416's Content-Range tells, or null. */
function totalOf(response: Response): number | null {
  const m = /^bytes (?:\d+-\d+|\*)\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  return (response.status === 206 || response.status === 416) && m ? Number(m[1]) : null;
}

/** A 206 of exactly piece `index` of a file of `size` bytes. */
function exactPiece(response: Response, index: number, size: number): boolean {
  const p = pieceRange(index, size);
  return response.status === 206 && response.headers.get('content-range') === `bytes ${p.start}-${p.end}/${size}`;
}
