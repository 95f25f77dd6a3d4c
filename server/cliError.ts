import { SwarmError } from '../core/SwarmError';
import { flagOfOption } from './cliFlags';
import { jsonLogLine } from './jsonLogLine';

/** A failed `swarmfetch …` as the person who typed it needs it. */
export interface CliErrorReport {
  /** One line: what is wrong, naming the flag, port or path. */
  message: string;
  /** What to do about it; null when there is nothing to add. */
  hint: string | null;
  /** The stack, only for what is not the user's mistake nor the machine's state (a bug). */
  stack: string | null;
}

type SystemError = Error & { code?: unknown; syscall?: unknown; address?: unknown; port?: unknown; path?: unknown };

const HELP_HINT = "'swarmfetch-server --help' lists every option";

/**
 * Explains an error of the command line: a `config-invalid` SwarmError (a flag, or a server option named by its
 * flag), a listen or bind error (port taken, not permitted, address not here: which port, and which flag changes
 * it), a missing or unreadable path; anything else is a bug and keeps its stack.
 */
export function describeCliError(err: unknown, cwd: string = process.cwd()): CliErrorReport {
  const relative = `relative paths start at the current directory, ${cwd}`;
  if (SwarmError.is(err)) {
    let message = err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;
    let hint = typeof err.details.hint === 'string' ? err.details.hint : null;
    const key = typeof err.details.key === 'string' ? err.details.key : null;
    const flag = key === null ? null : flagOfOption(key);
    if (key !== null && flag !== null && message.startsWith(`${key} `)) {
      const value = err.details.value;
      message = `${flag}: ${message.slice(key.length + 1)}`;
      if (typeof value === 'string' && value !== '' && !message.includes(value)) message += ` (got '${value}')`;
      hint ??= key === 'static' ? relative : HELP_HINT;
    }
    return { message, hint, stack: null };
  }
  const e = err instanceof Error ? (err as SystemError) : null;
  if (!e || typeof e.code !== 'string') {
    return { message: `internal error: ${e?.message ?? String(err)}`, hint: 'please report it with the lines below', stack: e?.stack ?? null };
  }
  const where = `port ${String(e.port)} on ${String(e.address)}`;
  if (e.syscall === 'listen') {
    if (e.code === 'EADDRINUSE') return report(`TCP ${where} is already in use`, 'another program listens there: stop it, or choose another port with --port N (0 = any free port)');
    if (e.code === 'EACCES') return report(`no permission to listen on TCP ${where}`, 'ports below 1024 need privileges: use --port 8080 (or another above 1023) behind a reverse proxy');
    if (e.code === 'EADDRNOTAVAIL') return report(`cannot listen on ${String(e.address)}: not an address of this machine`, '--host 127.0.0.1 for this machine only, --host 0.0.0.0 for every interface');
  }
  if (e.syscall === 'bind') {
    const fix = 'choose a free UDP port for the STUN responder with --stun-port N, or run without it: --no-stun';
    if (e.code === 'EADDRINUSE') return report(`UDP ${where} (the STUN responder, on the HTTP port's number by default) is already in use`, fix);
    return report(`cannot bind the STUN responder to UDP ${where} (${e.code})`, fix);
  }
  const path = typeof e.path === 'string' ? e.path : null;
  if (path !== null) {
    if (e.code === 'ENOENT') return report(`no such ${e.syscall === 'scandir' ? 'directory' : 'file or directory'}: ${path}`, relative);
    if (e.code === 'ENOTDIR') return report(`not a directory: ${path}`, relative);
    if (e.code === 'EACCES' || e.code === 'EPERM') return report(`permission denied: ${path}`, null);
  }
  return report(e.message, null);
}

function report(message: string, hint: string | null): CliErrorReport {
  return { message, hint, stack: null };
}

/** The report as printed: `swarmfetch: message`, the hint indented below (then the stack of a bug); or one JSON line. */
export function formatCliError(err: unknown, format: 'text' | 'json' = 'text', cwd?: string): string {
  const { message, hint, stack } = describeCliError(err, cwd);
  if (format === 'json') return jsonLogLine('error', message, { ...(hint !== null ? { hint } : {}), ...(stack !== null ? { stack } : {}) });
  return [`swarmfetch: ${message}`, ...(hint !== null ? [`  ${hint}`] : []), ...(stack !== null ? [stack] : [])].join('\n');
}
