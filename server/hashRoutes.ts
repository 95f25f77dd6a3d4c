import express, { type RequestHandler, type Router } from 'express';
import { clientOfRequest, type RequestClient, type RequestLike } from './clientOfRequest';
import { corsGuard } from './corsGuard';
import type { HashOracle, OracleError } from './HashOracle';
import { requireOrigin } from './requireOrigin';
import type { ServerMetrics } from './serverMetrics';

const STATUS: Record<OracleError, number> = {
  'bad-request': 400,
  'not-allowed': 403,
  'upstream-not-found': 404,
  'too-large': 413,
  'upstream-error': 502,
  busy: 503,
  timeout: 504,
};

export interface HashRoutesDeps {
  /** The oracle; null when the server runs none (every ask is then 404 `no-oracle`). */
  oracle: HashOracle | null;
  isOriginAllowed: (origin: string | undefined, host: string | undefined) => boolean;
  /** Refuse requests that carry no Origin (true when the server has an origin allow-list). */
  originRequired: boolean;
  /** Runs before each ask (a per-client request budget); none by default. */
  limit?: RequestHandler;
  /** Whose fetches an ask counts against (see clientOfRequest). @default the peer of the TCP connection */
  clientOf?: (req: RequestLike) => RequestClient;
  /** Counted: asks answered (with an oracle), and those answered with an error, by error. */
  metrics?: Pick<ServerMetrics, 'oracleRequests' | 'oracleErrors'>;
}

/**
 * The hash oracle's HTTP API (mounted at /swarmfetch/v1/hash):
 * `GET ?url=<absolute segment URL>[&range=start-end]` → 200 `{ sha256, bytes }`, or an error `{ error }` with the
 * status of STATUS (403 not-allowed for URLs outside the allow-list or not segments); 404 `no-oracle` when the server
 * has no oracle, so a page can tell "no oracle here" from "the oracle failed". CORS first (a disallowed Origin: 403
 * forbidden, as are requests without one when `originRequired`), so every answer, 429 included, is readable by the
 * pages allowed.
 */
export function hashRoutes(deps: HashRoutesDeps): Router {
  const router = express.Router();
  router.use(corsGuard(deps.isOriginAllowed));
  if (deps.originRequired) router.use(requireOrigin);
  const limit: RequestHandler = deps.limit ?? ((_req, _res, next) => next());
  const clientOf = deps.clientOf ?? clientOfRequest(() => false);
  const answered = (error?: string) => {
    deps.metrics?.oracleRequests.inc();
    if (error !== undefined) deps.metrics?.oracleErrors.inc({ error });
  };
  router.get('/', limit, (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const oracle = deps.oracle;
    if (!oracle) return void res.status(404).json({ error: 'no-oracle' });
    const { url, range } = req.query;
    oracle.hash(url, range, clientOf(req).client).then(
      (r) => {
        if (r.ok) res.json({ sha256: r.sha256, bytes: r.bytes, ...(r.totalBytes !== null ? { totalBytes: r.totalBytes } : {}) });
        else res.status(STATUS[r.error]).json({ error: r.error });
        answered(r.ok ? undefined : r.error);
      },
      () => {
        res.status(502).json({ error: 'upstream-error' });
        answered('upstream-error');
      },
    );
  });
  return router;
}
