import type { RequestHandler } from 'express';

/**
 * Refuses (403 `{ error: 'forbidden' }`) a request that does not say which page sent it: no Origin header, and not a
 * browser's same-origin request (those carry no Origin on GET, but `Sec-Fetch-Site: same-origin`; browsers set both
 * headers themselves, pages cannot). Put it after corsGuard, which checks an Origin that is there.
 */
export const requireOrigin: RequestHandler = (req, res, next) => {
  if (req.headers.origin || req.headers['sec-fetch-site'] === 'same-origin') return next();
  res.status(403).json({ error: 'forbidden' });
};
