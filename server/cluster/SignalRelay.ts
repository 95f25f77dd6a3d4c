import { CLUSTER_MESSAGE_VERSION, parseClusterMessage, RELAYED_TYPES, type ClusterMessage } from './clusterMessage';
import type { ClusterKeys } from './clusterKeys';
import type { ClusterPeers } from './ClusterPeers';
import type { RedisLink } from './RedisLink';

/** How long one lookup of a peer's node is reused (it also keeps the order of a burst of messages to one peer). */
const LOOKUP_REUSE_MS = 1_000;
/** Most lookups remembered; past it they are all forgotten (a flood of distinct ids). */
const MAX_LOOKUPS = 10_000;
/** Most messages under way to Redis at once; past it a message is dropped as if its peer were unknown. */
const MAX_PENDING = 10_000;

/** A PeerJS message from one of this node's peers to a peer that is not connected here. */
export interface OutgoingSignal {
  type: string;
  src: string;
  dst: string;
  payload?: unknown;
}

export interface SignalRelayOptions {
  link: Pick<RedisLink, 'run' | 'state' | 'subscriber'>;
  keys: ClusterKeys;
  nodeId: string;
  peers: Pick<ClusterPeers, 'locate'>;
  /** Sends a message (JSON text) to a peer connected to this node; false when it is not. */
  deliver(peerId: string, text: string): boolean;
  /** Whether `peerId` may send now: its socket here is its own (claimed in the cluster, not an impostor's). */
  whenClaimed(peerId: string): Promise<boolean>;
  /** Another node took `peerId` over with the same token: close its socket here. */
  evict(peerId: string): void;
  /** A message from Redis that was dropped (malformed, another version), or one for nobody. */
  onDrop(reason: 'bad-cluster-message' | 'relay-unknown-peer' | 'relay-busy'): void;
  now?: () => number;
}

/**
 * Signalling between peers on different nodes, through Redis pub/sub: each node subscribes to its own channel;
 * a message for a peer of another node is published on that node's channel. Pub/sub, not streams: signalling is
 * worth nothing late (PeerJS and the page give up on a connection within seconds) and a message for a node that is
 * gone must fail at once — PUBLISH says how many nodes got it, and for an OFFER nobody got the sender is told
 * `EXPIRE` (PeerJS's "peer unavailable") right away, so a dead node black-holes nothing. Messages from one peer to
 * another keep their order (one lookup, one connection).
 */
export class SignalRelay {
  private readonly lookups = new Map<string, { node: Promise<string | null>; atMs: number }>();
  private pending = 0;
  private readonly now: () => number;
  private started = false;

  constructor(private readonly o: SignalRelayOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * Subscribes to this node's channel (node-redis subscribes again after each reconnection by itself). A subscribe
   * that failed (Redis gone in between) is tried again at the next call (the next reconnection).
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.o.link.subscriber.subscribe(this.o.keys.channel(this.o.nodeId), (text: string) => this.receive(text));
    } catch (err) {
      this.started = false;
      throw err;
    }
  }

  /** Sends `signal` on to its peer's node; an OFFER that reaches no node gets EXPIRE back. Never throws. */
  forward(signal: OutgoingSignal): void {
    if (!RELAYED_TYPES.has(signal.type)) return;
    if (this.pending >= MAX_PENDING) {
      this.o.onDrop('relay-busy');
      return this.unavailable(signal);
    }
    this.pending++;
    void this.send(signal).finally(() => this.pending--);
  }

  /** Tells `node` that `peerId` connected here with the same token (best effort). */
  async evictFrom(node: string, peerId: string): Promise<void> {
    const message: ClusterMessage = { v: CLUSTER_MESSAGE_VERSION, kind: 'evict', peer: peerId };
    await this.o.link.run((r) => r.publish(this.o.keys.channel(node), JSON.stringify(message))).catch(() => 0);
  }

  private async send(signal: OutgoingSignal): Promise<void> {
    try {
      if (!(await this.o.whenClaimed(signal.src))) return;
      const node = await this.lookup(signal.dst);
      if (node === null) return this.unavailable(signal);
      const message: ClusterMessage = { v: CLUSTER_MESSAGE_VERSION, kind: 'signal', ...signal };
      const text = JSON.stringify(message);
      if (node === this.o.nodeId) {
        // it connected here meanwhile
        if (!this.o.deliver(signal.dst, peerText(signal))) this.unavailable(signal);
        return;
      }
      const receivers = await this.o.link.run((r) => r.publish(this.o.keys.channel(node), text));
      if (receivers === 0) {
        this.lookups.delete(signal.dst);
        this.unavailable(signal);
      }
    } catch {
      this.unavailable(signal);
    }
  }

  /** The node of `peerId`, one Redis lookup reused for a second. */
  private lookup(peerId: string): Promise<string | null> {
    const now = this.now();
    const known = this.lookups.get(peerId);
    if (known && now - known.atMs < LOOKUP_REUSE_MS) return known.node;
    if (this.lookups.size >= MAX_LOOKUPS) this.lookups.clear();
    const node = this.o.peers.locate(peerId);
    this.lookups.set(peerId, { node, atMs: now });
    node.catch(() => this.lookups.delete(peerId));
    return node;
  }

  /** The peer is nowhere: an OFFER's sender is told at once, the rest is dropped (as PeerJS does after its wait). */
  private unavailable(signal: OutgoingSignal): void {
    this.o.onDrop('relay-unknown-peer');
    if (signal.type === 'OFFER') this.o.deliver(signal.src, JSON.stringify({ type: 'EXPIRE', src: signal.dst, dst: signal.src }));
  }

  private receive(text: string): void {
    const message = parseClusterMessage(text);
    if (!message) return this.o.onDrop('bad-cluster-message');
    if (message.kind === 'evict') return this.o.evict(message.peer);
    const { type, src, dst, payload } = message;
    if (!this.o.deliver(dst, peerText({ type, src, dst, payload }))) this.o.onDrop('relay-unknown-peer');
  }
}

/** A message as PeerJS delivers it to its peer. */
function peerText(signal: OutgoingSignal): string {
  return JSON.stringify({ type: signal.type, src: signal.src, dst: signal.dst, payload: signal.payload });
}
