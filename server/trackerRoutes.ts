import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import { corsGuard } from './corsGuard';
import type { IceAnswer } from './iceAnswer';
import { parseIceRequest } from './parseIceRequest';
import { parseTrackerRequest } from './parseTrackerRequest';
import type { ClusterHealth } from './cluster/Cluster';
import type { ServerMetrics } from './serverMetrics';
import type { TrackerStats } from './Tracker';

/** The tracker the routes use: one node's (Tracker) or a cluster's (ClusterTracker, async). */
export interface TrackerLike {
  join(peerId: string, swarm: string, want: number): string[] | Promise<string[]>;
  leave(peerId: string, swarm: string): void | Promise<void>;
  stats(): TrackerStats;
}

/** What the tracker routes see of the server. */
export interface TrackerRoutesDeps {
  tracker: TrackerLike;
  /** Whether a peer id is connected with a token (in a cluster: to any node), and how many are connected here. */
  peers: { verify(peerId: string, token: string): boolean | Promise<boolean>; readonly size: number };
  /** In a cluster: this node's standing, said in /health. */
  cluster?: () => ClusterHealth;
  /** Most peer ids in one join answer. */
  peersPerAnswer: number;
  isOriginAllowed: (origin: string | undefined, host: string | undefined) => boolean;
  /** Runs before join and leave (a per-client request budget); none by default. */
  limit?: RequestHandler;
  /** Whether this server runs a hash oracle (said in /health, so pages need not ask the oracle to learn it). */
  oracle?: boolean;
  /** ICE servers for pages (`POST /ice`); without it `/ice` is 404 and /health says stun and turn false. */
  ice?: {
    /** Whether answers carry a STUN server (this server's own responder, or configured STUN URLs). */
    stun: boolean;
    /** Whether answers carry TURN credentials (unless the page asks without). */
    turn: boolean;
    answer(ask: { hostHeader: string | undefined; peerId: string; relay: boolean }): IceAnswer;
  };
  /** `POST /beacon`, viewers' offload reports (see beaconRoute); without it `/beacon` is 404 (metrics off). */
  beacon?: RequestHandler;
  /** Counted: joins, leaves and ICE answers given, TURN credentials among them. */
  metrics?: Pick<ServerMetrics, 'joins' | 'leaves' | 'iceAnswers' | 'turnCredentials'>;
}

/**
 * The tracker's HTTP API (mounted at /swarmfetch/v1):
 * - `POST /join { peerId, token, swarm, want? }` → 200 `{ peers }`
 * - `POST /leave { peerId, token, swarm }` → 204
 * - `POST /ice { peerId, token, relay? }` → 200 `{ iceServers, ttlSec }` (see iceAnswer; TURN only unless
 *   `relay: false`)
 * - `POST /beacon { peerId, token, httpBytes, p2pBytes, uploadedBytes }` → 204, with metrics on (see beaconRoute)
 * - `GET /health` → `{ ok: true, peers, swarms, oracle, stun, turn }` (`oracle`: whether GET /hash answers; `stun`,
 *   `turn`: whether /ice hands out a STUN server, TURN credentials); in a cluster also `cluster: { node, redis,
 *   redisForMs }` (`redis`: 'up', 'down' or 'connecting'; peers and swarms are this node's)
 * Join, leave and ice need `peerId` connected to the PeerJS server and `token` its token (else 403 forbidden);
 * malformed bodies get 400 bad-request. A browser may only join swarms of its own site: a join whose swarm id does
 * not start with the request's Origin (see core/swarmId) gets 403 wrong-origin.
 */
export function trackerRoutes(deps: TrackerRoutesDeps): Router {
  const router = express.Router();
  router.use(corsGuard(deps.isOriginAllowed));
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  const limit: RequestHandler = deps.limit ?? ((_req, _res, next) => next());
  const json = express.json({ limit: '8kb' });

  router.post('/join', limit, json, handle(async (req, res) => {
    const body = parseTrackerRequest(req.body);
    if (!body) return void res.status(400).json({ error: 'bad-request' });
    if (!(await deps.peers.verify(body.peerId, body.token))) return void res.status(403).json({ error: 'forbidden' });
    const origin = req.headers.origin;
    if (origin !== undefined && !body.swarm.startsWith(`${origin}|`)) return void res.status(403).json({ error: 'wrong-origin' });
    const want = Math.min(body.want ?? deps.peersPerAnswer, deps.peersPerAnswer);
    res.json({ peers: await deps.tracker.join(body.peerId, body.swarm, want) });
    deps.metrics?.joins.inc();
  }));

  router.post('/leave', limit, json, handle(async (req, res) => {
    const body = parseTrackerRequest(req.body);
    if (!body) return void res.status(400).json({ error: 'bad-request' });
    if (!(await deps.peers.verify(body.peerId, body.token))) return void res.status(403).json({ error: 'forbidden' });
    await deps.tracker.leave(body.peerId, body.swarm);
    res.status(204).end();
    deps.metrics?.leaves.inc();
  }));

  const ice = deps.ice;
  if (ice) {
    router.post('/ice', limit, json, handle(async (req, res) => {
      const body = parseIceRequest(req.body);
      if (!body) return void res.status(400).json({ error: 'bad-request' });
      if (!(await deps.peers.verify(body.peerId, body.token))) return void res.status(403).json({ error: 'forbidden' });
      const answer = ice.answer({ hostHeader: req.headers.host, peerId: body.peerId, relay: body.relay });
      res.json(answer);
      deps.metrics?.iceAnswers.inc();
      if (answer.iceServers.some((s) => s.username !== undefined)) deps.metrics?.turnCredentials.inc();
    }));
  }

  if (deps.beacon) router.post('/beacon', limit, deps.beacon);

  router.get('/health', (_req, res) => {
    res.json({
      ok: true, peers: deps.peers.size, swarms: deps.tracker.stats().swarms, oracle: deps.oracle === true,
      stun: ice?.stun === true, turn: ice?.turn === true, ...(deps.cluster ? { cluster: deps.cluster() } : {}),
    });
  });

  router.use((_req, res) => void res.status(404).json({ error: 'not-found' }));
  router.use(onError);
  return router;
}

/** An async route whose failure (a throw, a rejection) goes to the error handler, as express 4 does not do itself. */
function handle(route: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req, res, next) => void route(req, res).catch(next);
}

/** Body parser failures (bad JSON 400, too large 413) and anything else, as JSON. */
const onError: ErrorRequestHandler = (err: { status?: unknown }, _req, res, _next) => {
  const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
  res.status(status).json({ error: status === 413 ? 'too-large' : status < 500 ? 'bad-request' : 'internal' });
};
