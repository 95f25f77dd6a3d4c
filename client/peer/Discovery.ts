import type { SwarmErrorCode } from '../../core/SwarmError';
import type { TrackerClient } from '../TrackerClient';

/** Most swarms one page is in at once (renditions of what it plays); joining one more leaves the least recently used. */
export const MAX_SWARMS = 16;
/** New connections dialled per tracker answer. */
const DIALS_PER_ROUND = 2;

/** What became of one peer id of a tracker answer. */
export type Offered = 'dialled' | 'skipped' | 'full';

export interface DiscoveryDeps {
  tracker: Pick<TrackerClient, 'join' | 'leave'>;
  /** The signalling token that proves this page holds its peer id. */
  token: string;
  /** How often the tracker is asked again while there is room for its peers. */
  refreshMs: number;
  /** This page's peer id while signalling is up. */
  peerId(): string | null;
  /** Free link slots now (≤ 0 when every one is taken). */
  room(): number;
  /** Whether an idle link could give its slot to a new peer now. */
  canReplace(): boolean;
  /** One peer of the tracker's answer for `swarm`: dialled, skipped (known, banned…), or no room left for any. */
  offer(remote: string, swarm: string): Offered;
  onError(e: { code: SwarmErrorCode; message: string }): void;
}

/**
 * The swarms this page is in and the tracker rounds that find their peers: a join asks at once (once signalling is
 * up and joins are released), the refresh timer asks again while a slot is free or an idle link could make way, and
 * a few peers of each answer are offered for dialling. Swarms are kept least recently used first (a join of a
 * swarm already joined counts as use); leaving one tells the tracker.
 */
export class Discovery {
  private readonly swarms = new Set<string>();
  private held: boolean;
  private discovering = 0;
  private refreshTimer: ReturnType<typeof setInterval> | null = null;
  private destroyed = false;

  /** `held`: joins wait for release() (nobody learns of this page, and it dials nobody, before that). */
  constructor(
    private readonly deps: DiscoveryDeps,
    held = false,
  ) {
    this.held = held;
  }

  /** The swarms joined, least recently used first. */
  get joined(): ReadonlySet<string> {
    return this.swarms;
  }

  /**
   * Whether a tracker answer that may bring peers is on its way: a swarm's first asking (a join, or signalling
   * coming up). The periodic refresh is not counted: it rarely brings anyone (newcomers dial in), and players'
   * requests would wait for each one (on slow lines, four renditions' refreshes every 5 s kept requests waiting
   * 800 ms for connections that never came, which the player read as a slow network).
   */
  get asking(): boolean {
    return this.discovering > 0;
  }

  /** The swarm to leave before one more can be joined, if every place is taken. */
  get leastRecentlyUsed(): string | undefined {
    return this.swarms.size >= MAX_SWARMS ? this.swarms.values().next().value : undefined;
  }

  /** Marks a joined swarm as just used; false when it is not joined. */
  touch(swarm: string): boolean {
    if (!this.swarms.delete(swarm)) return false;
    this.swarms.add(swarm);
    return true;
  }

  /** Joins a swarm not joined yet (room made by the caller: see leastRecentlyUsed) and asks for its peers. */
  join(swarm: string): void {
    if (this.destroyed || this.swarms.has(swarm) || this.swarms.size >= MAX_SWARMS) return;
    this.swarms.add(swarm);
    void this.discover(swarm);
  }

  /** Forgets a swarm and tells the tracker (when it was told of it); false when it was not joined. */
  leave(swarm: string): boolean {
    if (!this.swarms.delete(swarm)) return false;
    const id = this.deps.peerId();
    if (id && !this.held && !this.destroyed) this.tellLeave(id, swarm);
    return true;
  }

  /** Whether joins wait for release(). */
  get holding(): boolean {
    return this.held;
  }

  /** Lets held joins go to the tracker (once the player has started). */
  release(): void {
    if (!this.held || this.destroyed) return;
    this.held = false;
    this.discoverAll();
  }

  /**
   * Asks the tracker for peers of every swarm (signalling just came up). `rejoin`: signalling came up (again, maybe on
   * another server) and the server knows this page in no swarm (it forgets a peer's swarms when its socket closes): each
   * swarm is joined even with every slot taken, so newcomers find this page; peers are offered only while there is room.
   */
  discoverAll(rejoin = false): void {
    for (const swarm of this.swarms) void this.discover(swarm, true, rejoin);
  }

  startRefresh(): void {
    if (this.destroyed) return;
    this.refreshTimer ??= setInterval(() => this.refresh(), this.deps.refreshMs);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
  }

  private refresh(): void {
    if (this.destroyed || !this.deps.peerId() || this.held) return;
    // the tracker is asked while a slot for its peers is free (inbound links never hold more than half), or an idle
    // link could make way
    if (this.deps.room() <= 0 && !this.deps.canReplace()) return;
    for (const swarm of this.swarms) void this.discover(swarm, false);
  }

  /**
   * `counted`: while it runs, `asking` is true (see there) — unless no peer it brings could be taken.
   * `rejoin`: the tracker is told even when no peer it brings could be taken (see discoverAll).
   */
  private async discover(swarm: string, counted = true, rejoin = false): Promise<void> {
    const id = this.deps.peerId();
    if (!id || this.destroyed || this.held) return;
    const room = this.deps.room();
    // every slot taken: still ask while an idle link could make way for a peer the tracker offers
    const canTake = room > 0 || this.deps.canReplace();
    if (!canTake && !rejoin) return;
    const count = counted && canTake;
    let peers: string[];
    if (count) this.discovering++;
    try {
      peers = await this.deps.tracker.join(id, this.deps.token, swarm, Math.min(50, Math.max(1, room) + 2));
    } catch (err) {
      this.deps.onError({ code: 'server-unreachable', message: String(err) });
      return;
    } finally {
      if (count) this.discovering--;
    }
    // left while the tracker answered: its leave may have arrived first, so say it again
    if (!this.swarms.has(swarm)) {
      if (!this.destroyed) this.tellLeave(id, swarm);
      return;
    }
    if (!canTake) return; // joined again only (see discoverAll): no room for its peers
    // A few connections per round: every handshake costs both sides CPU, and a page that is starting playback
    // needs it more than its fifth peer. The refresh timer adds the rest.
    let dialled = 0;
    for (const remote of peers) {
      if (dialled >= DIALS_PER_ROUND || this.destroyed) break;
      const offered = this.deps.offer(remote, swarm);
      if (offered === 'full') break;
      if (offered === 'dialled') dialled++;
    }
  }

  private tellLeave(id: string, swarm: string): void {
    Promise.resolve()
      .then(() => this.deps.tracker.leave(id, this.deps.token, swarm))
      .catch((err: unknown) => this.deps.onError({ code: 'server-unreachable', message: String(err) }));
  }
}
