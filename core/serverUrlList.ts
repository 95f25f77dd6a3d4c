/** Most P2P servers one `serverUrl` lists; entries after these are dropped. */
export const MAX_SERVER_URLS = 8;

/**
 * The entries of a `serverUrl` option: comma-separated base URLs, each trimmed, empty ones dropped, at most
 * MAX_SERVER_URLS. `''` (the page's origin) is no entries. Nothing is resolved or checked here (see mergeConfig).
 */
export function serverUrlList(serverUrl: string): string[] {
  return serverUrl
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .slice(0, MAX_SERVER_URLS);
}
