import { SwarmError } from '../../core/SwarmError';
import { PROTOCOL_VERSION, type ControlMessage } from '../protocol';

/** The accepting side repeats its hello after this long, then twice as long each time, until it hears one. */
const HELLO_RETRY_FIRST_MS = 250;
/** Hellos a peer may repeat (answers to our repeats, or its own repeats crossing ours); more ends the link. */
const MAX_EXTRA_HELLOS = 8;
/** A link whose handshake has not completed this long after it was made closes (peer-timeout): it holds a slot. */
export const OPEN_TIMEOUT_MS = 10_000;

export interface HandshakeDeps {
  /** This page dialled (the peer accepted): it says hello only once it has heard the accepting side's. */
  dialled: boolean;
  /** @default OPEN_TIMEOUT_MS */
  openTimeoutMs?: number | undefined;
  send(m: ControlMessage): void;
  /** The accepting side's hello is out: what this page holds follows it at once. */
  onHelloSent(): void;
  /**
   * The accepting side's hello was answered only after a repeat: the dialler was not listening when the first went
   * out, so what followed it (the announcement of what this page holds) may be lost with it — say it again.
   */
  onAnsweredLate(): void;
  /** Both hellos exchanged: the link is usable. */
  onOpen(): void;
  /** The handshake did not complete in time: the link is to close (peer-timeout). */
  onTimeout(detail: string): void;
}

/**
 * The hello exchange of one link (protocol v2, see `hello` in protocol.ts) and its deadline. The side that accepted
 * the connection says hello as soon as its channel opens and repeats it (250 ms, then backing off) until it hears the
 * dialler's (answered only after a repeat, it announces what it holds again: the first announcement may have been
 * lost with the first hello); the dialler speaks only once it has heard a hello, then answers each one. Before a hello only
 * announcements are accepted (they may follow a hello that was lost); at most MAX_EXTRA_HELLOS repeats, never of
 * another version. A link not open within `openTimeoutMs` of its making (channel and hellos) times out.
 */
export class Handshake {
  private helloSeen = false;
  private helloSent = false;
  /** Our side of the channel reported open (sending is possible). */
  private channelOpen = false;
  private opened = false;
  private stopped = false;
  private extraHellos = 0;
  /** The accepting side repeated its hello (its first one may never have arrived). */
  private repeated = false;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private deadline: ReturnType<typeof setTimeout> | null;

  constructor(private readonly deps: HandshakeDeps) {
    const ms = deps.openTimeoutMs ?? OPEN_TIMEOUT_MS;
    this.deadline = setTimeout(() => {
      this.deadline = null;
      if (!this.opened && !this.stopped) this.deps.onTimeout(`handshake not complete within ${ms} ms`);
    }, ms);
  }

  /** Both hellos exchanged (ours sent, theirs received). */
  get isOpen(): boolean {
    return this.opened;
  }

  /** Our side of the channel opened: the accepting side speaks first; the dialler answers once it has heard it. */
  channelOpened(): void {
    if (this.stopped || this.channelOpen) return;
    this.channelOpen = true;
    if (!this.deps.dialled || this.helloSeen) this.sayHello();
  }

  /**
   * Checks a control message against the handshake: true when it was a hello (handled here, nothing more to do).
   * Throws protocol-violation for anything but an announcement before the peer's hello, or a bad hello.
   */
  receive(m: ControlMessage): boolean {
    if (m.t === 'hello') {
      this.onHello(m.v);
      return true;
    }
    // announcements may come before a hello that was lost (its repeat follows); nothing else may
    if (!this.helloSeen && m.t !== 'have' && m.t !== 'lost' && m.t !== 'fetching') {
      throw new SwarmError('protocol-violation', 'expected hello', { t: m.t });
    }
    return false;
  }

  /** Segment bytes may only follow the peer's hello. */
  checkFrame(): void {
    if (!this.helloSeen) throw new SwarmError('protocol-violation', 'data before hello');
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.deadline) clearTimeout(this.deadline);
    this.retry = this.deadline = null;
  }

  private onHello(v: number): void {
    if (!this.helloSeen) {
      if (v !== PROTOCOL_VERSION) throw new SwarmError('protocol-violation', 'protocol version mismatch', { v });
      this.helloSeen = true;
      if (this.retry) clearTimeout(this.retry);
      if (this.helloSent) this.finish();
      else if (this.channelOpen) this.sayHello();
      return;
    }
    // a repeated hello: the accepting side has not heard ours yet (the dialler answers again), or repeats that crossed
    // our answer (ignored); bounded, and never a different version
    if (v !== PROTOCOL_VERSION) throw new SwarmError('protocol-violation', 'protocol version changed', { v });
    if (++this.extraHellos > MAX_EXTRA_HELLOS) throw new SwarmError('protocol-violation', 'too many hellos');
    if (this.deps.dialled) this.deps.send({ t: 'hello', v: PROTOCOL_VERSION });
  }

  private sayHello(): void {
    if (this.stopped || this.helloSent) return;
    this.helloSent = true;
    this.deps.send({ t: 'hello', v: PROTOCOL_VERSION });
    // the peer's hello may have come before our channel reported open (nothing could be sent until then)
    if (this.helloSeen) return this.finish();
    if (this.deps.dialled) return;
    // the accepting side announces what it holds with its hello, so the dialler knows it the moment it opens
    this.deps.onHelloSent();
    // The accepting side's hello, sent the moment its channel opens, is sometimes never delivered (Chromium, about
    // 1 connection in 100 under load): say it again, backing off, until the dialler's answer arrives.
    this.repeatHello(HELLO_RETRY_FIRST_MS);
  }

  private repeatHello(afterMs: number): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.stopped || this.helloSeen) return;
      this.repeated = true;
      this.deps.send({ t: 'hello', v: PROTOCOL_VERSION });
      this.repeatHello(afterMs * 2);
    }, afterMs);
  }

  private finish(): void {
    if (this.opened || this.stopped) return;
    this.opened = true;
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
    this.deps.onOpen();
    if (this.repeated && !this.deps.dialled) this.deps.onAnsweredLate();
  }
}
