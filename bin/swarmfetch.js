#!/usr/bin/env node
// `npx swarmfetch server --port 8080 --host 127.0.0.1`, `npx swarmfetch hash <media-dir>` — see server/cli.ts
import('../dist/esm/cli.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
