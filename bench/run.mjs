#!/usr/bin/env node
// The swarm benchmark: `npm run bench` (builds, then runs this inside test/e2e/netns.sh's network namespace).
// See bench/README.md for what is measured and how.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureAbrMedia } from './abrMedia.mjs';
import { closeAllBrowsers } from './browser.mjs';
import { bundleSizes, runMicro } from './micro.mjs';
import { NAT_CHOICES, NET_PROFILES, TURN_ENV, demoReadsTurnEnv, startNet } from './net.mjs';
import { microText, scenarioText } from './report.mjs';
import { DEFAULT_SCENARIOS, SCENARIOS, STREAMS, probeUploadCapOption, runScenarioMode } from './scenarios.mjs';
import { REPO_ROOT, snapshotBuild, startDemo } from './servers.mjs';
import { compareModes, summarizeMode } from './summary.mjs';
import { log } from './util.mjs';

const USAGE = `usage: node bench/run.mjs [options]   (through npm run bench, or bash test/e2e/netns.sh node bench/run.mjs)
  --viewers N        viewers per scenario (default 6)
  --stagger-ms MS    time between joins in staggered scenarios (default 4000)
  --seconds S        playback after the last viewer joined (default 40)
  --scenario NAME    run only this scenario (repeatable): ${Object.keys(SCENARIOS).join(', ')}
  --all              run every scenario (default: ${DEFAULT_SCENARIOS.join(', ')})
  --no-micro         skip the micro-benchmarks (gzip sizes are always reported)
  --micro-only       only the micro-benchmarks
  --net PROFILE      run in the network lab (test/lab): one Chromium per viewer, each in its own home behind its
                     own NAT on a line shaped to PROFILE: ${NET_PROFILES.join(', ')} (mixed: per viewer index)
  --nat KIND         with --net: cone (default), symmetric, none, or mixed (even viewers cone, odd symmetric)
  --turn             with --net: coturn on the lab's public address; the demo's P2P server hands pages TURN
                     credentials (demo/serve.mjs reads ${TURN_ENV.url} / ${TURN_ENV.secret})
  --max-buffer-sec S hls.js buffers at most S seconds ahead (maxBufferLength = maxMaxBufferLength = S; default:
                     hls.js's own, which in vod-abr is the whole 60 s stream)
  --json             print one JSON document on stdout instead of the tables
  --from FILE        print the tables of a saved run (e.g. .bench/last.json) and exit; runs nothing
  --sim …            the swarm simulator instead (bench/simulate.mjs; the arguments after --sim are its own:
                     --viewers 1000,10000 --mode live|vod|both …); no browser
  --server-load …    the P2P server load instead (bench/serverLoadRun.mjs: --nodes 1|3 --peers N …); no browser
  --help`;

function parseArgs(argv) {
  const o = { viewers: 6, staggerMs: 4000, seconds: 40, scenarios: [], maxBufferSec: null, all: false, micro: true, microOnly: false, json: false, from: null, net: null, nat: null, turn: false };
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
    const int = (min, max) => {
      const x = Number(value());
      if (!Number.isFinite(x) || x < min || x > max) usage(`${a} must be a number in ${min}…${max}`);
      return x;
    };
    switch (a) {
      case '--viewers': o.viewers = Math.round(int(2, 12)); break;
      case '--stagger-ms': o.staggerMs = Math.round(int(0, 60_000)); break;
      case '--seconds': o.seconds = int(5, 600); break;
      case '--max-buffer-sec': o.maxBufferSec = int(1, 600); break;
      case '--scenario': {
        const name = value();
        if (!SCENARIOS[name]) usage(`unknown scenario ${name}`);
        o.scenarios.push(name);
        break;
      }
      case '--all': o.all = true; break;
      case '--no-micro': o.micro = false; break;
      case '--micro-only': o.microOnly = true; break;
      case '--json': o.json = true; break;
      case '--net': {
        o.net = value();
        if (!NET_PROFILES.includes(o.net)) usage(`unknown --net profile ${o.net} (${NET_PROFILES.join(', ')})`);
        break;
      }
      case '--nat': {
        o.nat = value();
        if (!NAT_CHOICES.includes(o.nat)) usage(`unknown --nat kind ${o.nat} (${NAT_CHOICES.join(', ')})`);
        break;
      }
      case '--turn': o.turn = true; break;
      case '--from': o.from = value(); break;
      case '--help': case '-h': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if ((o.nat || o.turn) && !o.net) usage('--nat and --turn need --net PROFILE');
  if (o.net) {
    o.nat ??= 'cone';
    if (o.microOnly) usage('--micro-only does not use the network lab: leave out --net');
    // the micro-benchmarks measure the machine (a loopback demo origin, one browser), not the network
    o.microSkippedByNet = o.micro;
    o.micro = false;
  }
  if (o.microOnly) o.scenarios = [];
  else if (o.all) o.scenarios = Object.keys(SCENARIOS);
  else if (o.scenarios.length === 0) o.scenarios = [...DEFAULT_SCENARIOS];
  return o;
}

function usage(why) {
  process.stderr.write(`bench: ${why}\n${USAGE}\n`);
  process.exit(2);
}

// the simulator and the server load are their own programs: the arguments after the flag are theirs
for (const [flag, script] of [['--sim', 'simulate.mjs'], ['--server-load', 'serverLoadRun.mjs']]) {
  const at = process.argv.indexOf(flag);
  if (at < 0) continue;
  const { spawnSync } = await import('node:child_process');
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'bench', script), ...process.argv.slice(at + 1)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

const opts = parseArgs(process.argv.slice(2));

if (opts.from) {
  const saved = JSON.parse(readFileSync(opts.from, 'utf8'));
  for (const s of saved.scenarios ?? []) {
    if (s.baseline && s.swarmfetch) process.stdout.write(`\n${scenarioText(s)}\n`);
    else process.stdout.write(`\n== ${s.name}: incomplete (see errors)\n`);
  }
  if (saved.micro) process.stdout.write(`\n${microText(saved.micro)}\n`);
  for (const e of saved.errors ?? []) process.stdout.write(`error: ${e}\n`);
  process.exit(0);
}

if (process.env.SWARMFETCH_NETNS !== '1') {
  log('warning: not inside test/e2e/netns.sh\'s namespace: WebRTC between headless pages will likely not connect (use npm run bench)');
}

// the ABR ladder of vod-abr is made on demand (cached in demo/media/abr; minutes of ffmpeg the first time): before
// the time budget starts
if (opts.scenarios.some((name) => SCENARIOS[name].stream === 'abr')) {
  try {
    ensureAbrMedia();
  } catch (err) {
    log(`ERROR: ${err.message}`);
    process.exit(1);
  }
}

// Everything is bounded: per scenario mode run time + slack, micro a few minutes; past that the run aborts.
// With --net: one browser launch per viewer and mode (~1–3 s each on 2 cores under load; 10 s allowed), and the lab,
// coturn and the upload-cap probe's browser at the start.
const perRunS = (name) =>
  (SCENARIOS[name].together ? 0 : ((opts.viewers - 1) * opts.staggerMs) / 1000) + opts.seconds + 60 + (opts.net ? 10 * opts.viewers : 0);
const budgetS = opts.scenarios.reduce((a, n) => a + 2 * perRunS(n), 0) + (opts.micro ? 240 : 0) + 60 + (opts.net ? 60 : 0);
let demo = null;
let snapshot = null;
let net = null;
let finishing = false;

async function cleanup() {
  await closeAllBrowsers().catch(() => undefined);
  if (demo) await demo.stop().catch(() => undefined);
  demo = null;
  if (net) await net.stop().catch(() => undefined);
  net = null;
  snapshot?.remove();
  snapshot = null;
}

const watchdog = setTimeout(async () => {
  log(`ABORT: the run exceeded its time budget of ${Math.round(budgetS)} s`);
  await cleanup();
  process.exit(3);
}, budgetS * 1000);
watchdog.unref();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (finishing) process.exit(130);
    finishing = true;
    log(`${sig}: stopping`);
    await cleanup();
    process.exit(130);
  });
}

async function main() {
  const started = Date.now();
  const doc = {
    tool: 'swarmfetch bench',
    version: 1,
    startedAt: new Date(started).toISOString(),
    options: { viewers: opts.viewers, staggerMs: opts.staggerMs, seconds: opts.seconds, maxBufferSec: opts.maxBufferSec, scenarios: opts.scenarios, micro: opts.micro, net: opts.net, nat: opts.nat, turn: opts.turn },
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version, netns: process.env.SWARMFETCH_NETNS === '1' },
    dist: null,
    scenarios: [],
    micro: null,
    errors: [],
  };
  if (opts.microSkippedByNet) log('--net: the micro-benchmarks are not run (they measure the machine, not the network; run them without --net)');
  log(`time budget ${Math.round(budgetS)} s; scenarios: ${opts.scenarios.join(', ') || 'none'}; micro: ${opts.micro}` +
    (opts.net ? `; network lab: --net ${opts.net} --nat ${opts.nat}${opts.turn ? ' --turn' : ''}` : ''));
  // the demo runs from a frozen copy of dist/ and demo/: a rebuild meanwhile cannot mix builds within the run
  snapshot = snapshotBuild();
  doc.dist = snapshot.dist;
  if (opts.net) {
    if (opts.turn && !demoReadsTurnEnv(snapshot.root)) {
      throw new Error(`--turn: demo/serve.mjs does not read ${TURN_ENV.url} / ${TURN_ENV.secret} into createSwarmServer's turnUrls / turnSecret, so pages would get no TURN`);
    }
    const t = Date.now();
    net = await startNet({ viewers: opts.viewers, profile: opts.net, nat: opts.nat, turn: opts.turn });
    doc.net = net.describe();
    log(`network lab ${net.lab.id} in ${Date.now() - t} ms: public ${net.lab.publicAddress}; ` +
      `${net.lab.viewers.map((v) => `v${v.index} ${v.nat}/${v.profile}`).join(', ')}${net.coturn ? `; coturn ${net.coturn.urls.join(' ')}` : ''}`);
  }
  demo = await startDemo({ root: snapshot.root, ...(net ? { host: net.lab.publicAddress, env: net.env } : {}) });
  log(`demo server on ${demo.url}, serving a copy of dist/ (bundles ${snapshot.dist})`);
  if (net) {
    // what the P2P server hands pages (GET /swarmfetch/v1/health: stun, turn)
    const health = await (await fetch(`${demo.url}/swarmfetch/v1/health`, { signal: AbortSignal.timeout(5_000) })).json();
    doc.net.serverIce = { stun: health.stun === true, turn: health.turn === true };
    log(`P2P server hands pages: STUN ${health.stun ? 'yes' : 'no'}, TURN ${health.turn ? 'yes' : 'no'}`);
    if (opts.turn && health.turn !== true) throw new Error('--turn: the demo\'s P2P server says it hands out no TURN (health: turn false)');
  }

  let uploadCap = null;
  for (const name of opts.scenarios) {
    const sc = SCENARIOS[name];
    if (sc.uploadCap !== undefined) {
      // asked right before the scenario, of the bundle the demo serves now
      uploadCap = await probeUploadCapOption(demo.url, net);
      log(`uploadMaxBytesPerSec ${uploadCap.supported ? 'is' : 'is NOT'} a swarmfetch option in this build${uploadCap.supported ? '' : ' (the cap is not enforced)'}`);
      doc.uploadCapOption = uploadCap;
    }
    const entry = { name, about: sc.about, stream: STREAMS[sc.stream], staggerMs: sc.together ? 0 : opts.staggerMs, seconds: opts.seconds, maxBufferSec: opts.maxBufferSec };
    const modes = {};
    for (const mode of ['baseline', 'swarmfetch']) {
      log(`${name}/${mode}: ${opts.viewers} viewers …`);
      try {
        const raw = await runScenarioMode({ name, mode, demo, viewers: opts.viewers, staggerMs: opts.staggerMs, seconds: opts.seconds, maxBufferSec: opts.maxBufferSec, uploadCapSupported: !!uploadCap?.supported, net });
        modes[mode] = summarizeMode(raw);
        modes[mode].raw = raw.records.map((r) => ({
          index: r.index, consumed: r.snapshot?.consumedByPath, segments: r.snapshot?.swarmfetch?.segments,
          peers: r.snapshot?.swarmfetch?.peers, errors: r.snapshot?.swarmfetch?.errors, stalls: r.snapshot?.stalls,
          // hls.js: fragment loads (level, bytes, load ms, estimate), LEVEL_SWITCHED, FRAG_CHANGED, estimate samples
          abr: r.snapshot?.abr && r.snapshot.abr.levels?.length > 1 ? r.snapshot.abr : undefined,
        }));
        const m = modes[mode];
        log(`${name}/${mode}: offload ${m.offload} · ttff mean ${m.ttffMs.mean} ms · rebuffers ${m.rebuffers} (${m.stalledMs} ms)`);
      } catch (err) {
        doc.errors.push(`${name}/${mode}: ${err.stack ?? err}`);
        log(`${name}/${mode} FAILED: ${err.message ?? err}`);
      }
    }
    if (modes.baseline && modes.swarmfetch) {
      entry.baseline = modes.baseline;
      entry.swarmfetch = modes.swarmfetch;
      entry.comparison = compareModes(name, modes.baseline, modes.swarmfetch);
      if (sc.uploadCap !== undefined) {
        entry.uploadCapBytesPerSec = sc.uploadCap;
        const capped = modes.swarmfetch.perViewer.find((v) => v.capped)?.swarmfetch;
        entry.uploadCapSet = capped?.uploadMaxBytesPerSec === sc.uploadCap;
      }
      if (!opts.json) process.stdout.write(`\n${scenarioText(entry)}\n`);
    }
    doc.scenarios.push(entry);
  }

  doc.micro = { bundles: bundleSizes(snapshot.root) };
  if (opts.micro) Object.assign(doc.micro, await runMicro({ demoUrl: demo.url }));
  if (!opts.json) process.stdout.write(`\n${microText(doc.micro)}\n`);
  await cleanup();
  doc.durationS = Math.round((Date.now() - started) / 1000);

  const dir = join(REPO_ROOT, '.bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'last.json'), `${JSON.stringify(doc, null, 2)}\n`);
  if (opts.json) {
    // the per-segment timelines stay in .bench/last.json only
    const slim = { ...doc, scenarios: doc.scenarios.map((s) => ({ ...s, baseline: s.baseline && { ...s.baseline, raw: undefined }, swarmfetch: s.swarmfetch && { ...s.swarmfetch, raw: undefined } })) };
    process.stdout.write(`${JSON.stringify(slim, null, 2)}\n`);
  } else {
    process.stdout.write(`\nfull results: .bench/last.json · ${doc.durationS} s${doc.errors.length ? ` · ${doc.errors.length} error(s):\n${doc.errors.join('\n')}` : ''}\n`);
  }
  log(`done in ${doc.durationS} s`);
  return doc.errors.length === 0 && (doc.micro.errors ?? []).length === 0 ? 0 : 1;
}

main().then(
  async (code) => {
    finishing = true;
    await cleanup();
    process.exit(code);
  },
  async (err) => {
    finishing = true;
    log(`FAILED: ${err.stack ?? err}`);
    await cleanup();
    process.exit(1);
  },
);
