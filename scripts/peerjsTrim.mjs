// An esbuild plugin trimming, in the drop-in only, what PeerJS 1.5 bundles and swarmfetch never runs:
// - its `json` and `binary` serializations: swarmfetch speaks `raw` and closes any other connection at once
//   (client/peer/Signalling.ts), so every name maps to the raw class and the others drop out of the bundle;
// - its `logger.log(…)` calls (level 3): the drop-in gives PeerJS `debug` 2 at most, so they never print.
// Each edit must match PeerJS's published bundle exactly as many times as expected, or the build fails: a new
// PeerJS version is then looked at, never trimmed by guesswork.
import { readFileSync } from 'node:fs';

const RAW = '$bbaee3f15f714663$export$6f88fe47d32c9c94';
const EDITS = [
  {
    what: 'serializations other than raw',
    pattern: /(json|binary|"binary-utf8"|default): \(0, \$(?:817f931e3f9096cf\$export\$48880ac635f47186|9fcfddb3ae148f88\$export\$f0a5a64d5bb37108)\)/g,
    replace: (_m, key) => `${key}: (0, ${RAW})`,
    count: 4,
  },
  {
    what: 'logger.log calls',
    pattern: /\(0, \$257947e92926277a\$export\$2e2bcd8739ae039\)\.log\(/g,
    replace: () => '/* @__PURE__ */ (0, $257947e92926277a$export$2e2bcd8739ae039).log(',
    minCount: 30,
  },
];

export const peerjsTrim = {
  name: 'peerjs-trim',
  setup(build) {
    build.onLoad({ filter: /[\\/]peerjs[\\/]dist[\\/]bundler\.mjs$/ }, (args) => {
      let source = readFileSync(args.path, 'utf8');
      if (!source.includes(`class ${RAW} `)) throw new Error(`peerjs-trim: PeerJS's raw serialization class ${RAW} not found: a new PeerJS build? See scripts/peerjsTrim.mjs`);
      for (const edit of EDITS) {
        let n = 0;
        source = source.replace(edit.pattern, (...m) => (n++, edit.replace(...m)));
        if ((edit.count !== undefined && n !== edit.count) || (edit.minCount !== undefined && n < edit.minCount)) {
          throw new Error(`peerjs-trim: ${edit.what} matched ${n} times (expected ${edit.count ?? `≥ ${edit.minCount}`}): a new PeerJS build? See scripts/peerjsTrim.mjs`);
        }
      }
      return { contents: source, loader: 'js' };
    });
  },
};
