import type { SwarmErrorCode } from '../core/SwarmError';
import { keyInSwarm } from '../core/contract';
import { BanPolicy } from './peer/BanPolicy';
import type { ConnectionLike } from './peer/ConnectionLike';
import { Discovery, type Offered } from './peer/Discovery';
import { isRelayed } from './peer/isRelayed';
import { LinkRegistry } from './peer/LinkRegistry';
import { linkLimits, type PeerLinkLimits } from './peer/PeerLinkDeps';
import type { PeerPoolDeps, PeerStat } from './peer/PeerPoolDeps';
import { PeerSelection } from './peer/PeerSelection';
import { ServerIce } from './peer/ServerIce';
import { Signalling } from './peer/Signalling';
import { PeerLink } from './PeerLink';
import { segmentIdFrom } from './segmentIdFrom';
import { SharedKeys } from './SharedKeys';
import type { StoredSegment } from './SegmentStore';
import { UploadBudget } from './peer/UploadBudget';

export type { PeerPoolDeps, PeerStat } from './peer/PeerPoolDeps';
export type { PeerLike } from './peer/Signalling';

/** Peers whose fetching news is ignored this session (bounded, oldest forgotten). */
const MAX_FETCHING_IGNORED = 256;
/**
 * A link not open yet counts as "peers coming" (segments wait a moment for it) at most this long after it was made:
 * the handshake's open deadline. WebRTC connects within ~0.1 s on a LAN and ~0.3–1.5 s across NATs with STUN, but
 * several seconds on a loaded machine (3 s made short e2e tests lose their first P2P segments in CI). What keeps an
 * unreachable peer (symmetric NATs without TURN, a firewall) from adding latency to every segment is that it is not
 * dialled again for UNREACHABLE_MS.
 */
const CONNECTING_MS = 10_000;
/** A peer our dial never reached is not dialled again for this long (at most this many remembered). */
const UNREACHABLE_MS = 60_000;
const MAX_UNREACHABLE = 256;

/**
 * Holds this page's PeerJS peer and its links: joins swarms through the tracker, connects to their peers,
 * keeps them told what the store holds, and picks a peer for a segment. Composed of Signalling (the PeerJS Peer and
 * its retries), Discovery (swarms and tracker rounds), LinkRegistry (links and slots), PeerSelection (which peer to
 * ask) and BanPolicy (who is not heard, for how long). Its callers speak local keys and swarms (the store's, the
 * worker's); links, announcements and the tracker speak shared ones (SharedKeys: the same without a segmentId hook).
 */
export class PeerPool {
  private readonly signalling: Signalling;
  private readonly discovery: Discovery;
  private readonly links: LinkRegistry;
  private readonly selection: PeerSelection<PeerLink>;
  private readonly bans: BanPolicy;
  /** Peers our dial did not reach lately (see UNREACHABLE_MS). */
  private readonly unreachable: BanPolicy;
  private readonly limits: PeerLinkLimits;
  /** The upload cap and the measured uplink, over all links. */
  private readonly upload: UploadBudget;
  /** Local keys and swarms (the store's, the agent's) ↔ shared ones (what peers call them; see SharedKeys). */
  private readonly keys: SharedKeys;
  /** Peers whose `fetching` news is not believed this session (see FetchingNews); bounded, oldest forgotten. */
  private readonly fetchingIgnored = new Set<string>();
  private readonly ice: ServerIce;
  /** The peer id once signalling is up and the ICE servers are set: only then are swarms joined. */
  private readyId: string | null = null;
  /** Segment bytes of relayed links that closed: [downloaded, uploaded]. */
  private readonly relayedGone: [number, number] = [0, 0];
  /** P2P switched on (see setEnabled), and start() called (a page with WebRTC and a worker). */
  private enabled: boolean;
  private started = false;
  /** Serving peers (see setUploadEnabled). */
  private uploading: boolean;
  private destroyed = false;

  constructor(private readonly deps: PeerPoolDeps) {
    const c = deps.config;
    const { randomBytes } = deps;
    this.enabled = c.p2pEnabled;
    this.uploading = c.uploadEnabled;
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
      onConnection: (conn) => this.accept(conn),
      onError: (e) => deps.events.error(e),
    });
    this.links = new LinkRegistry({
      maxPeers: c.maxPeers,
      myId: () => this.signalling.peerId,
      needs: (key) => this.inJoinedSwarm(key) && !deps.store.has(this.keys.local(key) ?? ''),
      create: (conn, dialled) => this.createLink(conn, dialled),
      now: () => deps.now(),
    });
    this.discovery = new Discovery({
      tracker: deps.tracker,
      token: this.signalling.token,
      refreshMs: c.trackerRefreshMs,
      peerId: () => (this.readyId === this.signalling.peerId ? this.readyId : null),
      room: () => this.links.room(),
      canReplace: () => this.links.canReplace(),
      offer: (remote, swarm) => this.offer(remote, swarm),
      onError: (e) => deps.events.error(e),
    }, deps.holdJoins === true);
    this.ice = new ServerIce({
      config: c,
      ask: (id, token, relay) => deps.tracker.ice(id, token, relay),
      apply: (servers) => this.signalling.setIceServers(servers),
      onError: (e) => deps.events.error(e),
    });
    this.selection = new PeerSelection(this.links, () => deps.random());
    this.bans = new BanPolicy(() => deps.now());
    this.unreachable = new BanPolicy(() => deps.now(), { maxBans: MAX_UNREACHABLE, banMs: UNREACHABLE_MS });
    this.upload = new UploadBudget(c.uploadMaxBytesPerSec, this.links, deps.now);
    this.keys = new SharedKeys(c.segmentId ?? (c.segmentIdFrom ? segmentIdFrom(c.segmentIdFrom) : null), deps.events.error);
    this.limits = linkLimits(c);
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
    return this.uploading;
  }

  /** Peers banned now (a ban lasts an hour; at most 1024 are remembered: see BanPolicy). */
  get bannedCount(): number {
    return this.bans.size;
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
    for (const l of this.links) if (!l.isOpen && now - l.createdAt < CONNECTING_MS) return true;
    return false;
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

  /**
   * Serving peers on or off at runtime (downloads from peers go on either way). Off: uploads under way end at once,
   * each answered `absent`; new requests are answered `absent`; peers are told `lost` for everything held and hear
   * no more news. On: peers are told what the store holds again.
   */
  setUploadEnabled(on: boolean): void {
    if (on === this.uploading) return;
    this.uploading = on;
    const held = this.held();
    for (const link of this.links) {
      if (!on) link.dropUploads();
      for (const [swarm, keys] of held) link.announce(on ? 'have' : 'lost', swarm, keys);
    }
  }

  /**
   * Joins a swarm; peers are found as soon as signalling is up. Joining a swarm already joined marks it used; when
   * MAX_SWARMS are joined, the least recently used one is left to make room. `swarm` is the agent's (local) swarm
   * id; `key`, a segment of it, names the swarm joined (see SharedKeys: with a segmentId hook, a swarm none of whose
   * keys was seen yet is joined once one is).
   */
  join(swarm: string, key?: string): void {
    const s = this.keys.swarm(swarm, key);
    if (s === undefined || this.destroyed || this.discovery.touch(s)) return;
    const lru = this.discovery.leastRecentlyUsed;
    if (lru !== undefined) this.drop(lru);
    this.discovery.join(s);
    // a swarm joined again: links already told what the store held then learn what it holds of this one
    const held = this.keys.held(this.deps.store.keysBySwarm()).get(s);
    if (held && this.uploading) for (const link of this.links) link.announce('have', s, held);
  }

  /**
   * Leaves a swarm: the tracker is told, its segments are no longer announced or served to peers (peers are told
   * `lost` for what the store holds of it), and links to peers met only in it are closed. Nothing if not joined.
   */
  leave(swarm: string): void {
    const s = this.keys.swarm(swarm);
    if (s !== undefined) this.drop(s);
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
    let [d, u] = this.relayedGone;
    for (const l of this.links) {
      if (l.relayed) {
        d += l.downloadedBytes;
        u += l.uploadedBytes;
      }
    }
    return [d, u];
  }

  /** Ids of the open links (the swarm as this page sees it). */
  openPeerIds(): string[] {
    return [...this.links].filter((l) => l.isOpen).map((l) => l.remoteId);
  }

  /** Tells every peer about segments that arrived, left the store, or are being downloaded. */
  announce(type: 'have' | 'lost' | 'fetching', segments: Array<Pick<StoredSegment, 'key' | 'swarm'>>): void {
    const bySwarm = new Map<string, string[]>();
    for (const s of segments) {
      // on the wire by shared key and swarm; a peer asking for the shared key is served the local one
      const key = this.keys.of(s.key);
      const swarm = this.keys.swarm(s.swarm, s.key)!;
      this.keys.note(type, s.key, key);
      if (!this.discovery.joined.has(swarm)) continue;
      const list = bySwarm.get(swarm);
      if (list) list.push(key);
      else bySwarm.set(swarm, [key]);
    }
    // not serving: peers were told `lost` for everything and hear nothing more
    if (!this.uploading) return;
    // a link announces only once it has told its peer what we held (on open, or with the accepting side's hello)
    for (const link of this.links) {
      for (const [swarm, keys] of bySwarm) link.announce(type, swarm, keys);
    }
  }

  /** Ends a peer's link and bans it (see BanPolicy). */
  ban(peerId: string, reason: SwarmErrorCode): void {
    this.bans.ban(peerId, reason);
    this.links.get(peerId)?.close(reason);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.discovery.destroy();
    this.ice.destroy();
    this.upload.destroy();
    this.links.closeAll();
    this.signalling.destroy();
  }

  // ---- internals ----

  /** What the store holds of the swarms joined (what is nobody else's business is left out). */
  private held(): Map<string, string[]> {
    return new Map([...this.keys.held(this.deps.store.keysBySwarm())].filter(([swarm]) => this.discovery.joined.has(swarm)));
  }

  /** Leaves a swarm (its shared id): see leave. */
  private drop(swarm: string): void {
    if (this.destroyed || !this.discovery.leave(swarm)) return;
    this.links.left(swarm, this.discovery.joined);
    const held = this.keys.held(this.deps.store.keysBySwarm()).get(swarm);
    if (held) for (const link of this.links) link.announce('lost', swarm, held);
  }

  private inJoinedSwarm(key: string): boolean {
    for (const swarm of this.discovery.joined) if (keyInSwarm(key, swarm)) return true;
    return false;
  }

  /** A peer dials in: a peer already linked (both dialled at once) is settled by the registry; others need a slot. */
  private accept(conn: ConnectionLike): void {
    if (this.bans.has(conn.peer) || (!this.links.has(conn.peer) && !this.links.roomForInbound())) conn.close();
    else this.links.add(conn, false);
  }

  /** A peer of the tracker's answer for `swarm`. */
  private offer(remote: string, swarm: string): Offered {
    if (this.destroyed || !this.enabled) return 'full';
    if (this.links.has(remote)) {
      this.links.met(remote, swarm);
      return 'skipped';
    }
    if (this.bans.has(remote) || this.unreachable.has(remote) || this.links.wasReplaced(remote)) return 'skipped';
    if (!this.links.makeRoom()) return 'full';
    const conn = this.signalling.connect(remote);
    if (conn) this.links.add(conn, true, swarm);
    return 'dialled';
  }

  private createLink(conn: ConnectionLike, dialled: boolean): PeerLink {
    const remote = conn.peer;
    const { deps } = this;
    return new PeerLink(conn, {
      limits: this.limits,
      dialled,
      // Isolation: only segments of swarms this page joined, whatever else the store holds; anything else is absent.
      // A peer asks by shared key: served the local segment this page holds under it (nothing when none).
      provide: (key, waitMs) => {
        const local = this.keys.local(key);
        return this.uploading && local !== undefined && this.inJoinedSwarm(key) ? deps.provide(local, waitMs) : undefined;
      },
      throttle: (bytes) => this.upload.take(bytes),
      // held back by the upload cap, or behind what the uplink has queued (then refused: see Uploads)
      uploadWaitMs: (bytes) => this.upload.capWaitMs(bytes),
      uplinkWaitMs: (bytes) => this.upload.uplinkWaitMs(bytes),
      uplinkPromised: (deltaBytes) => this.upload.promise(deltaBytes),
      // a queue short in time, shared by the links sending now: what else the link says is not stuck behind it
      highWaterBytes: () => this.upload.highWaterBytes(this.limits.sendHighWaterBytes),
      // what the store holds of swarms this page left or never joined is nobody's business; nothing when not serving
      initialHaves: () => (this.uploading ? this.held() : new Map()),
      onOpen: (l) => {
        this.unreachable.lift(remote);
        deps.events.peer({ peerId: l.remoteId, state: 'connected' });
        isRelayed(conn.peerConnection).then((r) => (l.relayed = r), () => undefined);
      },
      onClose: (l, reason, detail) => {
        this.links.closed(l);
        if (l.relayed) {
          this.relayedGone[0] += l.downloadedBytes;
          this.relayedGone[1] += l.uploadedBytes;
        }
        // a peer that broke the protocol or its bounds is not heard again for a while
        if (BanPolicy.bansFor(reason)) {
          this.bans.ban(remote, reason);
          deps.events.error({
            code: reason,
            message: `peer ${remote} dropped for this session${l.everOpened ? '' : ' during its handshake'}: ${detail ?? reason}`,
          });
        }
        // a connection that never opened (a duplicate dial, an unreachable peer) was never announced; a peer our
        // dial did not reach (and no other link of it is up) is not dialled again for a while
        if (!l.everOpened) {
          if (dialled && this.enabled && !this.links.get(remote)?.isOpen) this.unreachable.ban(remote, 'peer-timeout');
          return;
        }
        deps.events.peer({ peerId: l.remoteId, state: 'disconnected', reason: detail ? `${reason}: ${detail}` : reason });
      },
      onUpload: (_l, bytes) => {
        this.upload.sent(bytes);
        deps.events.upload(bytes);
      },
      fetchingIgnored: this.fetchingIgnored.has(remote),
      onFetchingIgnored: () => {
        this.fetchingIgnored.add(remote);
        if (this.fetchingIgnored.size > MAX_FETCHING_IGNORED) {
          this.fetchingIgnored.delete(this.fetchingIgnored.values().next().value as string);
        }
      },
      now: deps.now,
    });
  }
}
