import { NUMBER_OPTION_BOUNDS, type SwarmServerOptions } from './SwarmServerOptions';

/** How a flag's value is read. */
export type Flag =
  /** A whole number from min to max. */
  | { kind: 'number'; option: keyof SwarmServerOptions; min: number; max: number; placeholder: string }
  /** A non-empty string. */
  | { kind: 'string'; option: keyof SwarmServerOptions; placeholder: string }
  /** Comma-separated entries; repeatable, the entries of every use add up. */
  | { kind: 'list'; option: keyof SwarmServerOptions; placeholder: string }
  /** One of `choices`. */
  | { kind: 'choice'; option: keyof SwarmServerOptions; choices: readonly string[]; placeholder: string }
  /** No value: sets `option` to `value`. */
  | { kind: 'switch'; option: keyof SwarmServerOptions; value: boolean }
  /** Read by its own rule (`--static /url/path=DIR`, `--trust-proxy`); repeatable. */
  | { kind: 'special'; option: keyof SwarmServerOptions; placeholder: string };

/** Hash command flags: not server options. */
export type HashFlag = { kind: 'string'; placeholder: string } | { kind: 'switch' };

type NumberOption = keyof typeof NUMBER_OPTION_BOUNDS;
const count = (option: NumberOption, placeholder = 'N'): Flag => {
  const [min, max] = NUMBER_OPTION_BOUNDS[option];
  return { kind: 'number', option, min, max, placeholder };
};
const PORT_RANGE = { min: 0, max: 65535, placeholder: 'N' } as const;

/** The flags of `swarmfetch server`, by name (without `--`). */
export const SERVER_FLAGS: Readonly<Record<string, Flag>> = Object.freeze({
  port: { kind: 'number', option: 'port', ...PORT_RANGE },
  host: { kind: 'string', option: 'host', placeholder: 'ADDR' },
  'allow-origin': { kind: 'list', option: 'allowedOrigins', placeholder: 'O1,O2' },
  static: { kind: 'special', option: 'static', placeholder: '/url/path=DIR' },
  'max-swarms-per-peer': count('maxSwarmsPerPeer'),
  'peers-per-answer': count('peersPerAnswer'),
  'hash-origin': { kind: 'list', option: 'hashOrigins', placeholder: 'O1,O2' },
  'hash-max-bytes': count('hashMaxBytes'),
  'hash-timeout-ms': count('hashTimeoutMs'),
  'hash-segment-pattern': { kind: 'string', option: 'hashSegmentPattern', placeholder: 'REGEX' },
  'hash-min-range-bytes': count('hashMinRangeBytes'),
  'hash-max-fetches-per-client': count('hashMaxFetchesPerClient'),
  'stun-port': { kind: 'number', option: 'stunPort', ...PORT_RANGE },
  'no-stun': { kind: 'switch', option: 'stun', value: false },
  'ice-url': { kind: 'list', option: 'iceUrls', placeholder: 'U1,U2' },
  'turn-url': { kind: 'list', option: 'turnUrls', placeholder: 'U1,U2' },
  'turn-secret': { kind: 'string', option: 'turnSecret', placeholder: 'S' },
  'turn-ttl-sec': count('turnCredentialTtlSec'),
  'max-peers': count('maxPeers'),
  'max-connections-per-ip': count('maxConnectionsPerIp'),
  'max-message-bytes': count('maxMessageBytes'),
  'max-messages-per-sec': count('maxMessagesPerSec'),
  'max-tracker-requests-per-sec': count('maxTrackerRequestsPerSec'),
  'max-queued-messages-per-client': count('maxQueuedMessagesPerClient'),
  'max-queued-bytes': count('maxQueuedBytes'),
  'trust-proxy': { kind: 'special', option: 'trustProxy', placeholder: 'HOPS|CIDR,…' },
  metrics: { kind: 'switch', option: 'metrics', value: true },
  'redis-url': { kind: 'string', option: 'redisUrl', placeholder: 'URL' },
  'redis-prefix': { kind: 'string', option: 'redisPrefix', placeholder: 'P' },
  'node-id': { kind: 'string', option: 'nodeId', placeholder: 'ID' },
  'peer-ttl-ms': count('peerTtlMs'),
  'log-format': { kind: 'choice', option: 'logFormat', choices: ['text', 'json'], placeholder: 'text|json' },
});

/** The flags of `swarmfetch hash <media-dir>`. */
export const HASH_FLAGS: Readonly<Record<string, HashFlag>> = Object.freeze({
  out: { kind: 'string', placeholder: 'FILE' },
  pattern: { kind: 'string', placeholder: 'REGEX' },
  playlists: { kind: 'switch' },
});

/** The flag (`--name`) that sets server option `key`; null for options the command line does not set (`log`). */
export function flagOfOption(key: string): string | null {
  const name = Object.keys(SERVER_FLAGS).find((n) => SERVER_FLAGS[n]?.option === key);
  return name === undefined ? null : `--${name}`;
}
