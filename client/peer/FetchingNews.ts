/**
 * What one peer said it is downloading over HTTP right now (`fetching`), and whether that news is still believed.
 *
 * A request sent to the peer because of this news that ends with nothing (absent, a timeout or a stall before any
 * byte) is a strike; a delivery clears the strikes. After MAX_STRIKES in a row the peer's fetching news is ignored for
 * the rest of the session. Ignored rather than dropped: an honest viewer's own HTTP download can fail or be slower
 * than our wait (a CDN error, a background tab), so a strike proves little; ignoring removes exactly what a liar uses
 * (making us wait on it instead of fetching) and costs an honest peer only that early-request shortcut — what it
 * holds (`have`) is still asked for.
 */
export class FetchingNews {
  /** Key → when the news goes stale. */
  private readonly until = new Map<string, number>();
  private strikes = 0;
  private ignored = false;

  static readonly MAX_STRIKES = 3;
  /** How long a peer's "fetching" news is believed. */
  static readonly FRESH_MS = 8_000;
  /** Keys remembered per peer. */
  static readonly MAX_KEYS = 512;

  /**
   * `ignored`: the peer already used up its strikes this session (on an earlier link). `onIgnored`: told once when
   * this news stops being believed.
   */
  constructor(
    private readonly now: () => number,
    ignored = false,
    private readonly onIgnored: () => void = () => {},
  ) {
    this.ignored = ignored;
  }

  get size(): number {
    return this.until.size;
  }

  /** Whether the peer's fetching news is no longer believed (this session). */
  get isIgnored(): boolean {
    return this.ignored;
  }

  heard(keys: readonly string[]): void {
    if (this.ignored) return;
    const until = this.now() + FetchingNews.FRESH_MS;
    for (const key of keys) {
      this.until.delete(key); // re-inserted as the newest
      if (this.until.size >= FetchingNews.MAX_KEYS) this.until.delete(this.until.keys().next().value as string);
      this.until.set(key, until);
    }
  }

  isFetching(key: string): boolean {
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(key);
    return false;
  }

  forget(key: string): void {
    this.until.delete(key);
  }

  /** A request made on this news ended with nothing. */
  strike(): void {
    if (this.ignored || ++this.strikes < FetchingNews.MAX_STRIKES) return;
    this.ignored = true;
    this.until.clear();
    this.onIgnored();
  }

  /** A request made on this news delivered. */
  delivered(): void {
    this.strikes = 0;
  }

  clear(): void {
    this.until.clear();
  }
}
