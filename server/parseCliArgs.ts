import { SwarmError } from '../core/SwarmError';
import type { StaticDir, SwarmServerOptions } from './SwarmServerOptions';

export type CliCommand =
  | { command: 'help' }
  | { command: 'server'; options: Partial<SwarmServerOptions> }
  | { command: 'hash'; dir: string; out: string | null; pattern: string | null; playlists: boolean };

export const USAGE = `Usage:
  swarmfetch server [options]   run the P2P server (PeerJS signalling + swarm tracker)
  swarmfetch hash <media-dir>   write <media-dir>/swarmfetch-integrity.json (SHA-256 of every media file)
  swarmfetch --help             show this help

Options of server:
  --port N                      port to listen on, 0 = any (default 8080)
  --host ADDR                   address to listen on (default 127.0.0.1)
  --allow-origin O1,O2          page origins that may use the server (default any); repeatable
  --static /url/path=DIR        also serve the files of DIR under /url/path; repeatable
  --max-swarms-per-peer N       (default 32)
  --peers-per-answer N          peers in one tracker answer, at most 50 (default 10)
  --hash-origin O1,O2           origins the hash oracle may fetch segments from (default none: no oracle)
  --hash-max-bytes N            largest segment the oracle hashes (default 33554432)
  --hash-timeout-ms N           deadline of one oracle fetch (default 10000)
  --hash-segment-pattern REGEX  URL paths the oracle hashes (default the segment pattern: .ts .m4s .mp4 …)
  --hash-min-range-bytes N      smallest byte range the oracle hashes (default 16384)
  --hash-max-fetches-per-client N  oracle fetches one client may have under way (default 2)
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
  --max-message-bytes N         largest signalling message (default 65536)
  --max-messages-per-sec N      signalling messages per second per websocket (default 50)
  --max-tracker-requests-per-sec N  tracker and oracle requests per second per client (default 50)
  --max-queued-messages-per-client N  signalling messages queued for absent peers per client (default 16)
  --max-queued-bytes N          bytes of such queued messages in all (default 4194304)
A client is an IPv4 address or an IPv6 /64.

Options of hash:
  --out FILE                    write the manifest there instead
  --pattern REGEX               media file names (default the segment pattern: .ts .m4s .mp4 .m4v .m4a .aac …)
  --playlists                   also write #EXT-X-SWARMFETCH-SHA256 tags into the HLS media playlists (.m3u8) in place`;

const NUMBER_FLAGS = {
  '--max-peers': 'maxPeers',
  '--max-connections-per-ip': 'maxConnectionsPerIp',
  '--max-message-bytes': 'maxMessageBytes',
  '--max-messages-per-sec': 'maxMessagesPerSec',
  '--max-tracker-requests-per-sec': 'maxTrackerRequestsPerSec',
  '--max-queued-messages-per-client': 'maxQueuedMessagesPerClient',
  '--max-queued-bytes': 'maxQueuedBytes',
  '--hash-min-range-bytes': 'hashMinRangeBytes',
  '--hash-max-fetches-per-client': 'hashMaxFetchesPerClient',
  '--stun-port': 'stunPort',
  '--turn-ttl-sec': 'turnCredentialTtlSec',
} as const;

/** Environment variable read for the TURN secret when --turn-secret is not given. */
const TURN_SECRET_ENV = 'SWARMFETCH_TURN_SECRET';

/** The comma-separated entries of a list flag's value. */
function list(value: string): string[] {
  return value.split(',').map((o) => o.trim()).filter(Boolean);
}

function usageError(message: string, value?: string): never {
  throw new SwarmError('config-invalid', `${message}\n\n${USAGE}`, { value: value ?? null });
}

function toNumber(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) usageError(`${flag} needs a number`, value);
  return n;
}

/**
 * Parses `swarmfetch …` arguments (after the node and script paths); `env` gives SWARMFETCH_TURN_SECRET (a non-empty
 * value is the TURN secret unless --turn-secret is given). Throws `config-invalid` with the usage.
 */
export function parseCliArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): CliCommand {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') return { command: 'help' };
  const [command, ...rest] = argv;
  if (command === 'hash') return parseHashArgs(rest);
  if (command !== 'server') usageError(`unknown command '${command}'`, command);

  const options: Partial<SwarmServerOptions> = {};
  const origins: string[] = [];
  const statics: StaticDir[] = [];
  const hashOrigins: string[] = [];
  const iceUrls: string[] = [];
  const turnUrls: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg === '--no-stun') {
      options.stun = false;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    let value: string | undefined;
    if (flag !== arg) value = arg.slice(eq + 1);
    else if (arg.startsWith('--')) value = rest[++i];
    if (!arg.startsWith('--')) usageError(`unexpected argument '${arg}'`, arg);
    if (value === undefined) usageError(`${flag} needs a value`);
    switch (flag) {
      case '--port':
        options.port = toNumber(flag, value);
        break;
      case '--host':
        options.host = value;
        break;
      case '--allow-origin':
        origins.push(...list(value));
        break;
      case '--static': {
        const sep = value.indexOf('=');
        if (sep <= 0) usageError('--static needs /url/path=DIR', value);
        statics.push({ urlPath: value.slice(0, sep), dir: value.slice(sep + 1) });
        break;
      }
      case '--max-swarms-per-peer':
        options.maxSwarmsPerPeer = toNumber(flag, value);
        break;
      case '--peers-per-answer':
        options.peersPerAnswer = toNumber(flag, value);
        break;
      case '--hash-origin':
        hashOrigins.push(...list(value));
        break;
      case '--hash-max-bytes':
        options.hashMaxBytes = toNumber(flag, value);
        break;
      case '--hash-timeout-ms':
        options.hashTimeoutMs = toNumber(flag, value);
        break;
      case '--hash-segment-pattern':
        options.hashSegmentPattern = value;
        break;
      case '--ice-url':
        iceUrls.push(...list(value));
        break;
      case '--turn-url':
        turnUrls.push(...list(value));
        break;
      case '--turn-secret':
        options.turnSecret = value;
        break;
      default:
        if (!Object.hasOwn(NUMBER_FLAGS, flag)) usageError(`unknown option '${flag}'`, flag);
        options[NUMBER_FLAGS[flag as keyof typeof NUMBER_FLAGS]] = toNumber(flag, value);
    }
  }
  if (origins.length > 0) options.allowedOrigins = origins.includes('*') ? '*' : origins;
  if (statics.length > 0) options.static = statics;
  if (hashOrigins.length > 0) options.hashOrigins = hashOrigins;
  if (iceUrls.length > 0) options.iceUrls = iceUrls;
  if (turnUrls.length > 0) options.turnUrls = turnUrls;
  const envSecret = env[TURN_SECRET_ENV];
  if (options.turnSecret === undefined && envSecret) {
    if (turnUrls.length === 0) usageError(`${TURN_SECRET_ENV} is set: give the TURN server's URLs with --turn-url (or unset it)`);
    options.turnSecret = envSecret;
  }
  return { command: 'server', options };
}

function parseHashArgs(rest: readonly string[]): CliCommand {
  let dir: string | null = null;
  let out: string | null = null;
  let pattern: string | null = null;
  let playlists = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg === '--playlists') playlists = true;
    else if (arg === '--out' || arg === '--pattern') {
      const value = rest[++i];
      if (value === undefined || value === '') usageError(`${arg} needs a value`);
      if (arg === '--out') out = value;
      else pattern = value;
    } else if (arg.startsWith('--')) usageError(`unknown option '${arg}'`, arg);
    else if (dir === null) dir = arg;
    else usageError(`unexpected argument '${arg}'`, arg);
  }
  if (dir === null) usageError('hash needs a media directory');
  if (pattern !== null) {
    try {
      new RegExp(pattern, 'i');
    } catch {
      usageError('--pattern is not a regular expression', pattern);
    }
  }
  return { command: 'hash', dir, out, pattern, playlists };
}
