// Builds every file users get into dist/ with esbuild, then the type declarations with tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const prod = { 'process.env.NODE_ENV': '"production"' };
const browser = { bundle: true, minify: true, sourcemap: true, target: 'es2022', define: prod, legalComments: 'none' };

rmSync('dist', { recursive: true, force: true });
await Promise.all([
  // the drop-in page script: PeerJS and Comlink bundled in
  build({ ...browser, entryPoints: ['client/dropin.ts'], outfile: 'dist/swarmfetch.js', format: 'iife' }),
  // the service worker: a classic script, so a site can importScripts() it
  build({ ...browser, entryPoints: ['sw/dropin.ts'], outfile: 'dist/swarmfetch-sw.js', format: 'iife' }),
  // ESM entries for npm users (dependencies stay external)
  build({
    bundle: true, sourcemap: true, target: 'es2022', format: 'esm', packages: 'external',
    entryPoints: { index: 'client/index.ts', sw: 'sw/index.ts' }, outdir: 'dist/esm',
  }),
  build({
    bundle: true, sourcemap: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external',
    entryPoints: { server: 'server/index.ts', cli: 'server/cli.ts' }, outdir: 'dist/esm', splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  }),
]);
execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
console.log('built dist/');
