/**
 * Issue 5 §5: the package as users get it. `npm pack` (of the built dist/), installed offline into an empty
 * directory, then: `swarmfetch`, `swarmfetch/sw` and `swarmfetch/server` resolve with their types under Node's own
 * ESM resolution (tsc, nodenext); the `swarmfetch` bin starts the P2P server; and the README's server snippet,
 * copied verbatim, serves a page whose drop-in tag becomes active in Chromium.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, freePort, launchBrowser, newViewer } from './harness';
import { spawnServer } from './harness/spawnServer.mjs';

const run = promisify(execFile);
const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmfetch-pack-'));
  // dist/ is built by the e2e command (`npm run build` first); pack it as it is
  await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: REPO_ROOT });
  const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'))!;
  // Installed offline from the npm cache: the tests run in a network namespace with no way out. `npm ci` caches
  // tarballs (by integrity) but not the registry documents that resolving version ranges needs, so the install
  // goes through a lockfile: the package itself plus the runtime part of the repository's own lockfile (the exact
  // versions `npm ci` installed here), as a user's install of the same versions would resolve.
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'pack-smoke', private: true, type: 'module', dependencies: { swarmfetch: `file:${tarball}` } }));
  await writeFile(join(dir, 'package-lock.json'), JSON.stringify(await packSmokeLock(tarball)));
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: dir });
}, 180_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface LockEntry { version?: string; dev?: boolean; devOptional?: boolean; link?: boolean; [k: string]: unknown }

/** A lockfile for an empty project that depends on the packed tarball: its runtime dependencies as locked here. */
async function packSmokeLock(tarball: string): Promise<unknown> {
  const lock = JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const root = lock.packages['']!;
  const packages: Record<string, unknown> = {
    '': { name: 'pack-smoke', dependencies: { swarmfetch: `file:${tarball}` } },
    'node_modules/swarmfetch': {
      version: root.version, resolved: `file:${tarball}`, license: root.license, dependencies: root.dependencies, bin: root.bin, engines: root.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path && !entry.dev && !entry.devOptional && !entry.link) packages[path] = entry;
  return { name: 'pack-smoke', lockfileVersion: 3, requires: true, packages };
}

describe('the packed package, installed into an empty directory', () => {
  it('ships ESM with types for swarmfetch, swarmfetch/sw and swarmfetch/server (tsc, nodenext)', async () => {
    await writeFile(join(dir, 'page.ts'), `
import { createSwarmfetch, type SwarmfetchConfig, type SwarmfetchStats } from 'swarmfetch';
import { createSwarmServer, type SwarmServer } from 'swarmfetch/server';
const config: Partial<SwarmfetchConfig> = { registerServiceWorker: false, storeMaxBytes: 8 << 20 };
export const stats = (): SwarmfetchStats => createSwarmfetch(config).stats();
export const peers = (s: SwarmfetchStats): number => s.peerList.reduce((n, p) => n + p.downloadedBytes, 0);
export const start = (): Promise<SwarmServer> => createSwarmServer({ port: 0, host: '127.0.0.1' });
// @ts-expect-error the types are real, not any: unknown options do not compile
createSwarmfetch({ noSuchOption: 1 });
`);
    await writeFile(join(dir, 'sw.ts'), `
import { enableSwarmfetch, swarmfetchRoute, type SwarmfetchRoute } from 'swarmfetch/sw';
export const route: SwarmfetchRoute = swarmfetchRoute({ p2pTimeoutMs: 1000 });
export const worker = enableSwarmfetch();
// @ts-expect-error the types are real, not any
swarmfetchRoute({ p2pTimeoutMs: 'soon' });
`);
    const tsc = (lib: string, file: string) =>
      run(process.execPath, [TSC, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext',
        '--moduleResolution', 'nodenext', '--lib', lib, '--typeRoots', join(REPO_ROOT, 'node_modules/@types'), '--types', 'node', file],
      { cwd: dir }).catch((err: { stdout?: string }) => { throw new Error(`tsc ${file}:\n${err.stdout}`); });
    await Promise.all([tsc('es2022,dom', 'page.ts'), tsc('es2022,webworker', 'sw.ts')]);
    // and at run time, in Node: the server entry loads and the browser entries resolve to files
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `
      const server = await import('swarmfetch/server');
      console.log(typeof server.createSwarmServer, import.meta.resolve('swarmfetch'), import.meta.resolve('swarmfetch/sw'));
    `], { cwd: dir });
    expect(stdout).toMatch(/^function file:\/\/.*\/node_modules\/swarmfetch\/dist\/esm\/index\.js file:\/\/.*\/dist\/esm\/sw\.js/);
  }, 180_000);

  it('starts the P2P server with its bin (`npx swarmfetch server`)', async () => {
    const port = await freePort();
    const server = await spawnServer({
      // what npx runs: the bin link npm made
      args: [join(dir, 'node_modules/.bin/swarmfetch'), 'server', '--port', String(port), '--host', '127.0.0.1'],
      url: `http://127.0.0.1:${port}`, cwd: dir, timeoutMs: 15_000, label: 'packed swarmfetch server',
    });
    try {
      const health = await fetch(`http://127.0.0.1:${port}/swarmfetch/v1/health`);
      expect(health.ok).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('runs the README example: its server snippet serves a page whose drop-in tag becomes active', async () => {
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    const snippet = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes("from 'swarmfetch/server'"));
    expect(snippet, 'README has a server snippet importing swarmfetch/server').toBeTruthy();
    await writeFile(join(dir, 'server.mjs'), snippet!);
    await mkdir(join(dir, 'public'), { recursive: true });
    await writeFile(join(dir, 'public/index.html'),
      '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>site</title>\n<script src="/swarmfetch.js"></script>\n');
    const port = await freePort();
    const server = await spawnServer({
      args: ['server.mjs'], url: `http://127.0.0.1:${port}`, cwd: dir, env: { PORT: String(port) }, timeoutMs: 15_000,
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
      await server.stop();
    }
  }, 60_000);
});
