// "The Internet in a box": a network lab made from inside test/e2e/netns.sh's namespace (the "public" one, where the
// test process and the servers run). See test/lab/README.md for the topology, the NAT kinds and the profiles.
// Plain JavaScript so `node bench/run.mjs` needs no TypeScript runner.
//
//   const lab = await createLab({ viewers: [{ nat: 'cone', profile: 'cable' }, { nat: 'symmetric', profile: 'dsl' }] });
//   // servers listen on lab.publicAddress (203.0.113.1); viewer i is 192.168.1.2 behind 203.0.113.(10+i)
//   await lab.viewers[0].exec('node', ['-e', '…']);    // runs in viewer 0's home namespace
//   lab.viewers[0].chromiumPath                          // an executable: Chromium in that home namespace
//   await lab.destroy();
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_PATH } from '../e2e/harness/chromium.mjs';
import { resolveProfile, tbfArgs, tbfParams } from './profiles.mjs';

/** netns.sh's v0 address: the lab is only made inside that namespace. */
const NETNS_ADDRESS = '10.77.0.1';
/** Every home's private address and its router's, as in real homes. */
export const LAN_ADDRESS = '192.168.1.2';
export const LAN_ROUTER = '192.168.1.1';
export const DEFAULT_PUBLIC_ADDRESS = '203.0.113.1';
/** Viewer i's WAN (public) address is PREFIX.(WAN_BASE + i). */
export const WAN_BASE = 10;
const NAT_KINDS = ['cone', 'symmetric', 'none'];
const NETNS_DIR = '/run/netns';
const NAME_PREFIX = 'sflab-';
const CMD_TIMEOUT_MS = 10_000;
/** The NAT namespace's iptables chain for random loss (setLoss). */
const LOSS_CHAIN = 'SFLOSS';

const tool = (name) => ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].map((d) => `${d}/${name}`).find((p) => existsSync(p)) ?? name;
const IP = tool('ip');
const TC = tool('tc');

/**
 * Runs `cmd args` (no shell) with a hard timeout (SIGKILL). Resolves `{ stdout, stderr, code }`; rejects with the
 * command, exit status and output when it fails, unless `allowFail`.
 * @param {string} cmd @param {string[]} args
 * @param {{ timeoutMs?: number, input?: string, allowFail?: boolean, env?: Record<string, string> }} [o]
 */
export function run(cmd, args, { timeoutMs = CMD_TIMEOUT_MS, input, allowFail = false, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`lab: cannot run ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 || allowFail) return resolve({ stdout, stderr, code: code ?? -1 });
      const why = timedOut ? `timed out after ${timeoutMs} ms` : signal ? `killed by ${signal}` : `exit ${code}`;
      reject(new Error(`lab: \`${[cmd, ...args].join(' ')}\` failed (${why}): ${(stderr || stdout).trim().slice(-2000)}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** Synchronous, for exit handlers: never throws. */
function runSync(cmd, args) {
  try {
    return spawnSync(cmd, args, { timeout: CMD_TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return null;
  }
}

const ip = (args, o) => run(IP, args, o);
const tc = (ns, args, o) => run(TC, ns ? ['-n', ns, ...args] : args, o);
const inNs = (ns, cmd, args, o) => run(IP, ['netns', 'exec', ns, cmd, ...args], o);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Whether this process runs inside test/e2e/netns.sh's namespace (as test/e2e/harness/netns.ts checks). */
export function inPublicNamespace() {
  const v0 = networkInterfaces().v0 ?? [];
  return process.env.SWARMFETCH_NETNS === '1' && v0.some((a) => a.family === 'IPv4' && a.address === NETNS_ADDRESS);
}

/** The names of the named network namespaces (in /run/netns, shared with the host). */
function namedNamespaces() {
  try {
    return readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}

/** The lab's interface names in the public namespace: `sf<pid in base 36>-<lab in base 36>` + `b` or `v<i>`. */
const LINK_NAME = /^sf([0-9a-z]+)-([0-9a-z]+)(b|v\d+)$/;

/**
 * Removes what labs of processes that are gone left behind: named namespaces `sflab-<pid>-…` in /run/netns, their
 * interfaces in this namespace, and wrapper directories `sflab-<pid>-…` in the temp directory. Processes still running in such a namespace are left
 * alone (the name goes; the namespace ends with them). Returns the namespace names removed.
 */
export function sweepStaleLabs() {
  const removed = [];
  for (const name of namedNamespaces()) {
    const m = /^sflab-(\d+)-/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const r = runSync(IP, ['netns', 'del', name]);
    if (r && r.status === 0) removed.push(name);
  }
  // Interfaces in this namespace: the bridge `sf<pid>-<n>b` and its ports `sf<pid>-<n>v<i>` (pid in base 36).
  for (const line of (runSync(IP, ['-o', 'link', 'show'])?.stdout ?? '').split('\n')) {
    const name = /^\d+:\s+([^:@]+)/.exec(line)?.[1];
    const m = name === undefined ? null : LINK_NAME.exec(name);
    if (m && !alive(parseInt(m[1], 36))) runSync(IP, ['link', 'del', name]);
  }
  let temps = [];
  try {
    temps = readdirSync(tmpdir());
  } catch {
    // no temp directory listing: nothing to sweep
  }
  for (const name of temps) {
    const m = /^sflab-(\d+)-/.exec(name);
    if (m && !alive(Number(m[1]))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  return removed;
}

// Labs alive in this process, torn down (synchronously, best effort) on exit and on SIGINT/SIGTERM.
const live = new Set();
let handlersInstalled = false;
function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const lab of live) lab.destroySync();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const handler = () => {
      for (const lab of live) lab.destroySync();
      // Nobody else handles it: do what the signal would have done.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, handler);
  }
}

let labSeq = 0;

/**
 * @typedef {{ nat?: 'cone' | 'symmetric' | 'none', profile?: string | { name?: string, downMbit: number | null, upMbit: number | null },
 *   lossPercent?: number | { down?: number, up?: number } }} ViewerSpec
 */

/**
 * Makes the lab: a bridge holding `publicAddress`/24 in this (public) namespace, and per viewer a NAT namespace
 * (WAN 203.0.113.(10+i) on the bridge, LAN 192.168.1.1) and a home namespace (192.168.1.2, default route via the
 * NAT), with the NAT kind's iptables rules and the profile's tbf shaping. `nat: 'none'` puts the home straight on
 * the bridge with the WAN address. Must run as root inside test/e2e/netns.sh's namespace. On any failure, what was
 * made is removed before the error is thrown.
 * @param {{ viewers: ViewerSpec[], publicAddress?: string, chromiumPath?: string }} options
 */
export async function createLab({ viewers, publicAddress = DEFAULT_PUBLIC_ADDRESS, chromiumPath = CHROMIUM_PATH } = /** @type {any} */ ({})) {
  if (!inPublicNamespace()) {
    throw new Error(
      'createLab: not inside test/e2e/netns.sh\'s network namespace (SWARMFETCH_NETNS=1 and v0 with 10.77.0.1). ' +
        'Run through it, e.g. bash test/e2e/netns.sh npx vitest run -c vitest.harness.config.ts test/harness/lab.harness.test.ts',
    );
  }
  if (process.getuid?.() !== 0) throw new Error('createLab: must run as root (named namespaces, iptables and tc need it)');
  if (!Array.isArray(viewers) || viewers.length === 0) throw new Error('createLab: give at least one viewer ({ nat, profile })');
  const octets = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(publicAddress);
  if (!octets || octets.slice(1).some((o) => Number(o) > 255)) throw new Error(`createLab: bad publicAddress ${publicAddress}`);
  const prefix = octets.slice(1, 4).join('.');
  const last = Number(octets[4]);
  if (WAN_BASE + viewers.length - 1 > 254) throw new Error(`createLab: at most ${255 - WAN_BASE} viewers`);
  if (last >= WAN_BASE && last < WAN_BASE + viewers.length) {
    throw new Error(`createLab: publicAddress ${publicAddress} collides with the viewers' WAN addresses ${prefix}.${WAN_BASE}…`);
  }
  sweepStaleLabs();
  const taken = Object.entries(networkInterfaces()).find(([, addrs]) => (addrs ?? []).some((a) => a.address === publicAddress));
  if (taken) throw new Error(`createLab: ${publicAddress} is already on ${taken[0]} in this namespace (another lab running here?)`);
  const specs = viewers.map((v, index) => {
    const nat = v?.nat ?? 'cone';
    if (!NAT_KINDS.includes(nat)) throw new Error(`createLab: viewer ${index}: unknown nat ${JSON.stringify(nat)} (${NAT_KINDS.join(', ')})`);
    const loss = normalizeLoss(v?.lossPercent ?? 0, index);
    if (nat === 'none' && (loss.down > 0 || loss.up > 0)) {
      throw new Error(`createLab: viewer ${index}: lossPercent needs a NAT viewer (cone or symmetric), not nat: 'none'`);
    }
    return { index, nat, profile: resolveProfile(v?.profile ?? 'lan', index), loss };
  });

  installExitHandlers();

  const seq = labSeq++;
  const id = `${NAME_PREFIX}${process.pid}-${seq}`;
  // Interface names in the public namespace: at most 15 bytes, unique per process and lab.
  const tag = `sf${process.pid.toString(36)}-${seq.toString(36)}`;
  const bridge = `${tag}b`;
  const dir = mkdtempSync(join(tmpdir(), `${id}-`));

  /** What exists, for teardown: namespaces, public-side links. */
  const made = { namespaces: /** @type {string[]} */ ([]), links: /** @type {string[]} */ ([]), bridge: false };
  let destroyed = false;

  const destroySync = () => {
    if (destroyed) return;
    destroyed = true;
    live.delete(lab);
    for (const ns of made.namespaces) {
      const pids = runSync(IP, ['netns', 'pids', ns]);
      for (const pid of (pids?.stdout ?? '').split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL'); // a process the lab's user started in the lab's namespace
        } catch {
          // gone
        }
      }
    }
    for (const link of made.links) runSync(IP, ['link', 'del', link]);
    if (made.bridge) runSync(IP, ['link', 'del', bridge]);
    for (const ns of made.namespaces) runSync(IP, ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  };

  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    live.delete(lab);
    const errors = [];
    for (const ns of made.namespaces) {
      const { stdout } = await ip(['netns', 'pids', ns], { allowFail: true });
      const pids = stdout.split(/\s+/).filter(Boolean).map(Number);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL'); // a process the lab's user started in the lab's namespace
        } catch {
          // gone
        }
      }
    }
    // Deleting one end of a veth deletes both; do it here rather than leave it to the namespaces' (asynchronous)
    // clean-up, so nothing of the lab is left when destroy() resolves.
    for (const link of made.links) await ip(['link', 'del', link], { allowFail: true });
    if (made.bridge) await ip(['link', 'del', bridge], { allowFail: true });
    for (const ns of made.namespaces) {
      const r = await ip(['netns', 'del', ns], { allowFail: true });
      if (r.code !== 0 && namedNamespaces().includes(ns)) errors.push(`netns del ${ns}: ${r.stderr.trim()}`);
    }
    rmSync(dir, { recursive: true, force: true });
    if (errors.length) throw new Error(`lab.destroy: ${errors.join('; ')}`);
  };

  const lab = { id, publicAddress, bridge, dir, viewers: /** @type {any[]} */ ([]), destroy, destroySync };
  live.add(lab);

  const addNs = async (name) => {
    await ip(['netns', 'add', name]);
    made.namespaces.push(name);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
    // IPv4 only: no link-local IPv6 candidates or router solicitations to muddle what a test sees.
    await inNs(name, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  };

  try {
    await ip(['link', 'add', bridge, 'type', 'bridge']);
    made.bridge = true;
    await ip(['addr', 'add', `${publicAddress}/24`, 'dev', bridge]);
    await ip(['link', 'set', bridge, 'up']);

    for (const spec of specs) {
      const { index, nat, profile } = spec;
      const wanAddress = `${prefix}.${WAN_BASE + index}`;
      const homeNs = `${id}-h${index}`;
      const natNs = nat === 'none' ? null : `${id}-n${index}`;
      const port = `${tag}v${index}`; // the bridge's end of the viewer's WAN link
      if (port.length > 15 || !LINK_NAME.test(port)) throw new Error(`createLab: bad interface name ${port}`);
      await addNs(homeNs);
      let up; // [ns, dev] whose egress is the uplink
      let down; // [ns, dev] whose egress is the downlink
      if (natNs) {
        await addNs(natNs);
        await ip(['link', 'add', port, 'type', 'veth', 'peer', 'name', 'wan', 'netns', natNs]);
        made.links.push(port);
        await ip(['link', 'set', port, 'master', bridge, 'up']);
        await ip(['-n', natNs, 'addr', 'add', `${wanAddress}/24`, 'dev', 'wan']);
        await ip(['-n', natNs, 'link', 'set', 'wan', 'up']);
        await ip(['-n', natNs, 'route', 'add', 'default', 'via', publicAddress]);
        await ip(['-n', natNs, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', homeNs]);
        await ip(['-n', natNs, 'addr', 'add', `${LAN_ROUTER}/24`, 'dev', 'lan']);
        await ip(['-n', natNs, 'link', 'set', 'lan', 'up']);
        await ip(['-n', homeNs, 'addr', 'add', `${LAN_ADDRESS}/24`, 'dev', 'eth0']);
        await ip(['-n', homeNs, 'link', 'set', 'eth0', 'up']);
        await ip(['-n', homeNs, 'route', 'add', 'default', 'via', LAN_ROUTER]);
        await inNs(natNs, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
        // Unsolicited inbound UDP is dropped, as home routers do: left to the kernel, a hole-punching packet that
        // arrives first is answered with ICMP port-unreachable and its conntrack entry spoils the mapping
        // (shared/TESTING.md, "Real networks").
        const masquerade = nat === 'symmetric' ? '-j MASQUERADE --random-fully' : '-j MASQUERADE';
        const rules = [
          '*nat',
          `-A POSTROUTING -o wan ${masquerade}`,
          'COMMIT',
          '*filter',
          `:${LOSS_CHAIN} - [0:0]`,
          '-A INPUT -i wan -p udp -m conntrack --ctstate NEW,INVALID -j DROP',
          '-A FORWARD -i wan -p udp -m conntrack --ctstate NEW,INVALID -j DROP',
          `-A FORWARD -j ${LOSS_CHAIN}`,
          'COMMIT',
          '',
        ].join('\n');
        await inNs(natNs, 'iptables-restore', [], { input: rules });
        up = [natNs, 'wan'];
        down = [natNs, 'lan'];
      } else {
        await ip(['link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', homeNs]);
        made.links.push(port);
        await ip(['link', 'set', port, 'master', bridge, 'up']);
        await ip(['-n', homeNs, 'addr', 'add', `${wanAddress}/24`, 'dev', 'eth0']);
        await ip(['-n', homeNs, 'link', 'set', 'eth0', 'up']);
        await ip(['-n', homeNs, 'route', 'add', 'default', 'via', publicAddress]);
        up = [homeNs, 'eth0'];
        down = [null, port]; // the bridge's port toward the home, in this namespace
      }

      const wrapper = join(dir, `chromium-${index}`);
      const q = (x) => `'${String(x).replace(/'/g, `'\\''`)}'`;
      writeFileSync(wrapper, `#!/bin/sh\n# Chromium in lab ${id}, viewer ${index}'s home namespace\nexec ${q(IP)} netns exec ${q(homeNs)} ${q(chromiumPath)} "$@"\n`);
      chmodSync(wrapper, 0o755);

      const viewer = {
        index,
        nat,
        profile: profile.name,
        loss: spec.loss,
        rates: { downMbit: profile.downMbit, upMbit: profile.upMbit },
        shaping: { down: profile.downMbit === null ? null : tbfParams(profile.downMbit), up: profile.upMbit === null ? null : tbfParams(profile.upMbit) },
        homeNs,
        natNs,
        lanAddress: natNs ? LAN_ADDRESS : wanAddress,
        wanAddress,
        chromiumPath: wrapper,
        /** Runs `cmd args` in the home namespace (bounded: `timeoutMs`, default 30 s); rejects on a non-zero exit. */
        exec: (cmd, args = [], o = {}) => inNs(homeNs, cmd, args, { timeoutMs: 30_000, ...o }),
        /** Starts `cmd args` in the home namespace and returns the child (a long-running helper; stop it yourself). */
        spawn: (cmd, args = [], o = {}) => spawn(IP, ['netns', 'exec', homeNs, cmd, ...args], o),
        /**
         * Sets random (independent, per packet) loss on the line in percent: a number for both directions or
         * `{ down, up }`; 0 removes it. Only behind a NAT (cone/symmetric): the NAT namespace drops the packets.
         */
        setLoss: async (next) => {
          if (!natNs) throw new Error(`lab: viewer ${index} has no NAT namespace (nat: 'none'): loss needs a NAT viewer`);
          viewer.loss = normalizeLoss(next, index);
          await setLossRules(natNs, viewer.loss);
        },
        /** Re-shapes the viewer's line to another profile (name, 'mixed', or { downMbit, upMbit }). */
        setProfile: async (next) => {
          const p = resolveProfile(next, index);
          await shape(down, p.downMbit);
          await shape(up, p.upMbit);
          viewer.profile = p.name;
          viewer.rates = { downMbit: p.downMbit, upMbit: p.upMbit };
          viewer.shaping = { down: p.downMbit === null ? null : tbfParams(p.downMbit), up: p.upMbit === null ? null : tbfParams(p.upMbit) };
        },
      };
      await shape(down, profile.downMbit);
      await shape(up, profile.upMbit);
      if (natNs && (spec.loss.down > 0 || spec.loss.up > 0)) await setLossRules(natNs, spec.loss);
      lab.viewers.push(viewer);
    }
  } catch (err) {
    await destroy().catch(() => undefined);
    throw err;
  }
  return lab;
}

/** `{ down, up }` loss in percent from a number (both directions) or an object; checks the range. */
function normalizeLoss(loss, index) {
  const o = typeof loss === 'number' ? { down: loss, up: loss } : { down: loss?.down ?? 0, up: loss?.up ?? 0 };
  for (const [k, p] of Object.entries(o)) {
    if (!(typeof p === 'number' && p >= 0 && p < 100)) throw new Error(`lab: viewer ${index}: bad ${k} loss ${String(p)} (percent, 0 ≤ p < 100)`);
  }
  return Object.freeze(o);
}

/**
 * Fills the NAT namespace's loss chain (jumped to from FORWARD, after the unsolicited-UDP drop): iptables'
 * `statistic --mode random` drops each forwarded packet with the given probability, independently (Bernoulli loss;
 * no bursts). Downlink = forwarded in from the WAN, uplink = forwarded out to it.
 */
async function setLossRules(natNs, { down, up }) {
  const lines = ['*filter', `:${LOSS_CHAIN} - [0:0]`]; // declaring the chain flushes it (--noflush keeps the rest)
  const p = (percent) => (percent / 100).toFixed(6);
  if (down > 0) lines.push(`-A ${LOSS_CHAIN} -i wan -m statistic --mode random --probability ${p(down)} -j DROP`);
  if (up > 0) lines.push(`-A ${LOSS_CHAIN} -o wan -m statistic --mode random --probability ${p(up)} -j DROP`);
  lines.push('COMMIT', '');
  await inNs(natNs, 'iptables-restore', ['--noflush'], { input: lines.join('\n') });
}

/** Puts tbf for `rateMbit` on the egress of [ns, dev] (ns null = this namespace), or removes shaping for null. */
async function shape([ns, dev], rateMbit) {
  if (rateMbit === null) {
    await tc(ns, ['qdisc', 'del', 'dev', dev, 'root'], { allowFail: true });
    return;
  }
  await tc(ns, tbfArgs(dev, rateMbit));
}

/**
 * What of a lab is still there: its named namespaces (in /run/netns) and its interfaces in this namespace.
 * Empty lists once destroy() has done its work.
 */
export function leftovers(lab) {
  const tag = lab.bridge.slice(0, -1);
  const ours = (n) => n === lab.bridge || (n.startsWith(`${tag}v`) && /^\d+$/.test(n.slice(tag.length + 1)));
  const links = (runSync(IP, ['-o', 'link', 'show'])?.stdout ?? '')
    .split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1])
    .filter((n) => n !== undefined && ours(n));
  return { namespaces: namedNamespaces().filter((n) => n.startsWith(`${lab.id}-`)), links, dir: existsSync(lab.dir) };
}
