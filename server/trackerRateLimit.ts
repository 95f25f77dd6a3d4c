import type { RequestHandler } from 'express';
import { addressGroup } from './addressGroup';
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

/**
 * Per-client request budget for the tracker (and the hash oracle); a client is an address group (an IPv4 address or
 * an IPv6 /64, see addressGroup): more than `perSec` requests a second (bursts of one second's worth) are
 * answered 429 `{ error: 'rate-exceeded' }` with `Retry-After: 1` and the connection closed, and logged.
 */
export function trackerRateLimit(perSec: number, drop: DropLog, now: () => number = Date.now): TrackerRateLimit {
  const budgets = new Map<string, RateBudget>();
  const sweep = setInterval(() => {
    for (const [client, budget] of budgets) if (budget.isFull) budgets.delete(client);
  }, SWEEP_MS);
  sweep.unref();
  return {
    middleware: (req, res, next) => {
      const ip = req.socket.remoteAddress ?? 'unknown';
      const client = addressGroup(req.socket.remoteAddress);
      let budget = budgets.get(client);
      if (!budget) {
        if (budgets.size >= MAX_CLIENTS) budgets.delete(budgets.keys().next().value as string);
        budgets.set(client, (budget = new RateBudget(perSec, now)));
      }
      if (budget.take()) return next();
      drop('rate-exceeded', { ip, ...(client !== ip ? { client } : {}), via: 'tracker', limitPerSec: perSec });
      res.setHeader('Retry-After', '1');
      res.setHeader('Connection', 'close');
      res.status(429).json({ error: 'rate-exceeded' });
    },
    get size() {
      return budgets.size;
    },
    destroy: () => clearInterval(sweep),
  };
}
