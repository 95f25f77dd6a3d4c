#!/usr/bin/env node
// `npx swarmfetch server --port 8080 --host 127.0.0.1`, `npx swarmfetch hash <media-dir>` — see server/cli.ts
import('../dist/esm/cli.js').then(
  (cli) => cli.run(process.argv.slice(2)),
  (err) => {
    console.error(`swarmfetch: cannot load dist/esm/cli.js (${err instanceof Error ? err.message : err})`);
    console.error('  in a clone of the repository, build it first: npm run build');
    process.exit(1);
  },
);
