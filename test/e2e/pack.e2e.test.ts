/**
 * Issue 5 §5, issue 12 §3: the two packages as users get them. `npm pack` of `swarmfetch` (the repository root: page
 * agent, worker, drop-in files) and of `swarmfetch-server` (the workspace in server/), each installed offline into an
 * empty project:
 * - `swarmfetch` alone brings none of the server's dependencies (express, peer, ws); `swarmfetch` and
 *   `swarmfetch/sw` resolve with their types under Node's own ESM resolution (tsc, nodenext), and `require()` gets
 *   the same module as `import` (the exports' `default` condition; Node's require(esm));
 * - `swarmfetch-server`: its types and API from ESM + TypeScript, its bin runs the server (with or without the
 *   `server` word) and `hash`; and the README's server snippet, copied verbatim, serves a page whose drop-in tag
 *   becomes active in Chromium.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, freePort, launchBrowser, newViewer } from './harness';
import { spawnServer } from './harness/spawnServer.mjs';

const run = promisify(execFile);
const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
/** What only the server needs: none of it may reach a project that installs `swarmfetch` alone. */
const SERVER_ONLY = ['@redis/client', 'express', 'peer', 'ws'];

/** A packed package: its tarball's file name (in `dir`), its package.json, and where it lives in the repository. */
interface Packed {
  file: string;
  manifest: { name: string; version: string; license?: string; dependencies?: Record<string, string>; bin?: unknown; engines?: unknown; [k: string]: unknown };
  /** Its folder in the repository's lockfile: '' for the root package, 'server' for the workspace. */
  repoDir: string;
}

let dir: string;
let page: Packed;
let server: Packed;
/** The project that installs `swarmfetch` alone, and the one that installs both packages. */
let pagesOnly: string;
let both: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmfetch-pack-'));
  // dist/ and server/dist/ are built by the e2e command (`npm run build` first); pack them as they are
  page = await pack([], '');
  server = await pack(['--workspace', 'server'], 'server');
  pagesOnly = await consumer('pages-only', [page]);
  both = await consumer('both', [page, server]);
}, 240_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `npm pack` (with `args`) into `dir`; the new tarball and the package.json in it. */
async function pack(args: string[], repoDir: string): Promise<Packed> {
  const before = new Set(await readdir(dir));
  await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, ...args], { cwd: REPO_ROOT });
  const file = (await readdir(dir)).find((f) => f.endsWith('.tgz') && !before.has(f))!;
  const { stdout } = await run('tar', ['-xzOf', join(dir, file), 'package/package.json']);
  return { file, manifest: JSON.parse(stdout) as Packed['manifest'], repoDir };
}

/**
 * An empty project `name` in `dir` that depends on the `packed` tarballs, installed offline from the npm cache: the
 * tests run in a network namespace with no way out. `npm ci` caches tarballs (by integrity) but not the registry
 * documents that resolving version ranges needs, so the install goes through a lockfile: the packages themselves,
 * with the dependencies their packed package.json declares, and what those need, as the repository's own lockfile
 * locks them (the exact versions `npm ci` installed here) — what a user's install of the same versions resolves.
 */
async function consumer(name: string, packed: Packed[]): Promise<string> {
  const project = join(dir, name);
  await mkdir(project);
  const dependencies = Object.fromEntries(packed.map((p) => [p.manifest.name, `file:../${p.file}`]));
  await writeFile(join(project, 'package.json'), JSON.stringify({ name, private: true, type: 'module', dependencies }));
  await writeFile(join(project, 'package-lock.json'), JSON.stringify(await consumerLock(name, dependencies, packed)));
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: project });
  return project;
}

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [k: string]: unknown;
}

/** The lock path where Node finds `name` from the package at lock path `from`: its node_modules, then its parents'. */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let base = from; ; ) {
    const path = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[path]) return path;
    if (!base) return undefined;
    const up = base.lastIndexOf('/node_modules/');
    base = up >= 0 ? base.slice(0, up) : '';
  }
}

/** What a lock entry needs installed: dependencies, optional ones (if locked), peers not marked optional. */
function needs(entry: LockEntry): { name: string; optional: boolean }[] {
  return [
    ...Object.keys(entry.dependencies ?? {}).map((name) => ({ name, optional: false })),
    ...Object.keys(entry.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
    ...Object.keys(entry.peerDependencies ?? {}).map((name) => ({ name, optional: !!entry.peerDependenciesMeta?.[name]?.optional })),
  ];
}

/** A lockfile for project `name` depending on the `packed` tarballs: them and their runtime dependencies, as locked here. */
async function consumerLock(name: string, dependencies: Record<string, string>, packed: Packed[]): Promise<unknown> {
  const repo = (JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  const packages: Record<string, unknown> = { '': { name, dependencies } };
  // a workspace's own node_modules (server/node_modules/x) goes under its package in the project
  const inProject = (repoPath: string) => {
    const owner = packed.find((p) => p.repoDir && repoPath.startsWith(`${p.repoDir}/`));
    return owner ? `node_modules/${owner.manifest.name}/${repoPath.slice(owner.repoDir.length + 1)}` : repoPath;
  };
  const queue: { from: string; entry: LockEntry }[] = [];
  for (const { file, manifest, repoDir } of packed) {
    const { version, license, dependencies: deps, bin, engines } = manifest;
    packages[`node_modules/${manifest.name}`] = { version, resolved: `file:../${file}`, license, dependencies: deps, bin, engines };
    queue.push({ from: repoDir, entry: manifest });
  }
  for (let next = queue.shift(); next; next = queue.shift()) {
    for (const need of needs(next.entry)) {
      const path = locate(repo, next.from, need.name);
      if (!path) {
        if (need.optional) continue;
        throw new Error(`package-lock.json locks no ${need.name} for ${next.from || 'the root package'}`);
      }
      if (packages[inProject(path)]) continue;
      const { dev, devOptional, ...entry } = repo[path]!;
      packages[inProject(path)] = entry;
      queue.push({ from: path, entry });
    }
  }
  return { name, lockfileVersion: 3, requires: true, packages };
}

/** Type-checks `file` of `project` as a user's ESM TypeScript under Node's resolution (nodenext). */
function tsc(project: string, lib: string, file: string) {
  return run(process.execPath, [TSC, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--lib', lib, '--typeRoots', join(REPO_ROOT, 'node_modules/@types'), '--types', 'node', file],
  { cwd: project }).catch((err: { stdout?: string }) => { throw new Error(`tsc ${file}:\n${err.stdout}`); });
}

describe('swarmfetch, installed alone into an empty project', () => {
  it('brings none of the server dependencies (express, peer, ws)', async () => {
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies'] as const) {
      expect(Object.keys((page.manifest[field] ?? {}) as object).filter((d) => SERVER_ONLY.includes(d)), field).toEqual([]);
    }
    const installed = await readdir(join(pagesOnly, 'node_modules'));
    // what swarmfetch needs is there: the install really happened
    expect(installed).toEqual(expect.arrayContaining(['swarmfetch', 'comlink', 'workbox-core']));
    expect(installed).not.toContain('peerjs'); // bundled, trimmed, into dist/esm/index.js
    expect(installed.filter((d) => [...SERVER_ONLY, 'swarmfetch-server'].includes(d))).toEqual([]);
    for (const d of SERVER_ONLY) expect(existsSync(join(pagesOnly, 'node_modules', d)), d).toBe(false);
  });

  it('ships ESM with types for swarmfetch and swarmfetch/sw (tsc, nodenext); swarmfetch/server is gone', async () => {
    await writeFile(join(pagesOnly, 'page.ts'), `
import { createSwarmfetch, type SwarmfetchConfig, type SwarmfetchStats } from 'swarmfetch';
const config: Partial<SwarmfetchConfig> = { registerServiceWorker: false, storeMaxBytes: 8 << 20 };
export const stats = (): SwarmfetchStats => createSwarmfetch(config).stats();
export const peers = (s: SwarmfetchStats): number => s.peerList.reduce((n, p) => n + p.downloadedBytes, 0);
// @ts-expect-error the types are real, not any: unknown options do not compile
createSwarmfetch({ noSuchOption: 1 });
`);
    await writeFile(join(pagesOnly, 'sw.ts'), `
import { enableSwarmfetch, swarmfetchRoute, type SwarmfetchRoute } from 'swarmfetch/sw';
export const route: SwarmfetchRoute = swarmfetchRoute({ p2pTimeoutMs: 1000 });
export const worker = enableSwarmfetch();
// @ts-expect-error the types are real, not any
swarmfetchRoute({ p2pTimeoutMs: 'soon' });
`);
    await Promise.all([tsc(pagesOnly, 'es2022,dom', 'page.ts'), tsc(pagesOnly, 'es2022,webworker', 'sw.ts')]);
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `
      let server;
      try { import.meta.resolve('swarmfetch/server'); server = 'resolves'; } catch (err) { server = err.code; }
      console.log(import.meta.resolve('swarmfetch'), import.meta.resolve('swarmfetch/sw'), server);
    `], { cwd: pagesOnly });
    expect(stdout.trim()).toMatch(/^file:\/\/.*\/node_modules\/swarmfetch\/dist\/esm\/index\.js file:\/\/.*\/dist\/esm\/sw\.js ERR_PACKAGE_PATH_NOT_EXPORTED$/);
  }, 120_000);

  it('gives require() the same ESM module as import (exports: default condition, Node ≥ 20.19 require(esm))', async () => {
    await writeFile(join(pagesOnly, 'check.cjs'), `
const agent = require('swarmfetch');
import('swarmfetch').then((esm) => {
  console.log(JSON.stringify({
    createSwarmfetch: typeof agent.createSwarmfetch, same: esm.createSwarmfetch === agent.createSwarmfetch,
    sw: require.resolve('swarmfetch/sw'), dropin: require.resolve('swarmfetch/swarmfetch.js'),
  }));
});
`);
    const { stdout } = await run(process.execPath, ['check.cjs'], { cwd: pagesOnly });
    const got = JSON.parse(stdout) as Record<string, unknown>;
    expect(got).toMatchObject({ createSwarmfetch: 'function', same: true });
    expect(got.sw).toMatch(/\/node_modules\/swarmfetch\/dist\/esm\/sw\.js$/);
    expect(got.dropin).toMatch(/\/node_modules\/swarmfetch\/dist\/swarmfetch\.js$/);
  });
});

describe('swarmfetch-server, installed with swarmfetch into an empty project', () => {
  it('ships ESM with types (tsc, nodenext) and its API runs, from import and from require', async () => {
    expect(Object.keys(server.manifest.dependencies ?? {}).sort()).toEqual(SERVER_ONLY);
    await writeFile(join(both, 'server.ts'), `
import { annotatePlaylist, createSwarmServer, TRACKER_PATH, type SwarmServer, type SwarmServerOptions } from 'swarmfetch-server';
const options: Partial<SwarmServerOptions> = { port: 0, host: '127.0.0.1', maxPeers: 10 };
export const start = (): Promise<SwarmServer> => createSwarmServer(options);
export const tag = (text: string): string => annotatePlaylist(text, () => undefined);
export const health = (s: SwarmServer): string => s.url + TRACKER_PATH + '/health';
// @ts-expect-error the types are real, not any: unknown options do not compile
createSwarmServer({ noSuchOption: 1 });
`);
    await tsc(both, 'es2022', 'server.ts');
    await writeFile(join(both, 'start.mjs'), `
import { createRequire } from 'node:module';
import { createSwarmServer, TRACKER_PATH } from 'swarmfetch-server';
const required = createRequire(import.meta.url)('swarmfetch-server');
const server = await createSwarmServer({ port: 0, host: '127.0.0.1', stun: false });
const res = await fetch(server.url + TRACKER_PATH + '/health');
console.log(JSON.stringify({ health: res.status, same: required.createSwarmServer === createSwarmServer }));
await server.close();
process.exit(0);
`);
    const { stdout } = await run(process.execPath, ['start.mjs'], { cwd: both, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ health: 200, same: true });
  }, 120_000);

  it('starts the P2P server with its bin: `npx swarmfetch-server --port N`, and `… server --port N` as before', async () => {
    for (const words of [[], ['server']]) {
      const port = await freePort();
      const running = await spawnServer({
        // what npx runs: the bin link npm made
        args: [join(both, 'node_modules/.bin/swarmfetch-server'), ...words, '--port', String(port), '--host', '127.0.0.1'],
        url: `http://127.0.0.1:${port}`, cwd: both, timeoutMs: 15_000, label: `packed swarmfetch-server ${words.join(' ')}`,
      });
      try {
        const health = await fetch(`http://127.0.0.1:${port}/swarmfetch/v1/health`);
        expect(health.status).toBe(200);
        expect(running.output()).toContain(`listening on http://127.0.0.1:${port}`);
      } finally {
        await running.stop();
      }
    }
  }, 60_000);

  it("hashes media with `npx swarmfetch-server hash <dir>`, prints its version, and swarmfetch's bin points to it", async () => {
    const bin = (name: string, ...args: string[]) => run(process.execPath, [join(both, 'node_modules/.bin', name), ...args], { cwd: both });
    await mkdir(join(both, 'media'));
    await writeFile(join(both, 'media/seg1.ts'), Buffer.alloc(1000, 7));
    const hashed = await bin('swarmfetch-server', 'hash', 'media');
    expect(hashed.stdout).toContain('1 media files hashed');
    const manifest = JSON.parse(await readFile(join(both, 'media/swarmfetch-integrity.json'), 'utf8')) as { files: Record<string, unknown> };
    expect(Object.keys(manifest.files)).toEqual(['seg1.ts']);
    expect((await bin('swarmfetch-server', '--version')).stdout.trim()).toBe(server.manifest.version);
    // the old command, from the page package: a clear pointer, exit code 1
    const old = await bin('swarmfetch', 'server', '--port', '8080').then(() => null, (err: { code?: number; stderr?: string }) => err);
    expect(old?.code).toBe(1);
    expect(old?.stderr).toContain('npx swarmfetch-server server --port 8080');
  });

  it('runs the README example: its server snippet serves a page whose drop-in tag becomes active', async () => {
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    const snippet = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes("from 'swarmfetch-server'"));
    expect(snippet, 'README has a server snippet importing swarmfetch-server').toBeTruthy();
    await writeFile(join(both, 'readme-server.mjs'), snippet!);
    await mkdir(join(both, 'public'), { recursive: true });
    await writeFile(join(both, 'public/index.html'),
      '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>site</title>\n<script src="/swarmfetch.js"></script>\n');
    const port = await freePort();
    const running = await spawnServer({
      args: ['readme-server.mjs'], url: `http://127.0.0.1:${port}`, cwd: both, env: { PORT: String(port) }, timeoutMs: 15_000,
      label: 'README server snippet',
    });
    const browser = await launchBrowser();
    try {
      const viewer = await newViewer(browser, `http://127.0.0.1:${port}/`);
      // active: the service worker controls the page; peerId: signalling with the packed server is up
      await viewer.page.waitForFunction(
        '(() => { const s = window.swarmfetch && window.swarmfetch.stats(); return !!s && s.active && !!s.peerId; })()',
        null, { timeout: 20_000 },
      );
      expect(viewer.errors).toEqual([]);
      await viewer.close();
    } finally {
      await browser.close();
      await running.stop();
    }
  }, 60_000);
});
