import type { SwarmfetchStats } from './SwarmfetchEvents';

/** The byte counts a beacon reports. */
export type BeaconBytes = Pick<SwarmfetchStats, 'httpBytes' | 'p2pBytes' | 'uploadedBytes'>;

/** One beacon: byte counts since the previous one (deltas), and the page's peer id and signalling token. */
export interface BeaconBody extends BeaconBytes {
  peerId: string;
  token: string;
}

export interface OffloadBeaconDeps {
  /** How often a beacon goes (already clamped by the config: 10 s–1 h). */
  intervalMs: number;
  /** Totals since the page loaded. */
  totals(): BeaconBytes;
  /** Whether P2P is switched on: bytes moved while it is off are never reported. */
  enabled(): boolean;
  /** This page's peer id and token once signalling is up; null before (the bytes wait for the next beacon). */
  peer(): { peerId: string; token: string } | null;
  /**
   * Posts one beacon (`POST /swarmfetch/v1/beacon`); rejects when it failed, with `details.status` when the server
   * answered. `last`: the page is going away (sent with keepalive).
   */
  post(body: BeaconBody, last: boolean): Promise<unknown>;
}

/** The largest count one beacon carries (the server's bound). */
const MAX_COUNT = 2 ** 31;

/**
 * Tells the P2P server, every `intervalMs` while P2P is on, the bytes this page moved since the previous beacon (for
 * the server's offload metrics), and once more on destroy. At most one is on its way at a time; one that fails is
 * dropped, never sent again (a beacon that may have arrived is never counted twice); a server without metrics (404)
 * is not asked again this session. Not navigator.sendBeacon: a JSON body to another origin needs a CORS preflight,
 * which sendBeacon does not make — the last one is a fetch with keepalive.
 */
export class OffloadBeacon {
  private timer: ReturnType<typeof setInterval> | null = null;
  /** The totals [http, p2p, uploaded] the previous beacon went up to (or that were passed over while P2P was off). */
  private reported = [0, 0, 0];
  private busy = false;
  private stopped = false;

  constructor(private readonly deps: OffloadBeaconDeps) {}

  start(): void {
    if (!this.stopped) this.timer ??= setInterval(() => this.send(false), this.deps.intervalMs);
  }

  /** The beacon of now, when there is anything to say and nothing on its way. */
  send(last: boolean): void {
    const t = this.deps.totals();
    const now = [t.httpBytes, t.p2pBytes, t.uploadedBytes];
    // the server takes counts up to 2^31: more waits for the next beacon
    const moved = now.map((n, i) => Math.min(n - this.reported[i]!, MAX_COUNT));
    const who = this.deps.peer();
    if (!this.deps.enabled()) this.reported = now;
    else if (who && !this.stopped && !this.busy && moved.some((n) => n > 0)) {
      this.reported = this.reported.map((n, i) => n + moved[i]!);
      this.busy = true;
      this.deps
        .post({ ...who, httpBytes: moved[0]!, p2pBytes: moved[1]!, uploadedBytes: moved[2]! }, last)
        .catch((err: { details?: { status?: number } }) => {
          if (err?.details?.status === 404) this.halt(); // the server has metrics off
        })
        .finally(() => (this.busy = false));
    }
  }

  /** One last beacon, then no more. */
  destroy(): void {
    if (!this.stopped) this.send(true);
    this.halt();
  }

  private halt(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopped = true;
  }
}
