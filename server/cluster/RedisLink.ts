import { createClient } from '@redis/client';
import { SwarmError } from '../../core/SwarmError';

/** Reconnect backoff after Redis went away: 100 ms doubling, at most this. */
const RECONNECT_MAX_MS = 2_000;
/** How long one connection attempt may take. */
const CONNECT_TIMEOUT_MS = 2_000;

/** One connection (node-redis, no modules): commands fail at once while it is away, and it reconnects forever. */
function connection(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (retries: number) => Math.min(RECONNECT_MAX_MS, 100 * 2 ** retries) },
  });
}

/** A connection to Redis. */
export type RedisCommands = ReturnType<typeof connection>;

export type RedisState = 'connecting' | 'up' | 'down';

export interface RedisLinkOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  /** Deadline of one command (or one MULTI); past it the call fails and the caller goes on without Redis. */
  timeoutMs: number;
  /** A state change (up, down) or a failure, one line each. */
  log: (event: 'redis-up' | 'redis-down', details: Record<string, string | number>) => void;
  now?: () => number;
}

/**
 * The node's two connections to Redis (node-redis): one for commands, one subscribed to channels (a subscribed
 * connection takes no other command). Both reconnect by themselves forever (100 ms doubling to 2 s). While Redis is
 * away, commands fail at once (no offline queue: a node must never wait on a Redis that is gone), and every command
 * has a deadline, so a Redis that hangs is treated as one that is down. `state` says which; `onReady` listeners run at
 * every (re)connection, so that callers put back what a restarted Redis lost.
 */
export class RedisLink {
  readonly commands: RedisCommands;
  readonly subscriber: RedisCommands;
  private stateNow: RedisState = 'connecting';
  private sinceMs: number;
  private lastError = '';
  private readonly readyListeners = new Set<() => void>();
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: RedisLinkOptions) {
    this.now = options.now ?? Date.now;
    this.sinceMs = this.now();
    this.commands = connection(options.url);
    this.subscriber = connection(options.url);
    for (const client of [this.commands, this.subscriber]) {
      // without an 'error' listener node-redis throws; every failure also shows as a state change below
      client.on('error', (err: unknown) => {
        this.lastError = err instanceof Error ? err.message : String(err);
        this.update();
      });
      client.on('ready', () => this.update());
      client.on('end', () => this.update());
    }
  }

  /** Starts both connections; resolves at once (they keep trying in the background while Redis is away). */
  start(): void {
    for (const client of [this.commands, this.subscriber]) {
      client.connect().catch(() => {
        // only when closed before it connected
      });
    }
  }

  get state(): RedisState {
    return this.stateNow;
  }

  /** Since when (ms on the injected clock) Redis has been in its state. */
  get since(): number {
    return this.sinceMs;
  }

  /** Runs at every (re)connection of both links. */
  onReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /**
   * Runs one command (or MULTI) on the commands connection within `timeoutMs`. Rejects with `server-unreachable` when
   * Redis is away, the command fails or the deadline passes.
   */
  async run<T>(command: (redis: RedisCommands) => Promise<T>): Promise<T> {
    if (this.closed || !this.commands.isReady) throw new SwarmError('server-unreachable', 'redis is not connected');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SwarmError('server-unreachable', 'redis did not answer in time', { timeoutMs: this.options.timeoutMs })), this.options.timeoutMs);
    });
    try {
      return await Promise.race([command(this.commands), deadline]);
    } catch (err) {
      if (SwarmError.is(err)) throw err;
      throw new SwarmError('server-unreachable', 'redis command failed', { cause: err instanceof Error ? err.message : String(err) });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes both connections at once (nothing pending is waited for). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.readyListeners.clear();
    for (const client of [this.commands, this.subscriber]) {
      try {
        client.destroy();
      } catch {
        // never connected
      }
    }
  }

  private update(): void {
    if (this.closed) return;
    const up = this.commands.isReady && this.subscriber.isReady;
    const next: RedisState = up ? 'up' : this.stateNow === 'connecting' && !this.lastError ? 'connecting' : 'down';
    if (next === this.stateNow) return;
    const was = this.stateNow;
    this.stateNow = next;
    this.sinceMs = this.now();
    if (next === 'up') {
      this.options.log('redis-up', { was });
      for (const listener of [...this.readyListeners]) {
        try {
          listener();
        } catch {
          // one listener's failure does not stop the others
        }
      }
    } else if (next === 'down') {
      this.options.log('redis-down', { error: this.lastError.slice(0, 200) });
    }
  }
}
