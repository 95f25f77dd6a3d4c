/** The `swarmfetch-server` command line (server/bin/swarmfetch-server.js calls run). */
import { createSwarmServer } from './index';
import { annotateMediaPlaylists } from './annotateMediaPlaylists';
import { formatCliError } from './cliError';
import { hashMediaDir } from './hashMediaDir';
import { jsonLogLine } from './jsonLogLine';
import { packageVersion } from './packageVersion';
import { parseCliArgs, USAGE, type CliCommand, type CliEnv } from './parseCliArgs';

export { formatCliError } from './cliError';

type LogFormat = 'text' | 'json';

/**
 * What server/bin/swarmfetch-server.js runs: `main`, and any failure printed to stderr as one line naming what is wrong and a
 * hint (in the `--log-format` of the server command), no stack unless it is a bug; exit code 1 then.
 */
export async function run(argv: string[]): Promise<void> {
  let format: LogFormat = 'text';
  try {
    const parsed = parseCliArgs(argv);
    if (parsed.command === 'server') format = parsed.options.logFormat ?? 'text';
    await execute(parsed, format);
  } catch (err) {
    console.error(formatCliError(err, format));
    process.exit(1);
  }
}

/**
 * Runs `swarmfetch …`; resolves once the server listens (stopping it cleanly on SIGINT/SIGTERM, after which the
 * process exits by itself, code 0). Throws what failed.
 */
export async function main(argv: string[], env?: CliEnv): Promise<void> {
  const parsed = parseCliArgs(argv, env);
  await execute(parsed, parsed.command === 'server' ? (parsed.options.logFormat ?? 'text') : 'text');
}

async function execute(parsed: CliCommand, format: LogFormat): Promise<void> {
  if (parsed.command === 'help') {
    console.log(USAGE);
    return;
  }
  if (parsed.command === 'version') {
    console.log(packageVersion());
    return;
  }
  if (parsed.command === 'hash') {
    const { manifest, path, subdirPaths } = await hashMediaDir(parsed.dir, {
      out: parsed.out ?? undefined, pattern: parsed.pattern ?? undefined,
    });
    const also = subdirPaths.length ? ` (and one per media subdirectory: ${subdirPaths.length})` : '';
    console.log(`swarmfetch: ${Object.keys(manifest.files).length} media files hashed into ${path}${also}`);
    if (parsed.playlists) {
      const written = await annotateMediaPlaylists(parsed.dir, manifest);
      console.log(`swarmfetch: segment hashes written into ${written.length} media playlists`);
    }
    return;
  }
  const server = await createSwarmServer(parsed.options);
  const say = (text: string, msg: string, fields: Record<string, unknown>) => console.log(format === 'json' ? jsonLogLine('info', msg, fields) : text);
  say(`swarmfetch server listening on ${server.url}`, 'listening', { url: server.url, port: server.port, stunPort: server.stunPort });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1); // a second signal: do not wait
    stopping = true;
    say(`swarmfetch server: ${signal}, closing`, 'closing', { signal });
    // close() leaves nothing running: the process exits by itself once it resolves (the listeners go, so a signal
    // after that is the default one again)
    void server.close().then(() => {
      say('swarmfetch server: closed', 'closed', {});
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
