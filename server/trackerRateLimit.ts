import type { RequestHandler } from 'express';
import { clientFields, clientOfRequest, type RequestClient, type RequestLike } from './clientOfRequest';
import type { DropLog } from './dropLog';
import { RateBudget } from './RateBudget';

/** Idle entries are forgotten this often, so the map holds only clients active in the last few seconds. */
const SWEEP_MS = 10_000;
/** Most clients tracked at once; past it the longest-tracked one is forgotten (a client with many addresses). */
const MAX_CLIENTS = 100_000;

export interface TrackerRateLimit {
  middleware: RequestHandler;
  /** Clients with a budget entry now. */
  readonly size: number;
  destroy(): void;
}

/** The peer of the TCP connection, no proxy trusted. */
const directClient = clientOfRequest(() => false);

/**
 * Per-client request budget for the tracker (and the hash oracle); a client is an address group (an IPv4 address or
 * an IPv6 /64, see addressGroup) of the address `clientOf` finds (the connection's peer, or the client a trusted
 * proxy forwarded): more than `perSec` requests a second (bursts of one second's worth) are answered 429
 * `{ error: 'rate-exceeded' }` with `Retry-After: 1`, and logged; the connection is closed unless it is a trusted
 * proxy's (which carries other clients' requests too). In a cluster, `shared` then counts the request over every node
 * too (see cluster/SharedRateBudget).
 */
export function trackerRateLimit(
  perSec: number,
  drop: DropLog,
  now: () => number = Date.now,
  clientOf: (req: RequestLike) => RequestClient = directClient,
  shared?: (client: string) => Promise<boolean>,
): TrackerRateLimit {
  const budgets = new Map<string, RateBudget>();
  const sweep = setInterval(() => {
    for (const [client, budget] of budgets) if (budget.isFull) budgets.delete(client);
  }, SWEEP_MS);
  sweep.unref();
  return {
    middleware: (req, res, next) => {
      const who = clientOf(req);
      const { client } = who;
      let budget = budgets.get(client);
      if (!budget) {
        if (budgets.size >= MAX_CLIENTS) budgets.delete(budgets.keys().next().value as string);
        budgets.set(client, (budget = new RateBudget(perSec, now)));
      }
      const refuse = () => {
        drop('rate-exceeded', { ...clientFields(who), via: 'tracker', limitPerSec: perSec });
        res.setHeader('Retry-After', '1');
        if (who.proxy === null) res.setHeader('Connection', 'close');
        res.status(429).json({ error: 'rate-exceeded' });
      };
      if (!budget.take()) return refuse();
      if (!shared) return next();
      void shared(client).then((ok) => (ok ? next() : refuse()));
    },
    get size() {
      return budgets.size;
    },
    destroy: () => clearInterval(sweep),
  };
}
