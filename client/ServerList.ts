import { serverUrlList } from '../core/serverUrlList';

/**
 * The P2P servers a page may use (the entries of `serverUrl`, see serverUrlList) and the one it uses now. One is
 * picked at random at start, so a deployment's viewers spread over its nodes; failover() moves to the next one (round
 * robin). Signalling drives the choice; the tracker and the oracle read current() at each request.
 */
export class ServerList {
  private readonly urls: readonly URL[];
  private index = 0;

  /**
   * `serverUrl`: as in the config (`''` = the page's origin); entries are resolved against `pageUrl` and end in '/';
   * an entry that does not resolve, or repeats one before it, is dropped (none left: the page's origin).
   * `random`: uniform in [0, 1), asked once and only when there is a choice.
   */
  constructor(serverUrl: string, pageUrl: string, random: () => number) {
    const urls: URL[] = [];
    for (const entry of serverUrlList(serverUrl)) {
      const url = baseUrl(entry, pageUrl);
      if (url && !urls.some((u) => u.href === url.href)) urls.push(url);
    }
    if (urls.length === 0) urls.push(baseUrl('/', pageUrl) ?? new URL('http://localhost/'));
    this.urls = urls;
    if (urls.length > 1) this.index = Math.min(urls.length - 1, Math.max(0, Math.floor(random() * urls.length)));
  }

  /** How many servers there are to choose from. */
  get size(): number {
    return this.urls.length;
  }

  /** The server in use: its base URL, ending in '/' (a copy: changing it changes nothing here). */
  current(): URL {
    return new URL(this.urls[this.index]!.href);
  }

  /** Moves to the next server (the same one when there is only one) and returns it. */
  failover(): URL {
    this.index = (this.index + 1) % this.urls.length;
    return this.current();
  }
}

/** `entry` resolved against the page, its path ending in '/'; null when it does not resolve. */
function baseUrl(entry: string, pageUrl: string): URL | null {
  let url: URL;
  try {
    url = new URL(entry, pageUrl);
  } catch {
    return null;
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}
