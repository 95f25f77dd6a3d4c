import type { SwarmErrorCode } from '../core/SwarmError';
import { Discovery } from './peer/Discovery';
import { LinkFactory } from './peer/LinkFactory';
import { LinkRegistry } from './peer/LinkRegistry';
import { linkLimits } from './peer/PeerLinkDeps';
import type { PeerPoolDeps, PeerStat } from './peer/PeerPoolDeps';
import { PeerSelection } from './peer/PeerSelection';
import { ServerIce } from './peer/ServerIce';
import { Signalling } from './peer/Signalling';
import { SwarmMembership } from './peer/SwarmMembership';
import type { PeerLink } from './PeerLink';
import { segmentIdFrom } from './segmentIdFrom';
import { SharedKeys } from './SharedKeys';
import type { StoredSegment } from './SegmentStore';
import { UploadBudget } from './peer/UploadBudget';

export type { PeerPoolDeps, PeerStat } from './peer/PeerPoolDeps';
export type { PeerLike } from './peer/Signalling';

/**
 * A link not open yet counts as "peers coming" (segments wait a moment for it) at most this long after it was made:
 * the handshake's open deadline. WebRTC connects within ~0.1 s on a LAN and ~0.3–1.5 s across NATs with STUN, but
 * several seconds on a loaded machine (3 s made short e2e tests lose their first P2P segments in CI). What keeps an
 * unreachable peer (symmetric NATs without TURN, a firewall) from adding latency to every segment is that it is not
 * dialled again for UNREACHABLE_MS (see LinkFactory).
 */
const CONNECTING_MS = 10_000;

/**
 * Joins held at start count as "peers coming" at most this long after the player's first segment is in (see
 * expectRelease): they go at its first frame, a few hundred ms later (or when its line is found to be the player's,
 * never: then no request waits anyway).
 */
const RELEASE_EXPECTED_MS = 3000;

/**
 * Holds this page's PeerJS peer and its links: joins swarms through the tracker, connects to their peers,
 * keeps them told what the store holds, and picks a peer for a segment. Composed of Signalling (the PeerJS Peer and
 * its retries), Discovery (swarms and tracker rounds), SwarmMembership (joins and leaves as peers see them, what
 * they are told and served), LinkRegistry (links and slots), LinkFactory (who gets a link, and its wiring: bans,
 * unreachable peers) and PeerSelection (which peer to ask). Its callers speak local keys and swarms (the store's, the
 * worker's); links, announcements and the tracker speak shared ones (SharedKeys: the same without a segmentId hook).
 */
export class PeerPool {
  private readonly signalling: Signalling;
  private readonly discovery: Discovery;
  /** When expectRelease() was called (null: not yet). */
  private releaseExpectedAt: number | null = null;
  private readonly links: LinkRegistry;
  private readonly factory: LinkFactory;
  private readonly membership: SwarmMembership;
  private readonly selection: PeerSelection<PeerLink>;
  /** The upload cap and the measured uplink, over all links. */
  private readonly upload: UploadBudget;
  /** Local keys and swarms (the store's, the agent's) ↔ shared ones (what peers call them; see SharedKeys). */
  private readonly keys: SharedKeys;
  private readonly ice: ServerIce;
  /** The peer id once signalling is up and the ICE servers are set: only then are swarms joined. */
  private readyId: string | null = null;
  /** P2P switched on (see setEnabled), and start() called (a page with WebRTC and a worker). */
  private enabled: boolean;
  private started = false;
  private destroyed = false;

  constructor(private readonly deps: PeerPoolDeps) {
    const c = deps.config;
    const { randomBytes } = deps;
    this.enabled = c.p2pEnabled;
    this.signalling = new Signalling({
      createPeer: (token, id) => (id === undefined ? deps.createPeer(token) : deps.createPeer(token, id)),
      servers: deps.servers,
      random: () => deps.random(),
      randomBytes: randomBytes ? (n) => randomBytes.call(deps, n) : undefined,
      // up, or up again (a reconnect, or another server under the same id): the server has this page in no swarm
      onReady: (id) => {
        const go = () => {
          if (this.destroyed || this.signalling.peerId !== id) return;
          this.readyId = id;
          deps.events.ready(id);
          this.discovery.discoverAll(true);
        };
        this.readyId = null;
        // ICE servers left to the P2P server are set before any swarm is joined (a connection keeps the ones it began with)
        if (c.iceServers === null) void this.ice.ready(id, this.signalling.token).then(go);
        else go();
      },
      onConnection: (conn) => this.factory.accept(conn),
      onError: (e) => deps.events.error(e),
    });
    this.links = new LinkRegistry({
      maxPeers: c.maxPeers,
      myId: () => this.signalling.peerId,
      needs: (key) => this.membership.needs(key),
      create: (conn, dialled) => this.factory.create(conn, dialled),
      now: () => deps.now(),
    });
    this.discovery = new Discovery({
      tracker: deps.tracker,
      token: this.signalling.token,
      refreshMs: c.trackerRefreshMs,
      peerId: () => (this.readyId === this.signalling.peerId ? this.readyId : null),
      room: () => this.links.room(),
      canReplace: () => this.links.canReplace(),
      offer: (remote, swarm) => (this.destroyed || !this.enabled ? 'full' : this.factory.offer(remote, swarm)),
      onError: (e) => deps.events.error(e),
    }, deps.holdJoins === true);
    this.ice = new ServerIce({
      config: c,
      ask: (id, token, relay) => deps.tracker.ice(id, token, relay),
      apply: (servers) => this.signalling.setIceServers(servers),
      onError: (e) => deps.events.error(e),
    });
    this.selection = new PeerSelection(this.links, () => deps.random());
    this.upload = new UploadBudget(c.uploadMaxBytesPerSec, this.links, deps.now);
    this.keys = new SharedKeys(c.segmentId ?? (c.segmentIdFrom ? segmentIdFrom(c.segmentIdFrom) : null), deps.events.error);
    this.membership = new SwarmMembership({
      discovery: this.discovery, links: this.links, keys: this.keys, store: deps.store, serving: c.uploadEnabled,
    });
    this.factory = new LinkFactory({
      limits: linkLimits(c),
      links: this.links,
      membership: this.membership,
      upload: this.upload,
      connect: (remote) => this.signalling.connect(remote),
      enabled: () => this.enabled,
      provide: (key, waitMs) => deps.provide(key, waitMs),
      events: deps.events,
      now: deps.now,
    });
  }

  get peerId(): string | null {
    return this.signalling.peerId;
  }

  /** The signalling token that proves this page holds its peer id to the P2P server. */
  get token(): string {
    return this.signalling.token;
  }

  /** P2P is switched off: no signalling, no links, no tracker (see setEnabled). */
  get off(): boolean {
    return !this.enabled;
  }

  /** Whether this page serves peers (see setUploadEnabled). */
  get uploadEnabled(): boolean {
    return this.membership.serving;
  }

  /** Peers banned now (a ban lasts an hour; at most 1024 are remembered: see BanPolicy). */
  get bannedCount(): number {
    return this.factory.bannedCount;
  }

  /** Open links (hello exchanged). */
  get connectedCount(): number {
    let n = 0;
    for (const l of this.links) if (l.isOpen) n++;
    return n;
  }

  /** Whether peers may turn up soon: a tracker answer, or a connection made in the last CONNECTING_MS, is on its way. */
  get connecting(): boolean {
    if (this.discovery.asking) return true;
    const now = this.deps.now();
    if (this.releaseExpectedAt !== null && this.discovery.holding && now - this.releaseExpectedAt < RELEASE_EXPECTED_MS) return true;
    for (const l of this.links) if (!l.isOpen && now - l.createdAt < CONNECTING_MS) return true;
    return false;
  }

  /**
   * Whether swarm joins are held with no release in sight (the player has not started): no peer can be linked before
   * the player's first segment, which then goes to the network at once (Agent.direct).
   */
  get joinsHeld(): boolean {
    return this.discovery.holding && this.releaseExpectedAt === null;
  }

  /**
   * The held joins will go soon (the player's first segment is in; they go at its first frame): until they do, and
   * at most RELEASE_EXPECTED_MS, peers count as coming (`connecting`), so that the player's next requests wait for
   * them rather than go to the network while the connections are being made.
   */
  expectRelease(): void {
    if (this.discovery.holding) this.releaseExpectedAt ??= this.deps.now();
  }

  /** Lets held swarm joins go to the tracker (once the player has started). */
  release(): void {
    if (!this.destroyed) this.discovery.release();
  }

  start(): void {
    this.started = true;
    if (!this.destroyed && this.enabled && this.signalling.start()) this.discovery.startRefresh();
  }

  /**
   * P2P on or off at runtime. Off: every link closes (downloads under way fail over to HTTP, uploads end), signalling
   * ends (its socket to the P2P server closes, so the server forgets this page's peer id and its swarms) and nothing is
   * asked of the server until it is on again. The swarms joined are remembered: on again, a new peer id joins them.
   */
  setEnabled(on: boolean): void {
    if (this.destroyed || on === this.enabled) return;
    this.enabled = on;
    if (on) {
      if (this.started) this.start();
      return;
    }
    this.readyId = null;
    this.ice.stop();
    this.links.closeAll();
    this.signalling.stop();
  }

  /** Serving peers on or off at runtime (see SwarmMembership.setServing). */
  setUploadEnabled(on: boolean): void {
    this.membership.setServing(on);
  }

  /** Joins a swarm (see SwarmMembership.join). */
  join(swarm: string, key?: string): void {
    this.membership.join(swarm, key);
  }

  /** Leaves a swarm (see SwarmMembership.leave). */
  leave(swarm: string): void {
    this.membership.leave(swarm);
  }

  /** What peers call a segment (its shared key; see SharedKeys): for requests on a link and for elections. */
  sharedKey(key: string): string {
    return this.keys.of(key);
  }

  /** The best open link that announced the key, or undefined. Prefers idle, then fast, peers. */
  linkFor(key: string, exclude?: ReadonlySet<string>): PeerLink | undefined {
    return this.selection.linkFor(this.keys.of(key), exclude);
  }

  /** The open link to `peerId`, if any. */
  linkOf(peerId: string): PeerLink | undefined {
    const link = this.links.get(peerId);
    return link?.isOpen ? link : undefined;
  }

  /** Whether the peer's open link announced holding, or fetching, any of `keys` (local keys). */
  peerHolds(peerId: string, keys: readonly string[]): boolean {
    const link = this.links.get(peerId);
    if (!link?.isOpen) return false;
    return keys.some((k) => {
      const shared = this.keys.of(k);
      return link.has(shared) || link.isFetching(shared);
    });
  }

  /** Open links that announced they are downloading the key over HTTP now. */
  fetchersOf(key: string): PeerLink[] {
    return this.selection.fetchersOf(this.keys.of(key));
  }

  /** Segment bytes exchanged with each open link, for dashboards. */
  peerStats(): PeerStat[] {
    return [...this.links]
      .filter((l) => l.isOpen)
      .map((l) => ({ peerId: l.remoteId, downloadedBytes: l.downloadedBytes, uploadedBytes: l.uploadedBytes, relayed: l.relayed }));
  }

  /** This page's uplink as its uploads measured it (bytes/s when busy), or null before it was ever busy. */
  get uplinkBytesPerSec(): number | null {
    return this.upload.uplinkBytesPerSec;
  }

  /** Segment bytes [downloaded, uploaded] over links that go through a TURN relay, closed ones included. */
  relayedBytes(): [number, number] {
    return this.factory.relayedBytes();
  }

  /** Ids of the open links (the swarm as this page sees it). */
  openPeerIds(): string[] {
    return [...this.links].filter((l) => l.isOpen).map((l) => l.remoteId);
  }

  /** Tells every peer about segments that arrived, left the store, or are being downloaded (see SwarmMembership). */
  announce(type: 'have' | 'lost' | 'fetching', segments: Array<Pick<StoredSegment, 'key' | 'swarm'>>): void {
    this.membership.announce(type, segments);
  }

  /** Ends a peer's link and bans it (see BanPolicy). */
  ban(peerId: string, reason: SwarmErrorCode): void {
    this.factory.ban(peerId, reason);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.membership.destroy();
    this.discovery.destroy();
    this.ice.destroy();
    this.upload.destroy();
    this.links.closeAll();
    this.signalling.destroy();
  }
}
