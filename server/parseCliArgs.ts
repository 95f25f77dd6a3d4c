import { parseArgs } from 'node:util';
import { SwarmError } from '../core/SwarmError';
import { HASH_FLAGS, SERVER_FLAGS, type Flag } from './cliFlags';
import { closeMatches } from './closeMatches';
import { isTrustEntry, MAX_TRUSTED_HOPS } from './proxyTrust';
import { DEFAULT_SERVER_OPTIONS, type StaticDir, type SwarmServerOptions } from './SwarmServerOptions';

export { USAGE } from './cliUsage';

export type CliCommand =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'server'; options: Partial<SwarmServerOptions> }
  | { command: 'hash'; dir: string; out: string | null; pattern: string | null; playlists: boolean };

/** The environment the command line reads. */
export type CliEnv = Readonly<Record<string, string | undefined>>;

/** Environment variable read for the TURN secret when --turn-secret is not given. */
const TURN_SECRET_ENV = 'SWARMFETCH_TURN_SECRET';
/** Environment variable read for the Redis URL when --redis-url is not given (it may hold a password). */
const REDIS_URL_ENV = 'SWARMFETCH_REDIS_URL';
const COMMANDS = ['server', 'hash'] as const;
/** How a command is typed: `swarmfetch-server` (the server, the default command) or `swarmfetch-server hash`. */
const commandName = (command: string): string => (command === 'server' ? 'swarmfetch-server' : `swarmfetch-server ${command}`);
const HELP_HINT = "'swarmfetch-server --help' lists every option";

/** A mistake on the command line: one line saying what is wrong, `hint` what to do (see cliError). */
function usageError(message: string, hint: string, details: { flag?: string; value?: string | undefined } = {}): never {
  throw new SwarmError('config-invalid', message, { ...details, hint });
}

/** One `--flag [value]` as given. */
interface FlagUse<F> {
  /** As written, e.g. '--port'. */
  raw: string;
  flag: F;
  /** Undefined for a switch. */
  value: string | undefined;
}

/**
 * Reads `args` with node:util parseArgs (tokens, not strict, so every mistake is reported here, naming the flag):
 * each flag must be one of `flags`; a flag that takes a value must have one, given as `--flag value` or
 * `--flag=value` (a following argument starting with '-' is taken for a forgotten value, as parseArgs' strict mode
 * does); a switch takes none.
 */
function readArgs<F extends { kind: string }>(
  args: readonly string[],
  command: (typeof COMMANDS)[number],
  flags: Readonly<Record<string, F>>,
  otherFlags: Readonly<Record<string, unknown>>,
): { uses: FlagUse<F>[]; positionals: string[] } {
  const options = Object.fromEntries(
    Object.entries(flags).map(([name, f]) => [name, { type: f.kind === 'switch' ? ('boolean' as const) : ('string' as const) }]),
  );
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const uses: FlagUse<F>[] = [];
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const raw = token.rawName;
    const flag = Object.hasOwn(flags, token.name) ? flags[token.name] : undefined;
    if (!flag) {
      const other = COMMANDS.find((c) => c !== command) as string;
      if (Object.hasOwn(otherFlags, token.name)) {
        usageError(`${raw} is an option of '${commandName(other)}', not of '${commandName(command)}'`, HELP_HINT, { flag: raw });
      }
      const near = closeMatches(token.name, Object.keys(flags)).map((n) => `--${n}`);
      usageError(`unknown option ${raw} for '${commandName(command)}'`, near.length ? `did you mean ${near.join(' or ')}? ${HELP_HINT}` : HELP_HINT, { flag: raw });
    }
    if (flag.kind === 'switch') {
      if (token.inlineValue) usageError(`${raw} takes no value (got '${raw}=${token.value}')`, `write just ${raw}`, { flag: raw });
      uses.push({ raw, flag, value: undefined });
      continue;
    }
    const placeholder = 'placeholder' in flag ? String(flag.placeholder) : 'VALUE';
    const value = token.value;
    if (value === undefined || value === '' || (!token.inlineValue && value.startsWith('-'))) {
      const got = value === undefined ? 'it is the last argument' : value === '' ? 'it is empty' : `'${value}' follows it`;
      usageError(`${raw} needs a value (${got})`, `write ${raw} ${placeholder}, or ${raw}=${placeholder} for a value that starts with '-'`, { flag: raw });
    }
    uses.push({ raw, flag, value });
  }
  return { uses, positionals };
}

/** The comma-separated entries of a list flag's value. */
function list(value: string): string[] {
  return value.split(',').map((o) => o.trim()).filter(Boolean);
}

/** A whole number from `min` to `max`, or an error naming `name` and the range. */
function wholeNumber(name: string, value: string, min: number, max: number, hint: string): number {
  const n = /^\s*[0-9]+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) usageError(`${name} needs a whole number from ${min} to ${max}, not '${value.slice(0, 50)}'`, hint, { flag: name, value });
  return n;
}

/**
 * Parses `swarmfetch …` arguments (after the node and script paths). `env` gives SWARMFETCH_TURN_SECRET (a non-empty
 * value is the TURN secret unless --turn-secret is given), and PORT and HOST (used when --port, --host are not
 * given). Throws `config-invalid` with a one-line message naming the flag and `details.hint` saying what to do.
 */
export function parseCliArgs(argv: readonly string[], env: CliEnv = process.env): CliCommand {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') return { command: 'help' };
  if (argv.includes('--version') || argv[0] === 'version') return { command: 'version' };
  const [command, ...rest] = argv as [string, ...string[]];
  if (command === 'hash') return parseHashArgs(rest);
  if (command === 'server') return { command: 'server', options: parseServerArgs(rest, env) };
  const near = closeMatches(command, COMMANDS);
  usageError(
    `unknown command '${command}'`,
    `${near.length ? `did you mean '${near[0]}'? ` : ''}the commands are 'swarmfetch-server [server]' and 'swarmfetch-server hash <media-dir>'; ${HELP_HINT}`,
    { value: command },
  );
}

function parseServerArgs(args: readonly string[], env: CliEnv): Partial<SwarmServerOptions> {
  const { uses, positionals } = readArgs<Flag>(args, 'server', SERVER_FLAGS, HASH_FLAGS);
  if (positionals.length > 0) {
    usageError(`unexpected argument '${positionals[0]}' for 'swarmfetch-server'`, `options start with --; ${HELP_HINT}`, { value: positionals[0] });
  }
  const options: Record<string, unknown> = {};
  const lists = new Map<keyof SwarmServerOptions, string[]>();
  const statics: StaticDir[] = [];
  const trust: string[] = [];
  for (const { raw, flag, value = '' } of uses) {
    switch (flag.kind) {
      case 'switch':
        options[flag.option] = flag.value;
        break;
      case 'string':
        options[flag.option] = value;
        break;
      case 'number':
        options[flag.option] = wholeNumber(raw, value, flag.min, flag.max, `e.g. ${raw} ${String(DEFAULT_SERVER_OPTIONS[flag.option])} (the default)`);
        break;
      case 'choice':
        if (!flag.choices.includes(value)) usageError(`${raw} must be ${flag.choices.join(' or ')}, not '${value}'`, `e.g. ${raw} ${flag.choices[0]}`, { flag: raw, value });
        options[flag.option] = value;
        break;
      case 'list':
        lists.set(flag.option, [...(lists.get(flag.option) ?? []), ...list(value)]);
        break;
      case 'special':
        if (flag.option === 'static') statics.push(staticDir(raw, value));
        else trust.push(...list(value));
        break;
    }
  }
  for (const [option, entries] of lists) {
    options[option] = option === 'allowedOrigins' && entries.includes('*') ? '*' : entries;
  }
  if (statics.length > 0) options.static = statics;
  if (trust.length > 0) options.trustProxy = trustProxy(trust);
  if (options.port === undefined && env.PORT) {
    options.port = wholeNumber('PORT (from the environment)', env.PORT, 0, 65535, 'fix or unset PORT, or give --port N');
  }
  if (options.host === undefined && env.HOST?.trim()) options.host = env.HOST.trim();
  const envSecret = env[TURN_SECRET_ENV];
  if (options.turnSecret === undefined && envSecret) {
    if (!lists.has('turnUrls')) {
      usageError(`${TURN_SECRET_ENV} is set but no TURN server is given`, `give the TURN server's URLs with --turn-url (or unset ${TURN_SECRET_ENV})`);
    }
    options.turnSecret = envSecret;
  }
  const envRedis = env[REDIS_URL_ENV]?.trim();
  if (options.redisUrl === undefined && envRedis) options.redisUrl = envRedis;
  return options as Partial<SwarmServerOptions>;
}

function staticDir(raw: string, value: string): StaticDir {
  const sep = value.indexOf('=');
  if (sep <= 0 || !value.startsWith('/') || sep === value.length - 1) {
    usageError(`${raw} needs /url/path=DIR, not '${value}'`, `e.g. ${raw} /media=./media`, { flag: raw, value });
  }
  return { urlPath: value.slice(0, sep), dir: value.slice(sep + 1) };
}

/** `--trust-proxy` entries: one number of hops, or addresses and ranges. */
function trustProxy(entries: readonly string[]): number | string[] {
  const hint = `e.g. --trust-proxy 1 (one proxy in front), --trust-proxy 10.0.0.0/8,fd00::/8 or --trust-proxy loopback`;
  const numbers = entries.filter((e) => /^[0-9]+$/.test(e));
  if (numbers.length > 0) {
    if (entries.length > 1) usageError(`--trust-proxy takes one number of hops or a list of proxy addresses, not both ('${entries.join(',')}')`, hint, { flag: '--trust-proxy' });
    return wholeNumber('--trust-proxy', entries[0] as string, 0, MAX_TRUSTED_HOPS, hint);
  }
  const bad = entries.find((e) => !isTrustEntry(e));
  if (bad !== undefined) {
    usageError(`--trust-proxy needs a number of hops (0–${MAX_TRUSTED_HOPS}), IP addresses, CIDR ranges or 'loopback', not '${bad}'`, hint, { flag: '--trust-proxy', value: bad });
  }
  return [...entries];
}

function parseHashArgs(args: readonly string[]): CliCommand {
  const { uses, positionals } = readArgs(args, 'hash', HASH_FLAGS, SERVER_FLAGS);
  const usage = 'swarmfetch-server hash <media-dir> [--out FILE] [--pattern REGEX] [--playlists]';
  if (positionals.length === 0) usageError('hash needs a media directory', usage);
  if (positionals.length > 1) usageError(`unexpected argument '${positionals[1]}': hash takes one media directory`, usage, { value: positionals[1] });
  // given twice, the last one counts
  const value = (name: string) => [...uses].reverse().find((u) => u.raw === `--${name}`)?.value ?? null;
  const pattern = value('pattern');
  if (pattern !== null) {
    try {
      new RegExp(pattern, 'i');
    } catch (err) {
      usageError(`--pattern is not a regular expression: '${pattern}' (${(err as Error).message})`, String.raw`e.g. --pattern '\.(ts|m4s)$'`, { flag: '--pattern', value: pattern });
    }
  }
  return { command: 'hash', dir: positionals[0] as string, out: value('out'), pattern, playlists: uses.some((u) => u.raw === '--playlists') };
}
