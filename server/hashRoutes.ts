import express, { type Router } from 'express';
import { corsGuard } from './corsGuard';
import type { HashOracle, OracleError } from './HashOracle';

const STATUS: Record<OracleError, number> = {
  'bad-request': 400,
  'not-allowed': 403,
  'upstream-not-found': 404,
  'too-large': 413,
  'upstream-error': 502,
  busy: 503,
  timeout: 504,
};

/**
 * The hash oracle's HTTP API (mounted at /swarmfetch/v1/hash):
 * `GET ?url=<absolute segment URL>[&range=start-end]` → 200 `{ sha256, bytes }`, or an error `{ error }` with the
 * status of STATUS (403 not-allowed for URLs outside the allow-list).
 */
export function hashRoutes(deps: {
  oracle: HashOracle;
  isOriginAllowed: (origin: string | undefined, host: string | undefined) => boolean;
}): Router {
  const router = express.Router();
  router.use(corsGuard(deps.isOriginAllowed));
  router.get('/', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const { url, range } = req.query;
    deps.oracle.hash(url, range).then(
      (r) => {
        if (r.ok) res.json({ sha256: r.sha256, bytes: r.bytes });
        else res.status(STATUS[r.error]).json({ error: r.error });
      },
      () => res.status(502).json({ error: 'upstream-error' }),
    );
  });
  return router;
}
