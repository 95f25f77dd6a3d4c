#!/usr/bin/env node
// The swarm simulator (issue 11 §4): 1k → 100k viewers of one live stream or a VOD catalogue, at segment granularity,
// on a simulated clock, with the real tracker, election, peer selection, slot and budget code (bench/sim/, see
// bench/README.md "Simulator"). No browser, no network, no timers: one node process.
//
//   node bench/simulate.mjs [--viewers 1000,10000] [--mode live|vod|both] [--seconds S] [--warm S] [--seed N] [--json]
//
// bench/sim/ is TypeScript: it is bundled with esbuild into a temporary .mjs first (a second or so).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const REPO_ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');

const USAGE = `usage: node bench/simulate.mjs [options]   (npm run bench:sim -- [options])
  --viewers LIST   concurrent viewers, comma-separated (default 1000,10000; each 100…200000)
  --mode MODE      live, vod or both (default both)
  --seconds S      seconds measured (default 180; 60 from 50,000 viewers on, to stay within minutes)
  --warm S         seconds simulated between the arrival ramp and the window (default 60; 30 from 50,000 on)
  --ramp S         seconds over which the first viewers arrive (default 60; 30 from 50,000 on)
  --seed N         the random seed (default 1): the same seed gives the same figures
  --json           one JSON document on stdout instead of the table
  --help`;

function parseArgs(argv) {
  const o = { viewers: [1000, 10_000], modes: ['live', 'vod'], seconds: null, warm: null, ramp: null, seed: 1, json: false };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) [a, v] = [a.slice(0, eq), a.slice(eq + 1)];
    const value = () => {
      const x = v ?? argv[++i];
      if (x === undefined) usage(`${a} needs a value`);
      return x;
    };
    const number = (x, min, max) => {
      const n = Number(x);
      if (!Number.isFinite(n) || n < min || n > max) usage(`${a} must be a number in ${min}…${max}`);
      return n;
    };
    switch (a) {
      case '--viewers': o.viewers = value().split(',').map((x) => Math.round(number(x, 100, 200_000))); break;
      case '--mode': {
        const m = value();
        if (!['live', 'vod', 'both'].includes(m)) usage(`unknown --mode ${m}`);
        o.modes = m === 'both' ? ['live', 'vod'] : [m];
        break;
      }
      case '--seconds': o.seconds = number(value(), 10, 3600); break;
      case '--warm': o.warm = number(value(), 0, 3600); break;
      case '--ramp': o.ramp = number(value(), 1, 3600); break;
      case '--seed': o.seed = Math.round(number(value(), 0, 2 ** 31)); break;
      case '--json': o.json = true; break;
      case '--help': case '-h': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  return o;
}

function usage(why) {
  process.stderr.write(`simulate: ${why}\n${USAGE}\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const log = (...a) => console.error('[simulate]', ...a);

const bundle = join(tmpdir(), `swarmfetch-sim-${process.pid}.mjs`);
await build({
  entryPoints: [join(REPO_ROOT, 'bench/sim/index.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20',
  outfile: bundle, logLevel: 'warning',
});
let sim;
try {
  sim = await import(pathToFileURL(bundle).href);
} finally {
  rmSync(bundle, { force: true });
}

const runs = [];
for (const viewers of opts.viewers) {
  for (const mode of opts.modes) {
    const big = viewers >= 50_000;
    const options = {
      mode, viewers, seed: opts.seed,
      measureSec: opts.seconds ?? (big ? 60 : 180), warmSec: opts.warm ?? (big ? 30 : 60), rampSec: opts.ramp ?? (big ? 30 : 60),
    };
    const started = Date.now();
    log(`${mode} ${viewers} viewers: ${options.rampSec} s ramp + ${options.warmSec} s warm-up + ${options.measureSec} s measured…`);
    const counts = new sim.SwarmSim(options).run();
    const wallSec = (Date.now() - started) / 1000;
    const summary = sim.summarize(counts);
    log(`  done in ${wallSec.toFixed(1)} s (${counts.events} events): offload ${pct(summary.offload)} of a ${pct(summary.limit)} limit`);
    runs.push({ options, wallSec, counts, summary });
  }
}

const doc = {
  when: new Date().toISOString(),
  node: process.version,
  rules: sim.RULES,
  defaults: sim.DEFAULT_OPTIONS,
  redisCost: sim.REDIS_COST,
  peersPerNode: sim.PEERS_PER_NODE,
  runs,
};
mkdirSync(join(REPO_ROOT, '.bench'), { recursive: true });
writeFileSync(join(REPO_ROOT, '.bench/sim.json'), `${JSON.stringify(doc, null, 2)}\n`);
if (opts.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
else process.stdout.write(`${table(runs)}\n(JSON: .bench/sim.json)\n`);

function pct(x) {
  return `${(100 * x).toFixed(1)} %`;
}

function num(x) {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
}

/** The README's table: one row per run. */
function table(rs) {
  const head = ['viewers', 'mode', 'swarms', 'origin Mbit/s (without)', 'offload', 'limit', 'offload/limit', 'stall', 'links',
    'joins/s', 'dials/s (opened)', 'nodes', 'joins/s/node', 'signalling msg/s/node', 'Redis cmd/s'];
  const rows = rs.map(({ summary: s }) => [
    num(s.meanViewers), s.mode, String(s.swarms), `${num(s.originMbit)} (${num(s.baselineMbit)})`, pct(s.offload), pct(s.limit),
    pct(s.offloadOfLimit), pct(s.stallShare), s.meanOpenLinks.toFixed(1), num(s.joinsPerSec),
    `${num(s.dialsPerSec)} (${pct(s.dialOpenShare)})`, String(s.load.nodes), num(s.load.joinsPerSecPerNode),
    num(s.load.signallingPerSecPerNode), s.load.nodes > 1 ? num(s.load.redisCommandsPerSec) : '— (one node)',
  ]);
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
