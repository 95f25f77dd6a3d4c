/**
 * Whether a request may be answered by (and its response shared with) other viewers: not when it carries its own
 * credentials — an `Authorization` header, or cookies sent to another origin (`credentials: 'include'`) — since
 * what comes back may be this viewer's alone.
 */
export function isShareableRequest(request: Pick<Request, 'headers' | 'credentials' | 'url'>, siteOrigin: string): boolean {
  if (request.headers.has('authorization')) return false;
  if (request.credentials === 'include') {
    try {
      if (new URL(request.url).origin !== siteOrigin) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Whether a response may be kept and handed to other viewers: not `Cache-Control: private` or `no-store`. */
export function isShareableResponse(response: Pick<Response, 'headers'>): boolean {
  const cc = response.headers.get('cache-control');
  return !cc || !/(^|[,\s])(private|no-store)([\s,=]|$)/i.test(cc);
}
