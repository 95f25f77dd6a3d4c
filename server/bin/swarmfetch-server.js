#!/usr/bin/env node
// `npx swarmfetch-server --port 8080 --host 127.0.0.1` runs the P2P server, `npx swarmfetch-server hash <media-dir>`
// hashes media — see server/cli.ts. `server` as the first word is accepted too (`swarmfetch-server server --port …`,
// what `swarmfetch server …` used to be), and is what no command means.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
// no arguments, or options first: the server command
const args = argv.length === 0 || argv[0].startsWith('-') ? ['server', ...argv] : argv;
const help = args.includes('--help') || args.includes('-h') || args[0] === 'help';
if (!help && (args.includes('--version') || args[0] === 'version')) {
  // this package's version, without loading the CLI
  console.log(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
} else {
  import('../dist/cli.js').then(
    (cli) => cli.run(args),
    (err) => {
      console.error(`swarmfetch-server: cannot load dist/cli.js (${err instanceof Error ? err.message : err})`);
      console.error('  in a clone of the repository, build it first: npm run build');
      process.exit(1);
    },
  );
}
