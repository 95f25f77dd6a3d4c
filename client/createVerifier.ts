import type { SwarmfetchConfig } from '../core/config';
import { HashOracleClient } from './HashOracleClient';
import { IntegrityManifests } from './IntegrityManifests';
import { PlaylistHashes } from './PlaylistHashes';
import { SegmentVerifier, type VerifierOutcome } from './SegmentVerifier';

export interface VerifierParts {
  verifier: SegmentVerifier;
  manifests: IntegrityManifests | null;
  /** Where the agent puts the segment hashes it reads in HLS playlists; the verifier asks it first. */
  playlistHashes: PlaylistHashes;
}

/** The verifier a page uses, with the hash sources its config turns on. */
export function createVerifier(
  config: Readonly<SwarmfetchConfig>,
  deps: {
    fetch: typeof fetch; pageUrl: string;
    /** The P2P server's base URL (ending in '/'), or a function read at each oracle request (see ServerList). */
    serverBase: string | (() => string);
    onError(code: 'integrity-manifest-invalid' | 'network-error', message: string): void;
    onOutcome?(outcome: VerifierOutcome): void;
  },
): VerifierParts {
  let manifestUrl: string | null = null;
  if (config.integrityUrl) {
    try {
      manifestUrl = new URL(config.integrityUrl, deps.pageUrl).href;
    } catch {
      deps.onError('integrity-manifest-invalid', `integrityUrl is not a URL: ${config.integrityUrl.slice(0, 100)}`);
    }
  }
  const manifests =
    manifestUrl || config.integrityLookup
      ? new IntegrityManifests({
          fetch: deps.fetch, manifestUrl, lookup: config.integrityLookup, timeoutMs: config.integrityTimeoutMs, onError: deps.onError,
        })
      : null;
  const oracle = config.integrityOracle
    ? new HashOracleClient({ fetch: deps.fetch, baseUrl: deps.serverBase, timeoutMs: config.integrityTimeoutMs })
    : null;
  const playlistHashes = new PlaylistHashes();
  const subtle = globalThis.crypto?.subtle;
  const verifier = new SegmentVerifier({
    playlist: playlistHashes, manifests, oracle, acceptUnverified: config.acceptUnverifiedPeerBytes, timeoutMs: config.integrityTimeoutMs,
    onOutcome: deps.onOutcome,
    digest: (data) => {
      if (!subtle) return Promise.reject(new Error('crypto.subtle unavailable (not a secure context)'));
      return subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
    },
  });
  return { verifier, manifests, playlistHashes };
}
