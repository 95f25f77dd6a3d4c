// Builds every file users get into dist/ with esbuild, then the type declarations with tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const prod = { 'process.env.NODE_ENV': '"production"' };
const browser = { bundle: true, minify: true, sourcemap: true, target: 'es2022', define: prod, legalComments: 'none' };

rmSync('dist', { recursive: true, force: true });
await Promise.all([
  // the drop-in page script: PeerJS and Comlink bundled in
  build({
    ...browser, entryPoints: ['client/dropin.ts'], outfile: 'dist/swarmfetch.js', format: 'iife',
    // PeerJS only reads browserDetails from webrtc-adapter: a user-agent check stands in for its ~50 KB
    alias: { 'webrtc-adapter': './client/webrtcAdapterShim.ts' },
  }),
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
addDeclarationExtensions('dist/types');

/**
 * Node's ESM resolution (TypeScript `moduleResolution: node16/nodenext`) wants file extensions in relative
 * imports; the sources use bundler-style ones. Rewrites `'./x'` to `'./x.js'` (or `'./x/index.js'`) in the
 * emitted declarations, so `swarmfetch`, `swarmfetch/sw` and `swarmfetch/server` type-check under any resolution.
 */
function addDeclarationExtensions(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, 'utf8').replace(
      /(from\s+|import\()(['"])(\.{1,2}\/[^'"]*)\2/g,
      (whole, head, quote, spec) => {
        if (/\.(js|mjs|cjs|json)$/.test(spec)) return whole;
        const target = resolve(dirname(file), spec);
        const withExt = existsSync(`${target}.d.ts`) ? `${spec}.js` : existsSync(join(target, 'index.d.ts')) ? `${spec}/index.js` : null;
        return withExt === null ? whole : `${head}${quote}${withExt}${quote}`;
      },
    );
    writeFileSync(file, text);
  }
}
console.log('built dist/');
