/** The part of an RTCDataChannel a link needs for backpressure. */
export interface DataChannelLike {
  bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  addEventListener(type: 'bufferedamountlow' | 'close', listener: () => void): void;
  removeEventListener(type: 'bufferedamountlow' | 'close', listener: () => void): void;
}

import type { StatsSource } from './isRelayed';

/** The part of a PeerJS DataConnection a link needs (so tests can use a fake). */
export interface ConnectionLike {
  readonly peer: string;
  readonly open: boolean;
  /** How PeerJS frames this connection's messages; swarmfetch speaks only 'raw' (see protocol.ts). */
  readonly serialization?: string;
  readonly dataChannel?: DataChannelLike;
  /** The WebRTC connection under it (to tell a relayed route). */
  readonly peerConnection?: StatsSource;
  send(data: string | ArrayBuffer): void;
  close(): void;
  on(event: 'open' | 'close', listener: () => void): unknown;
  on(event: 'data', listener: (data: unknown) => void): unknown;
  on(event: 'error', listener: (err: unknown) => void): unknown;
}
