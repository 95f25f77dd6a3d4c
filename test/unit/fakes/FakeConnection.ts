import type { ConnectionLike, DataChannelLike } from '../../../client/PeerLink';

type Listener = (arg?: unknown) => void;

/** An in-memory stand-in for a PeerJS DataConnection; `pair()` links two of them. */
export class FakeConnection implements ConnectionLike {
  open = false;
  other: FakeConnection | null = null;
  sent: Array<string | ArrayBuffer> = [];
  /** When set, outgoing data goes here instead of to the other side (to inject or drop). */
  intercept: ((data: string | ArrayBuffer) => void) | null = null;
  readonly dataChannel: DataChannelLike & { drainNow(): void };
  private listeners = new Map<string, Listener[]>();
  closed = false;

  constructor(readonly peer: string) {
    const dcListeners = new Map<string, Array<() => void>>();
    this.dataChannel = {
      bufferedAmount: 0,
      bufferedAmountLowThreshold: 0,
      addEventListener: (t, l) => dcListeners.set(t, [...(dcListeners.get(t) ?? []), l]),
      removeEventListener: (t, l) => dcListeners.set(t, (dcListeners.get(t) ?? []).filter((x) => x !== l)),
      drainNow: () => {
        this.dataChannel.bufferedAmount = 0;
        for (const l of dcListeners.get('bufferedamountlow') ?? []) l();
      },
    };
  }

  static pair(a = 'peer-a', b = 'peer-b'): [FakeConnection, FakeConnection] {
    // each side's connection is named after the remote peer, as in PeerJS
    const toB = new FakeConnection(b);
    const toA = new FakeConnection(a);
    toB.other = toA;
    toA.other = toB;
    return [toB, toA];
  }

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  emit(event: string, arg?: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(arg);
  }

  /** Opens both sides. */
  openBoth(): void {
    this.open = true;
    if (this.other) this.other.open = true;
    this.emit('open');
    this.other?.emit('open');
  }

  send(data: string | ArrayBuffer): void {
    if (this.closed) throw new Error('closed');
    this.sent.push(data);
    if (this.intercept) return this.intercept(data);
    const other = this.other;
    setTimeout(() => other && !other.closed && other.emit('data', data), 0);
  }

  /** Delivers data to this side as if the remote sent it. */
  deliver(data: unknown): void {
    this.emit('data', data);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.emit('close');
    const other = this.other;
    setTimeout(() => other?.close(), 0);
  }
}
