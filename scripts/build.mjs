// Builds the swarmfetch package (page agent, worker, drop-in files) into dist/ with esbuild, then its type
// declarations with tsc. The swarmfetch-server package (server/) is scripts/buildServer.mjs's.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addDeclarationExtensions } from './addDeclarationExtensions.mjs';
import { peerjsTrim } from './peerjsTrim.mjs';

const prod = { 'process.env.NODE_ENV': '"production"' };
// The bundled libraries' licences (MIT: peerjs, workbox-core; Apache-2.0: comlink) require their
// notices to go with every copy. Most carry no licence comment esbuild could keep, so the build writes each
// bundle's notices file (`<bundle>.LICENSE.txt`: every bundled package's LICENSE, found from the metafile) and a
// one-line pointer at the top of the bundle.
const browser = { bundle: true, minify: true, sourcemap: true, target: 'es2022', define: prod, legalComments: 'none', metafile: true };
const pointer = (file) => ({ js: `/*! licences: ${file}.LICENSE.txt */` });

// What the two page bundles (the drop-in and the npm page entry) do with PeerJS, bundled into both.
const withPeerjs = {
  // what of PeerJS never runs in swarmfetch (its other serializations, media calls, level-3 logs, …): see peerjsTrim.mjs
  plugins: [peerjsTrim],
  // PeerJS only reads browserDetails from webrtc-adapter: a user-agent check stands in for its ~50 KB; and its
  // `binary` serialization, which swarmfetch never uses (it speaks 'raw'), needs binarypack: a stub stands in
  alias: { 'webrtc-adapter': './client/webrtcAdapterShim.ts', 'peerjs-js-binarypack': './client/binarypackShim.ts' },
  // Short names for internal members: PeerJS's `_underscore` ones and those of its internals that swarmfetch never
  // names (second line: its negotiator, util and class constants), and swarmfetch's own private collaborators
  // listed here — none is API, crosses the port (Comlink), the wire or the page: PeerJS sends only plain
  // `type`/`payload` messages and `__peerData` (two underscores: kept). The PeerJS internals that swarmfetch or the
  // tests reach into keep theirs (so a Peer injected through `createPeer` gets the same handling); so do `pool`,
  // `signalling` and `peer`, which a chaos test reads in a running page. (A name added here must be private in
  // every class that has it, and no browser API's.)
  mangleProps: new RegExp(
    '^(_[a-zA-Z].*|abortError|announceHeld|announcing|askCached|awaitingOpen|cancelJoinWait|channelOpen|charsPerSec|clearOpenTimer|createLink|discovering|electedNear|endTombstone|evictFirst|evictTo|extraHellos|helloSent|httpPace|inJoinedSwarm|keptId|lastBase|lastBytes|lastDirectory|lastHeardAt|lastMs|lastPongAt|lastReplaceAt|checkedAt|checkEveryMs|lateAtThisRate|leftFromWire|maxKeys|maybeSeed|metIn|movedAt|noOracle|noteOutcome|onControl|onControllerChange|onEvict|onHello|onIgnored|onWorkerLost|openTimer|pauseMs|pausedUntil|refreshTimer|repeatHello|retryMs|retryTimer|sayHello|scheduleRetry|sendControl|sendPort|streamOf|taggedDirs|tellLeave|uncoveredDirs|unseenBytes|usedChars|verifiedByOf|ratedAt|retired|projectedEnd|projectedDoneAt|inTime|lineFull|leadsMs|expectedBytes|httpBytesPerMs|lastAt|measureSoFar|tooSlow|electedTooSlow|missWaits|failedAt|rateOf|promisedBytes|prevAt|requestsAsked|nextUp|nextUpBytesPerMs|directSignal|told|directOn|sendDirect|' +
      'deps|limits|handshake|heartbeat|downloads|uploads|haves|discovery|selection|bans|resolver|prefetcher|peerFetch|inflight|usage|probed|probeTimers|emitter|backoff|inFlight|fetchingIgnored|tombstones|assembly|slowStrikes|positions|helloSeen|pingSentAt|prefetching|lastUsed|declaredBytes|totals|relayedGone|readyId|moved|openedAt|' +
      'factory|membership|tally|joinGate|catchUp|cancelCatchUpWait|catchUpDue|onServed|' +
      'provider|emitError|connection|handleMessage|startConnection|handleSDP|handleCandidate|getConnection|validateId|randomToken|defaultConfig|CLOUD_HOST|CLOUD_PORT|supports|isSecure|DEFAULT_KEY|ID_PREFIX|MAX_BUFFERED_AMOUNT|bufferSize|pingInterval|retrieveId)$',
  ),
  reserveProps: /^(_connections|_lostMessages|_storeMessage)$/,
};

rmSync('dist', { recursive: true, force: true });
const [page, worker, esmPage] = await Promise.all([
  // the drop-in page script: PeerJS and Comlink bundled in
  build({ ...browser, ...withPeerjs, entryPoints: ['client/dropin.ts'], outfile: 'dist/swarmfetch.js', format: 'iife', banner: pointer('swarmfetch.js') }),
  // the service worker: a classic script, so a site can importScripts() it
  build({ ...browser, entryPoints: ['sw/dropin.ts'], outfile: 'dist/swarmfetch-sw.js', format: 'iife', banner: pointer('swarmfetch-sw.js') }),
  // ESM entries for npm users, left unminified for the user's bundler. The page agent (`swarmfetch`) bundles PeerJS as
  // the drop-in does, trimmed, so a site's bundle of it is the drop-in's size (with PeerJS left external, a site's
  // bundler took webrtc-adapter and PeerJS's serializers too: 57.5 KB gzip against the drop-in's 41.5 KB); Comlink
  // stays a dependency (the site's bundler takes of it what the drop-in takes).
  build({
    ...withPeerjs, bundle: true, sourcemap: true, target: 'es2022', format: 'esm', external: ['comlink'], metafile: true,
    entryPoints: { index: 'client/index.ts' }, outdir: 'dist/esm', banner: pointer('index.js'),
  }),
  // the worker side (`swarmfetch/sw`): its dependencies stay external, so workbox-core is the site's own Workbox's
  build({
    bundle: true, sourcemap: true, target: 'es2022', format: 'esm', packages: 'external',
    entryPoints: { sw: 'sw/index.ts' }, outdir: 'dist/esm',
  }),
  // (the P2P server is the swarmfetch-server package: scripts/buildServer.mjs)
]);
writeLicenses('dist/swarmfetch.js', page.metafile);
writeLicenses('dist/swarmfetch-sw.js', worker.metafile);
writeLicenses('dist/esm/index.js', esmPage.metafile);
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

console.log('built dist/');
