import type { RequestHandler } from 'express';

/** Content type of the Prometheus text exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * `GET /swarmfetch/v1/metrics`: the exposition `render` gives, to a scraper (or a person's browser tab). A request
 * with an Origin header comes from a script of some web page and is refused 403 `{ error: 'forbidden' }`: the
 * numbers (audience, refusals) are the operator's, not the pages'. No CORS header is ever sent, so no other site's
 * page can read the answer either way.
 */
export function metricsHandler(render: () => string): RequestHandler {
  return (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (req.headers.origin !== undefined) return void res.status(403).json({ error: 'forbidden' });
    res.setHeader('Content-Type', METRICS_CONTENT_TYPE);
    res.end(render());
  };
}
