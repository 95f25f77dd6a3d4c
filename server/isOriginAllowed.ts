/**
 * Whether a request from a page of `origin` may use the server. No Origin header (not a browser, or a same-origin
 * GET) is allowed; so is the server's own origin, recognised by the Host header the browser sent.
 */
export function isOriginAllowed(origin: string | undefined, allowed: readonly string[] | '*', host?: string): boolean {
  if (origin === undefined || origin === '' || allowed === '*') return true;
  if (allowed.includes(origin)) return true;
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false; // 'null' and other opaque origins
  }
}
