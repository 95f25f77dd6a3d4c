import { urlDirectory } from '../core/contract';
import type { VerifierOutcome } from './SegmentVerifier';

/** What `stats().integrity` says. */
export interface IntegrityStats {
  /**
   * `verified-only` (the default): peer bytes are taken only when they match a trusted hash;
   * `unverified-allowed`: `acceptUnverifiedPeerBytes` is set, whole segments no source covers are taken unchecked.
   */
  policy: 'verified-only' | 'unverified-allowed';
  /**
   * What the latest hash lookup found: `pending` (none yet), `ok` (a trusted hash), `no-source` (no hash source
   * covers the stream: peers are not used for it, segments come over HTTP — or unchecked with the opt-out),
   * `unavailable` (a source covers it but gave no hash: it failed, is late or does not list the segment; HTTP).
   */
  state: 'pending' | 'ok' | 'no-source' | 'unavailable';
  /** Why, in words, when the state is not `ok`. */
  reason: string | null;
  /** Peer segments not taken for want of a trusted hash (they came over HTTP; the peer was not blamed). */
  unavailableSegments: number;
}

const NO_SOURCE_FIX =
  'tag the HLS playlists (#EXT-X-SWARMFETCH-SHA256), publish swarmfetch-integrity.json (npx swarmfetch-server hash ' +
  '<media-dir>) or run the P2P server with --hash-origin <origin>';

/** Keeps the page's integrity status, and warns once (console) when a stream has no hash source at all. */
export class IntegrityStatus {
  private state: IntegrityStats['state'] = 'pending';
  private reason: string | null = null;
  private unavailable = 0;
  private warned = false;

  constructor(
    private readonly acceptUnverified: boolean,
    private readonly warn: (message: string) => void,
  ) {}

  outcome(o: VerifierOutcome): void {
    if (o.kind === 'hash') {
      this.state = 'ok';
      this.reason = null;
      return;
    }
    if (o.kind === 'unknown') {
      this.state = 'unavailable';
      this.reason = o.why;
      return;
    }
    this.state = 'no-source';
    const where = urlDirectory(o.key).slice(0, 200);
    this.reason = this.acceptUnverified
      ? `no hash source covers ${where}: peer bytes taken unchecked (acceptUnverifiedPeerBytes)`
      : `no hash source covers ${where}: P2P off, segments come over HTTP`;
    if (!this.warned) {
      this.warned = true;
      this.warn(`swarmfetch: ${this.reason}. To share safely, ${NO_SOURCE_FIX}.`);
    }
  }

  refused(): void {
    this.unavailable++;
  }

  stats(): IntegrityStats {
    return {
      policy: this.acceptUnverified ? 'unverified-allowed' : 'verified-only',
      state: this.state, reason: this.reason, unavailableSegments: this.unavailable,
    };
  }
}
