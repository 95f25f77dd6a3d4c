import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { addressGroup } from './addressGroup';
import type { DropLog } from './dropLog';
import { RateBudget } from './RateBudget';
import { encodeBindingSuccess, parseBindingRequest } from './stunMessage';

export interface StunResponderOptions {
  /** Address to bind: an IPv6 address gets a udp6 socket (dual-stack for '::'), anything else udp4. */
  host: string;
  /** UDP port; 0 = any free port. */
  port: number;
  /** Binding requests a second answered for one client (an IPv4 address or an IPv6 /64). @default 50 */
  perClientPerSec?: number;
  /** Burst of such requests. @default 100 */
  perClientBurst?: number;
  /** Binding requests a second answered over all clients. @default 10000 */
  totalPerSec?: number;
  /** Where a rate drop is written; none by default. Malformed datagrams are dropped without a word. */
  drop?: DropLog;
  now?: () => number;
}

/** Idle clients' budgets are forgotten this often. */
const SWEEP_MS = 10_000;
/** Most clients with a budget at once; past it the longest-tracked one is forgotten (a flood of spoofed sources). */
const MAX_CLIENTS = 100_000;

/**
 * A STUN Binding server (RFC 5389) on one UDP socket: a Binding Request is answered with a Binding Success Response
 * carrying XOR-MAPPED-ADDRESS (the sender's address and port as this server sees them, which is what a browser
 * needs for its server-reflexive ICE candidate) and FINGERPRINT. Every other datagram is dropped without an answer.
 * A response (40 bytes for an IPv4 sender, 52 for IPv6) is at most 2.6 times the smallest request (20 bytes), and
 * per-client and total budgets bound how much a spoofed source can have reflected at it.
 */
export class StunResponder {
  private readonly budgets = new Map<string, RateBudget>();
  private readonly total: RateBudget;
  private readonly perClientPerSec: number;
  private readonly perClientBurst: number;
  private readonly now: () => number;
  private readonly sweep: ReturnType<typeof setInterval>;
  private closing: Promise<void> | null = null;
  private readonly counts = { answers: 0, overBudget: 0, malformed: 0 };

  private constructor(
    private readonly socket: Socket,
    private readonly options: StunResponderOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.perClientPerSec = options.perClientPerSec ?? 50;
    this.perClientBurst = options.perClientBurst ?? 100;
    const totalPerSec = options.totalPerSec ?? 10_000;
    this.total = new RateBudget(totalPerSec, this.now);
    this.sweep = setInterval(() => {
      for (const [client, budget] of this.budgets) if (budget.isFull) this.budgets.delete(client);
    }, SWEEP_MS);
    this.sweep.unref();
    socket.on('message', (msg, from) => this.onMessage(msg, from));
    // a failed send or an ICMP error reported on the socket concerns one datagram; without a listener it would throw
    socket.on('error', () => {});
  }

  /** Binds the socket; rejects with the bind error (the socket closed then). */
  static listen(options: StunResponderOptions): Promise<StunResponder> {
    const socket = createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        socket.close();
        reject(err);
      };
      socket.once('error', onError);
      socket.bind(options.port, options.host, () => {
        socket.off('error', onError);
        resolve(new StunResponder(socket, options));
      });
    });
  }

  /** The UDP port bound. */
  get port(): number {
    return this.socket.address().port;
  }

  /** Clients with a budget entry now. */
  get clients(): number {
    return this.budgets.size;
  }

  /** Since it started: Binding Requests answered, dropped over a budget, and datagrams dropped as malformed. */
  get stats(): Readonly<{ answers: number; overBudget: number; malformed: number }> {
    return { ...this.counts };
  }

  /** The response to send for `msg` from `address`:`port`, or null to drop it (malformed, not a Binding Request, over budget). */
  answer(msg: Uint8Array, address: string, port: number): Buffer | null {
    const transactionId = parseBindingRequest(msg);
    if (!transactionId) {
      this.counts.malformed++;
      return null;
    }
    if (!this.take(address)) {
      this.counts.overBudget++;
      return null;
    }
    this.counts.answers++;
    return encodeBindingSuccess(transactionId, address, port);
  }

  /** Closes the socket. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= new Promise<void>((resolve) => {
      clearInterval(this.sweep);
      this.socket.close(() => resolve());
    }));
  }

  private onMessage(msg: Buffer, from: RemoteInfo): void {
    const response = this.answer(msg, from.address, from.port);
    if (response) this.socket.send(response, from.port, from.address, () => {});
  }

  private take(address: string): boolean {
    const client = addressGroup(address);
    let budget = this.budgets.get(client);
    if (!budget) {
      if (this.budgets.size >= MAX_CLIENTS) this.budgets.delete(this.budgets.keys().next().value as string);
      this.budgets.set(client, (budget = new RateBudget(this.perClientPerSec, this.now, this.perClientBurst)));
    }
    if (!budget.take()) {
      this.options.drop?.('rate-exceeded', { client, via: 'stun', limitPerSec: this.perClientPerSec });
      return false;
    }
    if (!this.total.take()) {
      this.options.drop?.('rate-exceeded', { client, via: 'stun', limit: 'total' });
      return false;
    }
    return true;
  }
}
