/** What choosing a peer reads of a link (PeerLink has it all). */
export interface SelectableLink {
  readonly remoteId: string;
  readonly isOpen: boolean;
  readonly canRequest: boolean;
  /** Bytes per ms of completed downloads; null while unknown. */
  readonly throughput: number | null;
  readonly activeDownloads: number;
  has(key: string): boolean;
  isFetching(key: string): boolean;
}

/** Throughput assumed for a peer that has not completed a download yet (so new peers are tried). */
const UNKNOWN_THROUGHPUT = 1000;

/** Which peer to ask for a segment, among the links it is given. */
export class PeerSelection<L extends SelectableLink> {
  /** `random`: tie-breaking between equal peers only. */
  constructor(
    private readonly links: Iterable<L>,
    private readonly random: () => number,
  ) {}

  /**
   * The best link that can take a request and announced the key (not in `exclude`), or undefined: the highest
   * throughput per download already under way, so idle and fast peers come first.
   */
  linkFor(key: string, exclude: ReadonlySet<string> = new Set()): L | undefined {
    let best: L | undefined;
    let bestScore = -Infinity;
    for (const link of this.links) {
      if (!link.canRequest || !link.has(key) || exclude.has(link.remoteId)) continue;
      const rate = link.throughput ?? UNKNOWN_THROUGHPUT;
      const score = rate / (1 + link.activeDownloads) + this.random() * 1e-6;
      if (score > bestScore) {
        best = link;
        bestScore = score;
      }
    }
    return best;
  }

  /** Open links that announced they are downloading the key over HTTP now. */
  fetchersOf(key: string): L[] {
    return [...this.links].filter((l) => l.isOpen && l.isFetching(key));
  }
}
