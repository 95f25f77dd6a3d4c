/** The `swarmfetch` command line (bin/swarmfetch.js calls main). */
import { createSwarmServer } from './index';
import { annotateMediaPlaylists } from './annotateMediaPlaylists';
import { hashMediaDir } from './hashMediaDir';
import { parseCliArgs, USAGE } from './parseCliArgs';

/** Runs `swarmfetch …`; resolves once the server listens. Stops it cleanly on SIGINT/SIGTERM. */
export async function main(argv: string[]): Promise<void> {
  const parsed = parseCliArgs(argv);
  if (parsed.command === 'help') {
    console.log(USAGE);
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
  console.log(`swarmfetch server listening on ${server.url}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1); // a second signal: do not wait
    stopping = true;
    console.log(`swarmfetch server: ${signal}, closing`);
    // The PeerJS package keeps housekeeping timers alive, so exit explicitly once every socket is closed.
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
