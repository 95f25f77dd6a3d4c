import express, { type RequestHandler } from 'express';
import type { Counter } from './MetricsRegistry';
import { parseBeacon, BEACON_BYTE_FIELDS } from './parseBeacon';
import { BeaconThrottle } from './BeaconThrottle';

/** Largest beacon body read. */
export const MAX_BEACON_BODY_BYTES = 1024;
/** Shortest time between two beacons of one peer. */
export const BEACON_INTERVAL_MS = 5_000;

/** Why a beacon was refused (the `reason` label of `swarmfetch_beacons_refused_total`). */
export type BeaconRefusal = 'malformed' | 'too-large' | 'forbidden' | 'too-often';

/** What the beacon route counts into. */
export interface BeaconMetrics {
  beacons: Counter;
  /** Label `reason`: a BeaconRefusal. */
  beaconsRefused: Counter;
  viewerHttpBytes: Counter;
  viewerP2pBytes: Counter;
  viewerUploadedBytes: Counter;
}

export interface BeaconRouteDeps {
  /** Whether a peer id is connected with a token (in a cluster: to any node). */
  peers: { verify(peerId: string, token: string): boolean | Promise<boolean> };
  metrics: BeaconMetrics;
  /** Clock of the per-peer interval. @default Date.now */
  now?: () => number;
}

/**
 * `POST /swarmfetch/v1/beacon` — a viewer's offload report, for the server's metrics (only mounted with `metrics` on;
 * otherwise the path is 404 `not-found` like any unknown one). Contract:
 * - body: JSON (`Content-Type: application/json`) `{ peerId, token, httpBytes, p2pBytes, uploadedBytes }`, at most
 *   1 KiB. `peerId` and `token` are the page's PeerJS id and token, connected to this server's signalling now.
 *   The three counts are DELTAS: bytes the page got over HTTP, got from peers, and uploaded to peers since its
 *   previous beacon (its first: since it started); each an integer in [0, 2^31]. Other fields are ignored.
 * - 204: counted into `swarmfetch_viewer_{http,p2p,uploaded}_bytes_total` and `swarmfetch_beacons_total`.
 * - 400 `{ error: 'bad-beacon', field }`: a field missing or out of range (`field`: `body`, `peerId`, `token`,
 *   `httpBytes`, `p2pBytes` or `uploadedBytes`); 400 `{ error: 'bad-request' }`: not JSON.
 * - 413 `{ error: 'too-large' }`: a body over 1 KiB (not read).
 * - 403 `{ error: 'forbidden' }`: the peer id is not connected or the token is not its own.
 * - 429 `{ error: 'too-often' }` with `Retry-After: 5`: this peer's previous beacon was accepted less than 5 s ago.
 * Each refusal is counted in `swarmfetch_beacons_refused_total{reason}` (malformed, too-large, forbidden,
 * too-often). Before all that the tracker routes' rules apply: a disallowed Origin is refused 403 (CORS as for
 * /join), and the per-client request budget (429 `rate-exceeded`). Nothing is kept per swarm or per peer beyond the
 * 5 s interval: the counts are totals, and they are what viewers claim, bounded, not what the server saw.
 */
export function beaconRoute(deps: BeaconRouteDeps): RequestHandler {
  const { metrics } = deps;
  const throttle = new BeaconThrottle(BEACON_INTERVAL_MS, deps.now);
  const json = express.json({ limit: MAX_BEACON_BODY_BYTES });
  const refuse = (res: express.Response, status: number, reason: BeaconRefusal, body: object) => {
    metrics.beaconsRefused.inc({ reason });
    res.status(status).json(body);
  };
  const counters = { httpBytes: metrics.viewerHttpBytes, p2pBytes: metrics.viewerP2pBytes, uploadedBytes: metrics.viewerUploadedBytes };
  return (req, res) => {
    json(req, res, (err?: unknown) => {
      if (err) {
        const tooLarge = (err as { status?: unknown }).status === 413;
        return refuse(res, tooLarge ? 413 : 400, tooLarge ? 'too-large' : 'malformed', { error: tooLarge ? 'too-large' : 'bad-request' });
      }
      const beacon = parseBeacon(req.body);
      if ('field' in beacon) return refuse(res, 400, 'malformed', { error: 'bad-beacon', field: beacon.field });
      void Promise.resolve(deps.peers.verify(beacon.peerId, beacon.token)).then((verified) => {
        if (!verified) return refuse(res, 403, 'forbidden', { error: 'forbidden' });
        if (!throttle.take(beacon.peerId)) {
          res.setHeader('Retry-After', String(BEACON_INTERVAL_MS / 1000));
          return refuse(res, 429, 'too-often', { error: 'too-often' });
        }
        for (const field of BEACON_BYTE_FIELDS) counters[field].inc(undefined, beacon[field]);
        metrics.beacons.inc();
        res.status(204).end();
      });
    });
  };
}
