import type { SwarmErrorCode } from '../../core/SwarmError';
import { PeerLink } from '../PeerLink';
import { BanPolicy } from './BanPolicy';
import type { ConnectionLike } from './ConnectionLike';
import type { Offered } from './Discovery';
import { isRelayed } from './isRelayed';
import type { LinkRegistry } from './LinkRegistry';
import type { PeerLinkLimits } from './PeerLinkDeps';
import type { PeerPoolDeps } from './PeerPoolDeps';
import type { SwarmMembership } from './SwarmMembership';
import type { UploadBudget } from './UploadBudget';

/** Peers whose fetching news is ignored this session (bounded, oldest forgotten). */
const MAX_FETCHING_IGNORED = 256;
/** A peer our dial never reached is not dialled again for this long (at most this many remembered). */
const UNREACHABLE_MS = 60_000;
const MAX_UNREACHABLE = 256;

export interface LinkFactoryDeps extends Pick<PeerPoolDeps, 'provide' | 'events' | 'now'> {
  limits: PeerLinkLimits;
  links: LinkRegistry;
  /** What a link serves and announces (only segments of the swarms joined, and only while serving). */
  membership: Pick<SwarmMembership, 'served' | 'announced'>;
  /** The upload cap and the measured uplink, over all links. */
  upload: UploadBudget;
  /** Dials a peer (see Signalling.connect). */
  connect(remote: string): ConnectionLike | undefined;
  /** P2P is switched on (see PeerPool.setEnabled). */
  enabled(): boolean;
}

/**
 * Who gets a link, and the link each gets: a peer dialling in (while it has a slot) or one the tracker offers (not
 * banned, reached lately, or replaced), and its PeerLink wired to the pool — serving, the upload budget, and what
 * becomes of the link when it opens and closes. Keeps what outlives a link: bans (BanPolicy), peers our dial did not
 * reach lately (see UNREACHABLE_MS), peers whose `fetching` news is not believed (see FetchingNews), and the
 * segment bytes of relayed links that closed.
 */
export class LinkFactory {
  private readonly bans: BanPolicy;
  /** Peers our dial did not reach lately (see UNREACHABLE_MS). */
  private readonly unreachable: BanPolicy;
  /** Peers whose `fetching` news is not believed this session (see FetchingNews); bounded, oldest forgotten. */
  private readonly fetchingIgnored = new Set<string>();
  /** Segment bytes of relayed links that closed: [downloaded, uploaded]. */
  private readonly relayedGone: [number, number] = [0, 0];

  constructor(private readonly deps: LinkFactoryDeps) {
    this.bans = new BanPolicy(() => deps.now());
    this.unreachable = new BanPolicy(() => deps.now(), { maxBans: MAX_UNREACHABLE, banMs: UNREACHABLE_MS });
  }

  /** Peers banned now (see BanPolicy). */
  get bannedCount(): number {
    return this.bans.size;
  }

  /** A peer dials in: a peer already linked (both dialled at once) is settled by the registry; others need a slot. */
  accept(conn: ConnectionLike): void {
    const { links } = this.deps;
    if (this.bans.has(conn.peer) || (!links.has(conn.peer) && !links.roomForInbound())) conn.close();
    else links.add(conn, false);
  }

  /** A peer of the tracker's answer for `swarm` (P2P on). */
  offer(remote: string, swarm: string): Offered {
    const { links } = this.deps;
    if (links.has(remote)) {
      links.met(remote, swarm);
      return 'skipped';
    }
    if (this.bans.has(remote) || this.unreachable.has(remote) || links.wasReplaced(remote)) return 'skipped';
    if (!links.makeRoom()) return 'full';
    const conn = this.deps.connect(remote);
    if (conn) links.add(conn, true, swarm);
    return 'dialled';
  }

  /** Ends a peer's link and bans it (see BanPolicy). */
  ban(peerId: string, reason: SwarmErrorCode): void {
    this.bans.ban(peerId, reason);
    this.deps.links.get(peerId)?.close(reason);
  }

  /** Segment bytes [downloaded, uploaded] over links that go through a TURN relay, closed ones included. */
  relayedBytes(): [number, number] {
    let [d, u] = this.relayedGone;
    for (const l of this.deps.links) {
      if (l.relayed) {
        d += l.downloadedBytes;
        u += l.uploadedBytes;
      }
    }
    return [d, u];
  }

  /** The link of a connection (see LinkRegistry.add). */
  create(conn: ConnectionLike, dialled: boolean): PeerLink {
    const remote = conn.peer;
    const { deps } = this;
    const { links, membership, upload, limits } = deps;
    return new PeerLink(conn, {
      limits,
      dialled,
      // Isolation: only segments of swarms this page joined, whatever else the store holds; anything else is absent.
      // A peer asks by shared key: served the local segment this page holds under it (nothing when none).
      provide: (key, waitMs) => {
        const local = membership.served(key);
        return local !== undefined ? deps.provide(local, waitMs) : undefined;
      },
      throttle: (bytes) => upload.take(bytes),
      // held back by the upload cap, or behind what the uplink has queued (then refused: see Uploads)
      uploadWaitMs: (bytes) => upload.capWaitMs(bytes),
      uplinkWaitMs: (bytes) => upload.uplinkWaitMs(bytes),
      uplinkPromised: (deltaBytes) => upload.promise(deltaBytes),
      uplinkLate: () => upload.late(),
      // a queue short in time, shared by the links sending now: what else the link says is not stuck behind it
      highWaterBytes: () => upload.highWaterBytes(limits.sendHighWaterBytes),
      // what the store holds of swarms this page left or never joined is nobody's business; nothing when not serving
      initialHaves: () => membership.announced(),
      onOpen: (l) => {
        this.unreachable.lift(remote);
        deps.events.peer({ peerId: l.remoteId, state: 'connected' });
        isRelayed(conn.peerConnection).then((r) => (l.relayed = r), () => undefined);
      },
      onClose: (l, reason, detail) => {
        links.closed(l);
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
          if (dialled && deps.enabled() && !links.get(remote)?.isOpen) this.unreachable.ban(remote, 'peer-timeout');
          return;
        }
        deps.events.peer({ peerId: l.remoteId, state: 'disconnected', reason: detail ? `${reason}: ${detail}` : reason });
      },
      onUpload: (_l, bytes) => {
        upload.sent(bytes);
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
