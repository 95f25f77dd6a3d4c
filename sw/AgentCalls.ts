import type { Remote } from 'comlink';
import type { AgentApi, ManifestText, SegmentAnswer, SegmentPut, SegmentQuery, SegmentReport, WorkerError } from '../core/contract';
import { SwarmError, type SwarmErrorCode } from '../core/SwarmError';
import { errorCodeOf } from '../core/contract';
import { withDeadline } from '../core/withDeadline';

export type AgentLike = Remote<AgentApi> | AgentApi;

/** Margin the worker gives the agent beyond a query's budget (port hop and Blob hand-over). */
const GRACE_MS = 100;
/** Errors reported to one page: 10 a second, in bursts of at most 10. */
const ERRORS_PER_SEC = 10;
const MAX_ERROR_CHARS = 300;

export interface AgentCallsOptions {
  /** Deadline of every call but getSegment (whose deadline is its query's budget plus a margin). */
  callTimeoutMs: number;
  now(): number;
  /** A call missed its deadline (the page may be gone, or busy). */
  onTimeout?(): void;
  /** The worker's `debug` option: one line per segment delivered and per error reported. */
  log?: ((line: string) => void) | undefined;
}

/**
 * The worker's calls to one page's agent. Every call has a deadline; a call that misses it is dropped (its answer,
 * should it come, is ignored), and nothing waits for the fire-and-forget ones: they never throw or reject.
 * Errors reported to the page (`workerError`) are rate-limited.
 */
export class AgentCalls {
  private errorTokens = ERRORS_PER_SEC;
  private errorsAt: number;

  constructor(
    private readonly agent: AgentLike,
    private readonly options: AgentCallsOptions,
  ) {
    this.errorsAt = options.now();
  }

  /** The agent's answer, or SwarmError 'agent-timeout' once the query's budget (plus a margin) is over. */
  getSegment(query: SegmentQuery): Promise<SegmentAnswer> {
    return this.call(() => this.agent.getSegment(query), query.budgetMs + GRACE_MS);
  }

  /** Hands a segment to the agent's store: null once it took it, else why not (never rejects). */
  putSegment(put: SegmentPut): Promise<SwarmError | null> {
    return this.settle(() => this.agent.putSegment(put));
  }

  report(report: SegmentReport): void {
    this.options.log?.(
      `${report.seed ? 'seed' : report.source}${report.fallback ? ` (${report.fallback})` : ''}${report.error ? ` error ${report.error}` : ''}: ` +
        `${report.bytes} B in ${Math.round(report.ms)} ms ${report.url.split(/[?#]/, 1)[0]!.slice(0, 200)}`,
    );
    void this.settle(() => this.agent.report(report));
  }

  /** Hands a manifest to the agent to read: null once it did, else why it could not (never rejects). */
  manifestText(manifest: ManifestText): Promise<SwarmError | null> {
    return this.settle(() => this.agent.manifestText(manifest));
  }

  /** Tells the page something failed, at most ERRORS_PER_SEC a second (more are dropped). */
  workerError(code: SwarmErrorCode, message: string): void {
    this.options.log?.(`error ${code}: ${message.slice(0, MAX_ERROR_CHARS)}`);
    if (!this.takeErrorToken()) return;
    const error: WorkerError = { code, message: message.slice(0, MAX_ERROR_CHARS) };
    const agent = this.agent as { workerError?(e: WorkerError): unknown };
    void this.settle(() => agent.workerError?.(error));
  }

  private takeErrorToken(): boolean {
    const now = this.options.now();
    this.errorTokens = Math.min(ERRORS_PER_SEC, this.errorTokens + ((now - this.errorsAt) * ERRORS_PER_SEC) / 1000);
    this.errorsAt = now;
    if (this.errorTokens < 1) return false;
    this.errorTokens -= 1;
    return true;
  }

  private settle(fn: () => unknown): Promise<SwarmError | null> {
    return this.call(fn, this.options.callTimeoutMs).then(
      () => null,
      (err: unknown) => asSwarmError(err),
    );
  }

  private call<T>(fn: () => T | Promise<T>, ms: number): Promise<T> {
    let answer: Promise<T>;
    try {
      answer = Promise.resolve(fn());
    } catch (err) {
      answer = Promise.reject(err); // a dead port, or a page that threw at once
    }
    return withDeadline(answer, ms, 'agent-timeout', () => this.options.onTimeout?.());
  }
}

/** An error from the agent (it crossed the port as a plain Error) as a SwarmError, its code kept. */
function asSwarmError(err: unknown): SwarmError {
  if (SwarmError.is(err)) return err;
  const code = errorCodeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return new SwarmError(code ?? 'agent-unavailable', code ? message.slice(code.length + 2) : message);
}
