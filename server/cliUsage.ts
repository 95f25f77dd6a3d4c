/** `swarmfetch-server --help`. */
export const USAGE = `Usage:
  swarmfetch-server [server] [options]  run the P2P server (PeerJS signalling + swarm tracker + STUN)
  swarmfetch-server hash <media-dir>    write <media-dir>/swarmfetch-integrity.json (SHA-256 of every media file)
  swarmfetch-server --help              show this help
  swarmfetch-server --version           print the version

Options of server (--flag value or --flag=value):
  --port N                      port to listen on, 0 = any (default: $PORT, else 8080)
  --host ADDR                   address to listen on (default: $HOST, else 127.0.0.1)
  --allow-origin O1,O2          page origins that may use the server (default any); repeatable
  --static /url/path=DIR        also serve the files of DIR under /url/path; repeatable
  --max-swarms-per-peer N       (default 32, 1–1024)
  --peers-per-answer N          peers in one tracker answer (default 10, 1–50)
  --hash-origin O1,O2           origins the hash oracle may fetch segments from (default none: no oracle); repeatable
  --hash-max-bytes N            largest segment the oracle hashes (default 33554432)
  --hash-timeout-ms N           deadline of one oracle fetch (default 10000, 500–60000)
  --hash-segment-pattern REGEX  URL paths the oracle hashes (default the segment pattern: .ts .m4s .mp4 …)
  --hash-min-range-bytes N      smallest byte range the oracle hashes (default 16384)
  --hash-max-fetches-per-client N  oracle fetches one client may have under way (default 2, 1–64)
Behind a reverse proxy, operations:
  --trust-proxy HOPS|CIDR,…     believe X-Forwarded-For from these proxies: a number of hops (1 = every connection
                                comes through one proxy), or proxy addresses / CIDR ranges / loopback; repeatable
                                (default: trust nothing, the client is the connection's peer)
  --metrics                     answer GET /swarmfetch/v1/metrics (Prometheus text format) to scrapers, and take
                                pages' offload beacons (POST /swarmfetch/v1/beacon) (default off)
  --log-format text|json        drop log and start/stop lines as text (default) or one JSON object per line
Scale-out (several nodes sharing one Redis; see docs/scale-out.md):
  --redis-url URL               redis://host:6379 (or rediss://…): peers, swarms and budgets shared by every node,
                                signalling relayed between nodes (default none: one node); better in the
                                environment when it holds a password: SWARMFETCH_REDIS_URL=URL
  --redis-prefix P              prefix of every Redis key and channel (default swarmfetch:)
  --node-id ID                  this node's name, unique in the cluster (default random at start)
  --peer-ttl-ms N               a dead node's peers are forgotten within this (default 15000, 3000–300000)
NAT traversal (pages get their ICE servers from POST /swarmfetch/v1/ice):
  --stun-port N                 UDP port of the built-in STUN responder (default: the same number as --port)
  --no-stun                     run no STUN responder
  --ice-url U1,U2               STUN URLs handed to pages instead of the built-in one, e.g. stun:stun.example.com:3478
  --turn-url U1,U2              TURN URLs, e.g. turn:turn.example.com:3478?transport=udp (needs --turn-secret)
  --turn-secret S               the TURN server's shared secret (coturn static-auth-secret), at least 16 characters;
                                better in the environment: SWARMFETCH_TURN_SECRET=S (not visible in ps)
  --turn-ttl-sec N              lifetime of the TURN credentials handed out (default 3600, 60–86400)
Limits (exceeding one drops that connection or request, with a logged reason):
  --max-peers N                 peers connected to signalling at once (default 5000)
  --max-connections-per-ip N    TCP connections from one client, websockets and HTTP (default 64)
  --max-message-bytes N         largest signalling message (default 65536, 1024–1048576)
  --max-messages-per-sec N      signalling messages per second per websocket (default 50)
  --max-tracker-requests-per-sec N  tracker and oracle requests per second per client (default 50)
  --max-queued-messages-per-client N  signalling messages queued for absent peers per client (default 16, 0–1000)
  --max-queued-bytes N          bytes of such queued messages in all (default 4194304)
A client is an IPv4 address or an IPv6 /64 (behind --trust-proxy: the one the proxy forwarded).

Options of hash:
  --out FILE                    write the manifest there instead
  --pattern REGEX               media file names (default the segment pattern: .ts .m4s .mp4 .m4v .m4a .aac …)
  --playlists                   also write #EXT-X-SWARMFETCH-SHA256 tags into the HLS media playlists (.m3u8) in place`;
