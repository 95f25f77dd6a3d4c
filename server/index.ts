/**
 * The swarmfetch P2P server: PeerJS signalling at /peerjs and the swarm tracker at /swarmfetch/v1, one Node process.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import express from 'express';
import { ExpressPeerServer } from 'peer';
import { WebSocketServer, type ServerOptions } from 'ws';
import { AbsentPeerBudget } from './AbsentPeerBudget';
import { beaconRoute } from './beaconRoute';
import { captureTimers } from './captureTimers';
import { createCluster } from './createCluster';
import { patchPeerRealm } from './patchPeerRealm';
import { clientFields, clientOfRequest } from './clientOfRequest';
import { ConnectionGuard } from './ConnectionGuard';
import { createDropLog, type DropLog } from './dropLog';
import { guardSignalling } from './guardSignalling';
import { isOriginAllowed } from './isOriginAllowed';
import { PeerRegistry } from './PeerRegistry';
import { listen } from './listen';
import { mergeServerOptions } from './mergeServerOptions';
import type { SwarmServerOptions } from './SwarmServerOptions';
import { Tracker } from './Tracker';
import { trackerRateLimit } from './trackerRateLimit';
import { trackerRoutes } from './trackerRoutes';
import { HashOracle } from './HashOracle';
import { hashRoutes } from './hashRoutes';
import { iceAnswer, type IceSettings } from './iceAnswer';
import { StunResponder } from './StunResponder';
import { stunBindError } from './stunBindError';
import { metricsHandler } from './metricsHandler';
import { proxyTrust } from './proxyTrust';
import { serverMetrics } from './serverMetrics';

export { DEFAULT_SERVER_OPTIONS } from './SwarmServerOptions';
export { mergeServerOptions } from './mergeServerOptions';
export type { StaticDir, SwarmServerOptions } from './SwarmServerOptions';
export { Tracker, MAX_PEER_ID_LENGTH } from './Tracker';
export type { TrackerOptions, TrackerStats } from './Tracker';
export { HashOracle } from './HashOracle';
export type { HashOracleOptions, OracleResult, OracleError } from './HashOracle';
export { hashMediaDir } from './hashMediaDir';
export { annotatePlaylist, type PlaylistHashLookup } from './annotatePlaylist';
export { annotateMediaPlaylists } from './annotateMediaPlaylists';
export { StunResponder, type StunResponderOptions } from './StunResponder';
export { turnCredentials, type TurnCredentials } from './turnCredentials';
export type { IceAnswer } from './iceAnswer';
export { PLAYLIST_HASH_TAG } from '../core/manifest/playlistHashTag';

/** Where the PeerJS server is mounted; browser clients use `{ path: PEERJS_PATH, key: 'peerjs' }`. */
export const PEERJS_PATH = '/peerjs';
/** Where the tracker routes are mounted. */
export const TRACKER_PATH = '/swarmfetch/v1';

/** PeerJS keeps a message for an absent id this long after its queue was made (`expire_timeout`)… */
const PEERJS_EXPIRE_TIMEOUT_MS = 5_000;
/** …checked this often (`cleanup_out_msgs`): a queued message lives at most about the sum. */
const PEERJS_CLEANUP_MS = 1_000;

export interface SwarmServer {
  /** Base URL, e.g. 'http://127.0.0.1:8080' (no trailing slash). */
  url: string;
  /** The port actually listened on (useful with `port: 0`). */
  port: number;
  /** The express app; add routes to it (they come after signalling, tracker and static dirs). */
  app: express.Express;
  httpServer: Server;
  tracker: Tracker;
  /** UDP port of the STUN responder (same number as `port` unless `stunPort` said otherwise); null with `stun: false`. */
  stunPort: number | null;
  /**
   * Closes the listener and every socket, PeerJS websockets and the STUN socket included, and stops every timer (the
   * PeerJS package's too): once it resolves nothing of the server keeps the Node process alive. Idempotent (every
   * call gets the same promise).
   */
  close(): Promise<void>;
}

/**
 * Starts the server; resolves once it listens (TCP, and UDP for STUN). Throws `config-invalid` for bad options, the
 * listen error, or an error saying the STUN port could not be bound (its `code` that of the bind error, e.g.
 * EADDRINUSE) — whatever was opened is closed then.
 */
export async function createSwarmServer(options: Partial<SwarmServerOptions> = {}): Promise<SwarmServer> {
  const config = mergeServerOptions(options);
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const tracker = new Tracker({ maxSwarmsPerPeer: config.maxSwarmsPerPeer });
  const peers = new PeerRegistry();
  const allowed = (origin: string | undefined, host?: string) => isOriginAllowed(origin, config.allowedOrigins, host);
  // the STUN responder and the oracle are made further down; the metrics read them when rendered
  let stun: StunResponder | null = null;
  let oracle: HashOracle | null = null;
  const metrics = serverMetrics({
    peers: () => peers.size, swarms: () => tracker.stats().swarms, oracleFetches: () => oracle?.fetches ?? 0,
    stun: () => stun?.stats ?? null,
  });
  const log = createDropLog(config.log, Date.now, config.logFormat);
  const drop: DropLog = (reason, details) => {
    metrics.drops.inc({ reason, via: typeof details.via === 'string' ? details.via : '' });
    log(reason, details);
  };
  const cluster = config.redisUrl ? createCluster(config, tracker, peers, drop) : null;
  const trust = proxyTrust(config.trustProxy);
  const clientOf = clientOfRequest(trust);
  const guard = new ConnectionGuard(config.maxConnectionsPerIp, drop, (address) => trust(address, 0));
  const rateLimit = trackerRateLimit(
    config.maxTrackerRequestsPerSec, drop, Date.now, clientOf, cluster ? (client) => cluster.rateBudget.take(client) : undefined,
  );
  const absentBudget = new AbsentPeerBudget({
    maxPerClient: config.maxQueuedMessagesPerClient,
    maxTotalBytes: config.maxQueuedBytes,
    // one more check interval of margin for a late timer
    holdMs: PEERJS_EXPIRE_TIMEOUT_MS + 2 * PEERJS_CLEANUP_MS,
  });

  // Every socket, upgraded ones included, so close() can end them all at once; each counted against its client (a
  // trusted proxy's at its websocket upgrade, see ConnectionGuard).
  const sockets = new Set<Socket>();
  httpServer.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    guard.admit(socket);
  });
  app.use(guard.middleware);

  let wss: WebSocketServer | null = null;
  // The websocket handshake is where signalling starts: refuse disallowed page origins (401) and connections over
  // the per-client limit (429) there. Each accepted socket is policed before PeerJS reads it (guardSignalling).
  const verifyClient = (info: { origin?: string; req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
    const who = clientOf(info.req);
    if (!allowed(info.origin, info.req.headers.host)) {
      drop('origin-refused', { ...clientFields(who), via: 'signalling', origin: String(info.origin).slice(0, 100) });
      return done(false, 401, 'origin-refused');
    }
    if (!guard.admitUpgrade(info.req.socket, who)) return done(false, 429, 'too-many-connections');
    done(true);
  };
  const createWebSocketServer = (wsOptions: ServerOptions): WebSocketServer => {
    const server = new WebSocketServer({ ...wsOptions, maxPayload: config.maxMessageBytes, verifyClient });
    server.on('connection', (socket, req) =>
      guardSignalling(socket, req, {
        maxMessagesPerSec: config.maxMessagesPerSec, drop, isConnected: (id) => peers.has(id), absentBudget, who: clientOf(req),
        // only from the socket PeerJS took for its id (not one it refused), to the node holding the other id
        ...(cluster ? {
          relay: (src, m) => {
            if (peers.owns(src, socket)) cluster.forward({ type: m.type, src, dst: m.dst, payload: m.payload });
          },
        } : {}),
      }),
    );
    return (wss = server);
  };

  const peerServer = ExpressPeerServer(httpServer, {
    path: '/',
    key: 'peerjs',
    allow_discovery: false,
    concurrent_limit: config.maxPeers,
    expire_timeout: PEERJS_EXPIRE_TIMEOUT_MS,
    cleanup_out_msgs: PEERJS_CLEANUP_MS,
    corsOptions: {
      origin: (origin: string | undefined, done: (err: Error | null, allow?: boolean) => void) => done(null, allowed(origin)),
    },
    createWebSocketServer,
  });
  peerServer.on('connection', (client) => {
    peers.add(client);
    cluster?.connected(client.getId(), client.getToken());
    metrics.peerConnections.inc();
  });
  peerServer.on('disconnect', (client) => {
    if (!peers.remove(client)) return;
    if (cluster) cluster.disconnected(client.getId());
    else tracker.remove(client.getId());
  });
  // a peer's tokens: its own node's registry first, then (in a cluster) Redis, for peers connected to other nodes
  const verify = (peerId: string, token: string): boolean | Promise<boolean> =>
    peers.verify(peerId, token) || (cluster ? cluster.verify(peerId, token) : false);
  const verifier = { verify, get size() { return peers.size; } };
  // Socket errors of single clients; the PeerJS server already drops such clients. Without a listener they would throw.
  peerServer.on('error', () => {});

  oracle =
    config.hashOrigins.length > 0
      ? new HashOracle({
          origins: config.hashOrigins,
          maxBytes: config.hashMaxBytes,
          timeoutMs: config.hashTimeoutMs,
          segmentPattern: config.hashSegmentPattern,
          minRangeBytes: config.hashMinRangeBytes,
          maxFetchesPerClient: config.hashMaxFetchesPerClient,
        })
      : null;
  // mounted without an oracle too: it answers 404 no-oracle then
  app.use(
    `${TRACKER_PATH}/hash`,
    hashRoutes({
      oracle, isOriginAllowed: allowed, originRequired: config.allowedOrigins !== '*', limit: rateLimit.middleware, clientOf, metrics,
    }),
  );
  if (config.metrics) app.get(`${TRACKER_PATH}/metrics`, rateLimit.middleware, metricsHandler(metrics.render));
  // the STUN port is known once bound (after the HTTP listen, for stunPort 0 = the HTTP port): read at each request
  let stunPort: number | null = null;
  const iceSettings = (): IceSettings => ({
    stunPort, iceUrls: config.iceUrls, turnUrls: config.turnUrls, turnSecret: config.turnSecret,
    turnCredentialTtlSec: config.turnCredentialTtlSec,
  });
  app.use(
    TRACKER_PATH,
    trackerRoutes({
      tracker: cluster?.tracker ?? tracker, peers: verifier, peersPerAnswer: config.peersPerAnswer, isOriginAllowed: allowed,
      limit: rateLimit.middleware, metrics, oracle: config.hashOrigins.length > 0,
      ...(cluster ? { cluster: () => cluster.health() } : {}),
      ...(config.metrics ? { beacon: beaconRoute({ peers: verifier, metrics }) } : {}),
      ice: {
        stun: config.stun || config.iceUrls.length > 0,
        turn: config.turnUrls.length > 0,
        answer: (ask) => iceAnswer(iceSettings(), ask),
      },
    }),
  );
  // PeerJS starts its housekeeping timers (message expiry, broken-connection checks) when mounted and re-arms them
  // from their own callbacks forever, never handing them out: held here so that close() stops them.
  // Mounted with its realm's getClientsIds() made O(1): PeerJS calls it at every connection (see patchPeerRealm).
  const peerTimers = captureTimers(() => void patchPeerRealm(() => app.use(PEERJS_PATH, peerServer), () => wss));
  for (const { urlPath, dir } of config.static) app.use(urlPath, express.static(dir));

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      // first out of the cluster (its key deleted: other nodes stop relaying to it at once), then the sockets
      const leaving = cluster?.close() ?? Promise.resolve();
      rateLimit.destroy();
      peerTimers.stop();
      oracle?.close();
      const ws = wss as WebSocketServer | null;
      for (const client of ws?.clients ?? []) client.terminate();
      ws?.close();
      const udp = stun?.close();
      httpServer.close(() => void Promise.all([udp, leaving]).then(() => resolve()));
      for (const socket of sockets) socket.destroy();
    }));

  try {
    await listen(httpServer, config.port, config.host);
  } catch (err) {
    await close();
    throw err;
  }
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  if (config.stun) {
    // on the address the HTTP server bound (a name like 'localhost' resolved once, to the same family)
    const stunHost = typeof address === 'object' && address ? address.address : config.host;
    const udpPort = config.stunPort || port;
    try {
      stun = await StunResponder.listen({ host: stunHost, port: udpPort, drop });
    } catch (err) {
      await close();
      throw stunBindError(err, stunHost, udpPort);
    }
    stunPort = stun.port;
  }
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return { url: `http://${host}:${port}`, port, app, httpServer, tracker, stunPort, close };
}
