import type { PeerLike } from '../../../client/PeerPool';
import { FakeConnection } from './FakeConnection';

/** One emitter for the listeners of every PeerJS event (each takes its own argument type). */
type Listener = (arg?: any) => void;

/** A PeerJS `Peer` stand-in: `emit` plays its events; `connect` returns what `dial` makes (a FakeConnection by default). */
export class FakePeer implements PeerLike {
  id: string | null = 'me';
  destroyed = false;
  disconnected = false;
  dials: FakeConnection[] = [];
  private listeners = new Map<string, Listener[]>();

  constructor(private readonly dial: (id: string) => FakeConnection = (id) => new FakeConnection(id)) {}

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  emit(event: string, arg?: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(arg);
  }

  connect(id: string): FakeConnection {
    const c = this.dial(id);
    this.dials.push(c);
    return c;
  }

  reconnect(): void {}

  /** PeerJS: the socket to the server closes, connections stay open. */
  disconnect(): void {
    this.disconnected = true;
  }

  destroy(): void {
    this.destroyed = true;
  }
}
