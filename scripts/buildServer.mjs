// Builds the swarmfetch-server package (the workspace in server/) into server/dist/: its API (index.js) and its
// command line (cli.js, run by server/bin/swarmfetch-server.js), bundled by esbuild with the core/ files they
// import; express, peer and ws stay external (its dependencies). Then its type declarations with tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addDeclarationExtensions } from './addDeclarationExtensions.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = join(root, 'server');
const out = join(pkgDir, 'dist');

rmSync(out, { recursive: true, force: true });
const { metafile } = await build({
  absWorkingDir: root, bundle: true, sourcemap: true, platform: 'node', target: 'node20', format: 'esm',
  packages: 'external', metafile: true, logLevel: 'warning',
  entryPoints: { index: 'server/index.ts', cli: 'server/cli.ts' }, outdir: out, splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});
checkDependencies(metafile);
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(pkgDir, 'tsconfig.build.json')], { stdio: 'inherit' });
addDeclarationExtensions(join(out, 'types'));
console.log('built server/dist/');

/** Every package the bundle leaves external is one of server/package.json's dependencies (or Node's own). */
function checkDependencies({ outputs }) {
  const { dependencies = {} } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const missing = new Set();
  for (const output of Object.values(outputs)) {
    for (const { path, external } of output.imports) {
      if (!external || isBuiltin(path) || path.startsWith('.')) continue;
      const name = path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0];
      if (!Object.hasOwn(dependencies, name)) missing.add(name);
    }
  }
  if (missing.size) throw new Error(`buildServer: server/dist imports ${[...missing].join(', ')}, not in server/package.json's dependencies`);
}
