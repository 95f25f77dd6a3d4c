import type { RequestHandler } from 'express';

/**
 * CORS for the tracker routes: a disallowed Origin gets 403 `{ error: 'forbidden' }` (preflight included); an allowed
 * one is echoed in Access-Control-Allow-Origin and its preflight answered with 204.
 */
export function corsGuard(isAllowed: (origin: string | undefined, host: string | undefined) => boolean): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    res.vary('Origin');
    if (!isAllowed(origin, req.headers.host)) {
      res.status(403).json({ error: 'forbidden' });
      return;
    }
    if (origin) res.setHeader('Access-Control-Allow-Origin', origin);
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}
