import { DEFAULT_SEGMENT_PATTERN } from '../core/contract';

/** A directory served as static files under a URL path. */
export interface StaticDir {
  /** URL path prefix, starting with '/', e.g. '/media'. */
  urlPath: string;
  /** Directory on disk. */
  dir: string;
}

/** Options of the P2P server (PeerJS signalling + swarm tracker). */
export interface SwarmServerOptions {
  /** TCP port; 0 = any free port. @default 8080 */
  port: number;
  /** Address to listen on. @default '127.0.0.1' */
  host: string;
  /**
   * Page origins that may use signalling and the tracker, e.g. ['https://a.example'], or '*' for any.
   * Pages served by this server itself are always allowed, and so are requests without an Origin header. @default '*'
   */
  allowedOrigins: readonly string[] | '*';
  /** Extra static directories (the demo's page and media). @default [] */
  static: readonly StaticDir[];
  /** Most swarms one peer is in at once; one more drops its least recently joined. @default 32 (clamped 1–1024) */
  maxSwarmsPerPeer: number;
  /** Most peer ids in one join answer. @default 10 (clamped 1–50) */
  peersPerAnswer: number;
  /** Most peers connected to signalling at once; one more is refused (PeerJS CONNECTION_LIMIT_EXCEED). @default 5000 (clamped 1–1000000) */
  maxPeers: number;
  /**
   * Most TCP connections (signalling websockets and tracker HTTP) from one client at once — an IPv4 address or an
   * IPv6 /64 —; one more is answered 429 too-many-connections and closed. Connections from a trusted proxy
   * (`trustProxy`) are not counted themselves: each signalling websocket upgraded through one counts against its
   * forwarded client instead. @default 64 (clamped 1–100000)
   */
  maxConnectionsPerIp: number;
  /** Largest signalling websocket message; a larger one closes that socket (1009). @default 65536 (clamped 1024–1048576) */
  maxMessageBytes: number;
  /** Signalling messages per second one websocket may send (bursts of one second's worth); faster closes it (1008 rate-exceeded). @default 50 (clamped 1–10000) */
  maxMessagesPerSec: number;
  /** Tracker and oracle requests per second from one client (IPv4 address or IPv6 /64; bursts of one second's worth); faster is answered 429 rate-exceeded. @default 50 (clamped 1–100000) */
  maxTrackerRequestsPerSec: number;
  /**
   * Signalling messages (OFFER/ANSWER/CANDIDATE) one client (IPv4 address or IPv6 /64) may have queued at once for
   * peer ids that are not connected (PeerJS keeps them ~5 s for the id to connect); past it a message is dropped and
   * its sender gets EXPIRE. 0 = queue nothing. @default 16 (clamped 0–1000)
   */
  maxQueuedMessagesPerClient: number;
  /** Bytes of such queued messages over all clients (each counted with 1 KiB of overhead). @default 4 MiB (clamped 0–256 MiB) */
  maxQueuedBytes: number;
  /** Where a dropped connection's reason is written (one line each, at most 20 lines a second). @default console.warn */
  log: (line: string) => void;
  /**
   * Format of those lines: 'text' (`swarmfetch server: dropped (reason) key=value …`) or 'json' (one JSON object
   * per line: `{"time","level","msg":"dropped","reason",…}`). @default 'text'
   */
  logFormat: 'text' | 'json';
  /**
   * Which proxies in front of the server to believe about the client's address (`X-Forwarded-For`), for every
   * per-client limit but STUN's (UDP does not pass a proxy): a number of hops (1 = the peer of every TCP connection is
   * a proxy — only when the server cannot be reached but through it), or the proxies' addresses and CIDR ranges,
   * `'loopback'` for 127.0.0.0/8 and ::1, e.g. ['10.0.0.0/8']. The client of a request from a trusted proxy is the
   * right-most X-Forwarded-For entry that is not itself a trusted proxy (entries to its left, which the client may
   * have written, are never read); a malformed entry on the way, or all of the last 4 KiB or 32 hops trusted, leaves
   * the proxy's own address. Connections from a trusted proxy are not counted per connection (one proxy connection
   * carries many clients' requests): each signalling websocket upgraded through one counts against its forwarded
   * client. @default 0 = trust nothing: the client is the peer of the TCP connection
   */
  trustProxy: number | readonly string[];
  /**
   * Answer `GET /swarmfetch/v1/metrics` in the Prometheus text format, to requests without an Origin header (a
   * scraper; a page of any site is refused 403), and take pages' offload beacons (`POST /swarmfetch/v1/beacon`, see
   * beaconRoute; 404 while off). Off by default: it tells whoever can reach the server its audience and what it
   * refuses. @default false
   */
  metrics: boolean;
  /**
   * Origins the hash oracle (`GET /swarmfetch/v1/hash?url=…`) may fetch segments from to hash them, e.g.
   * ['https://cdn.example']; nothing outside this list is ever fetched. @default [] = no oracle
   */
  hashOrigins: readonly string[];
  /** Largest segment or range the oracle hashes. @default 32 MiB (clamped 64 KiB–256 MiB) */
  hashMaxBytes: number;
  /** Deadline of one oracle fetch. @default 10000 (clamped 500–60000) */
  hashTimeoutMs: number;
  /**
   * Regular expression (source, case-insensitive, on the URL path) of the URLs the oracle hashes: the pages'
   * `segmentPattern`; anything else is 403 not-allowed, never fetched. @default the client's default segment pattern
   */
  hashSegmentPattern: string;
  /** Smallest byte range the oracle hashes; smaller is 400 bad-request, never fetched. @default 16384 (clamped 4096–1048576) */
  hashMinRangeBytes: number;
  /** Oracle fetches from the origin one client (IPv4 address or IPv6 /64) may have under way; more are 503 busy. @default 2 (clamped 1–64) */
  hashMaxFetchesPerClient: number;
  /**
   * Answer STUN Binding requests (RFC 5389) on UDP at `host`, port `stunPort`, so pages learn their public address
   * (their server-reflexive ICE candidate) from this server rather than from a third party's STUN server; `POST
   * /swarmfetch/v1/ice` then hands pages `stun:<the host name they reached this server by>:<stunPort>`. @default true
   */
  stun: boolean;
  /** UDP port of the STUN responder; 0 = the number of the TCP port actually listened on (with `port: 0` too). @default 0 */
  stunPort: number;
  /**
   * STUN URLs (`stun:host[:port]` or `stuns:…`) `/ice` hands pages instead of this server's own responder: for a
   * server behind a proxy that does not pass its UDP, or another STUN server. At most 4. @default [] = this server's
   * own when `stun` is on
   */
  iceUrls: readonly string[];
  /**
   * TURN URLs (`turn:host[:port][?transport=udp|tcp]` or `turns:…`) of a TURN server sharing `turnSecret`, e.g.
   * ['turn:turn.example.com:3478?transport=udp']; `/ice` hands each connected peer credentials for them. At most 4;
   * needs `turnSecret`. @default [] = no TURN
   */
  turnUrls: readonly string[];
  /**
   * The TURN server's shared secret (coturn: `use-auth-secret` with `static-auth-secret`), 16–1024 characters; signs
   * short-lived credentials (username `<expiry unix seconds>:<peer id>`, password base64 HMAC-SHA1). Needs
   * `turnUrls`. @default '' = no TURN
   */
  turnSecret: string;
  /** Lifetime of the TURN credentials `/ice` hands out, in seconds. @default 3600 (clamped 60–86400) */
  turnCredentialTtlSec: number;
  /**
   * A Redis shared by several nodes (`redis://[user:password@]host:port[/db]` or `rediss://…`): peer registry,
   * swarm membership and per-client tracker budgets live there, and signalling for a peer of another node is relayed
   * through it, so any node answers any tracker request (see docs/scale-out.md). Redis away is never fatal: a node
   * then serves the peers it holds. @default '' = one node, everything in this process
   */
  redisUrl: string;
  /** Prefix of every Redis key and channel (deployments sharing a Redis use different ones). @default 'swarmfetch:' */
  redisPrefix: string;
  /** This node's name in the cluster, 1–64 of `A-Z a-z 0-9 . _ -`, unique among the nodes. @default '' = random at start */
  nodeId: string;
  /**
   * How long a node's peers stay registered in Redis after its last heartbeat (it beats every third of this): a node
   * that dies loses its peers, and signalling for them stops, within this. @default 15000 (clamped 3000–300000)
   */
  peerTtlMs: number;
}

export const DEFAULT_SERVER_OPTIONS: Readonly<SwarmServerOptions> = Object.freeze({
  port: 8080,
  host: '127.0.0.1',
  allowedOrigins: '*',
  static: Object.freeze([]),
  maxSwarmsPerPeer: 32,
  peersPerAnswer: 10,
  maxPeers: 5000,
  maxConnectionsPerIp: 64,
  maxMessageBytes: 64 * 1024,
  maxMessagesPerSec: 50,
  maxTrackerRequestsPerSec: 50,
  maxQueuedMessagesPerClient: 16,
  maxQueuedBytes: 4 * 1024 * 1024,
  log: (line: string) => console.warn(line),
  logFormat: 'text',
  trustProxy: 0,
  metrics: false,
  hashOrigins: Object.freeze([]),
  hashMaxBytes: 32 * 1024 * 1024,
  hashTimeoutMs: 10_000,
  hashSegmentPattern: DEFAULT_SEGMENT_PATTERN,
  hashMinRangeBytes: 16 * 1024,
  hashMaxFetchesPerClient: 2,
  stun: true,
  stunPort: 0,
  iceUrls: Object.freeze([]),
  turnUrls: Object.freeze([]),
  turnSecret: '',
  turnCredentialTtlSec: 3600,
  redisUrl: '',
  redisPrefix: 'swarmfetch:',
  nodeId: '',
  peerTtlMs: 15_000,
});

/** Bounds of the count options: `mergeServerOptions` clamps to them, the command line refuses what is outside. */
export const NUMBER_OPTION_BOUNDS = {
  maxSwarmsPerPeer: [1, 1024],
  peersPerAnswer: [1, 50],
  maxPeers: [1, 1_000_000],
  maxConnectionsPerIp: [1, 100_000],
  maxMessageBytes: [1024, 1024 * 1024],
  maxMessagesPerSec: [1, 10_000],
  maxTrackerRequestsPerSec: [1, 100_000],
  hashMaxBytes: [64 * 1024, 256 * 1024 * 1024],
  hashTimeoutMs: [500, 60_000],
  maxQueuedMessagesPerClient: [0, 1000],
  maxQueuedBytes: [0, 256 * 1024 * 1024],
  hashMinRangeBytes: [4096, 1024 * 1024],
  hashMaxFetchesPerClient: [1, 64],
  turnCredentialTtlSec: [60, 86_400],
  peerTtlMs: [3_000, 300_000],
} as const;
