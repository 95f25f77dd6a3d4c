// Builds every file users get into dist/ with esbuild, then the type declarations with tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { peerjsTrim } from './peerjsTrim.mjs';

const prod = { 'process.env.NODE_ENV': '"production"' };
// The bundled libraries' licences (MIT: peerjs, workbox-core, eventemitter3; Apache-2.0: comlink) require their
// notices to go with every copy. Most carry no licence comment esbuild could keep, so the build writes each
// bundle's notices file (`<bundle>.LICENSE.txt`: every bundled package's LICENSE, found from the metafile) and a
// one-line pointer at the top of the bundle.
const browser = { bundle: true, minify: true, sourcemap: true, target: 'es2022', define: prod, legalComments: 'none', metafile: true };
const pointer = (file) => ({ js: `/*! licences: ${file}.LICENSE.txt */` });

rmSync('dist', { recursive: true, force: true });
const [page, worker] = await Promise.all([
  // the drop-in page script: PeerJS and Comlink bundled in
  build({
    ...browser, entryPoints: ['client/dropin.ts'], outfile: 'dist/swarmfetch.js', format: 'iife', banner: pointer('swarmfetch.js'),
    // what of PeerJS never runs here (its other serializations, its level-3 logs): see peerjsTrim.mjs
    plugins: [peerjsTrim],
    // PeerJS only reads browserDetails from webrtc-adapter: a user-agent check stands in for its ~50 KB; and its
    // `binary` serialization, which swarmfetch never uses (it speaks 'raw'), needs binarypack: a stub stands in
    alias: { 'webrtc-adapter': './client/webrtcAdapterShim.ts', 'peerjs-js-binarypack': './client/binarypackShim.ts' },
    // Short names for internal members: PeerJS's (and eventemitter3's) `_underscore` ones, and swarmfetch's own
    // private collaborators listed here — none is API, crosses the port (Comlink), the wire or the page: PeerJS
    // sends only plain `type`/`payload` messages and `__peerData` (two underscores: kept). The two that the tests
    // read in a running page keep theirs. (A name added here must be private in every class that has it.)
    mangleProps:
      /^(_[a-zA-Z].*|deps|limits|handshake|heartbeat|downloads|uploads|haves|discovery|selection|bans|resolver|prefetcher|peerFetch|inflight|usage|probed|probeTimers|emitter|backoff|inFlight|fetchingIgnored|tombstones|assembly|slowStrikes|positions|helloSeen|pingSentAt|prefetching|lastUsed|declaredBytes|totals|relayedGone|readyId|moved|openedAt)$/,
    reserveProps: /^(_connections|_lostMessages)$/,
  }),
  // the service worker: a classic script, so a site can importScripts() it
  build({ ...browser, entryPoints: ['sw/dropin.ts'], outfile: 'dist/swarmfetch-sw.js', format: 'iife', banner: pointer('swarmfetch-sw.js') }),
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
writeLicenses('dist/swarmfetch.js', page.metafile);
writeLicenses('dist/swarmfetch-sw.js', worker.metafile);
execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });

/** `<bundle>.LICENSE.txt`: swarmfetch's licence, then the LICENSE file of every package bundled into `outfile`. */
function writeLicenses(outfile, metafile) {
  const packages = new Set();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m && bytesInOutput > 0) packages.add(m[1]);
    }
  }
  const sections = [`swarmfetch — ${JSON.parse(readFileSync('package.json', 'utf8')).license}\n\n${readFileSync('LICENSE', 'utf8')}`];
  for (const name of [...packages].sort()) {
    const dir = join('node_modules', name);
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    if (!file) throw new Error(`build: ${name} is bundled into ${outfile} but ships no LICENSE file`);
    const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    sections.push(`${name} ${version} — ${license}\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`);
  }
  writeFileSync(`${outfile}.LICENSE.txt`, sections.join(`\n${'-'.repeat(78)}\n\n`));
}
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
