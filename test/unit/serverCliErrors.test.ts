import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SwarmError } from '../../core/SwarmError';
import { main } from '../../server/cli';
import { describeCliError, formatCliError } from '../../server/cliError';
import { createSwarmServer, type SwarmServer } from '../../server/index';
import { packageVersion } from '../../server/packageVersion';

/** What `fn` rejects with. */
async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('it did not fail');
}

let dir: string;
const servers: SwarmServer[] = [];
const udp: UdpSocket[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmfetch-cli-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const s of udp.splice(0)) s.close();
  await rm(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe('swarmfetch errors, as printed', () => {
  it('names the flag of a server option that mergeServerOptions refused (a missing --static dir: where relative paths start)', async () => {
    const err = await rejection(() => main(['server', '--port', '0', '--static', '/m=no-such-dir'], {}));
    expect(SwarmError.is(err, 'config-invalid')).toBe(true);
    expect(describeCliError(err, '/srv')).toEqual({
      message: "--static: dir 'no-such-dir' does not exist",
      hint: 'relative paths start at the current directory, /srv',
      stack: null,
    });
    const origin = await rejection(() => main(['server', '--port', '0', '--allow-origin', 'ftp://a.example'], {}));
    expect(describeCliError(origin).message).toBe("--allow-origin: entries must be origins like https://a.example (got 'ftp://a.example')");
    const secret = await rejection(() => main(['server', '--port', '0', '--turn-url', 'turn:t.example', '--turn-secret', 'short'], {}));
    expect(describeCliError(secret).message).toMatch(/^--turn-secret: must be a string of 16–1024 characters/);
    expect(describeCliError(secret).message).not.toContain('short');
  });

  it('says which TCP port is taken and to use --port, without a stack', async () => {
    const first = await createSwarmServer({ port: 0, stun: false, log: () => {} });
    servers.push(first);
    const err = await rejection(() => main(['server', '--port', String(first.port), '--no-stun'], {}));
    expect(describeCliError(err)).toEqual({
      message: `TCP port ${first.port} on 127.0.0.1 is already in use`,
      hint: expect.stringContaining('--port N') as unknown as string,
      stack: null,
    });
    expect(formatCliError(err)).toBe(
      `swarmfetch: TCP port ${first.port} on 127.0.0.1 is already in use\n  another program listens there: stop it, or choose another port with --port N (0 = any free port)`,
    );
  });

  it('says which UDP port the STUN responder could not bind and to use --stun-port or --no-stun', async () => {
    const taken = createSocket('udp4');
    udp.push(taken);
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', () => r()));
    const stunPort = taken.address().port;
    const err = await rejection(() => main(['server', '--port', '0', '--stun-port', String(stunPort)], {}));
    const { message, hint, stack } = describeCliError(err);
    expect(message).toBe(`UDP port ${stunPort} on 127.0.0.1 (the STUN responder, on the HTTP port's number by default) is already in use`);
    expect(hint).toMatch(/--stun-port N.*--no-stun/);
    expect(stack).toBeNull();
  });

  it('prints one JSON line with --log-format json', () => {
    const err = new SwarmError('config-invalid', '--port needs a value', { hint: 'write --port N' });
    const line = formatCliError(err, 'json');
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({ time: expect.any(String), level: 'error', msg: '--port needs a value', hint: 'write --port N' });
  });

  it('keeps the stack of what is a bug, not the user\'s mistake', () => {
    const report = describeCliError(new TypeError('x is not a function'));
    expect(report.message).toBe('internal error: x is not a function');
    expect(report.stack).toContain('TypeError');
  });
});

describe('swarmfetch hash, failing clearly', () => {
  it('fails on a directory without media files, naming the pattern, and writes nothing', async () => {
    await writeFile(join(dir, 'notes.txt'), 'x');
    await mkdir(join(dir, 'empty'));
    const err = await rejection(() => main(['hash', dir], {}));
    expect(SwarmError.is(err, 'config-invalid')).toBe(true);
    const { message, hint } = describeCliError(err);
    expect(message).toBe(`no media files under ${dir} match the pattern /\\.(ts|m4s|mp4|m4v|m4a|aac|cmfv|cmfa)$/i`);
    expect(hint).toMatch(/--pattern/);
    expect((await readdir(dir)).sort()).toEqual(['empty', 'notes.txt']);
    const other = await rejection(() => main(['hash', join(dir, 'empty'), '--pattern', '\\.webm$'], {}));
    expect(describeCliError(other).message).toContain('/\\.webm$/i');
  });

  it('says which directory does not exist', async () => {
    const missing = join(dir, 'nope');
    const err = await rejection(() => main(['hash', missing], {}));
    expect(describeCliError(err, '/srv')).toEqual({
      message: `no such directory: ${missing}`, hint: 'relative paths start at the current directory, /srv', stack: null,
    });
  });
});

describe('swarmfetch --version', () => {
  const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

  it("prints package.json's version", async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await main(['--version'], {});
    expect(log).toHaveBeenCalledWith(version);
  });

  it('finds package.json above the module, in the repository as in the installed package, and says unknown elsewhere', async () => {
    expect(packageVersion()).toBe(version);
    // the installed layout: <pkg>/package.json, <pkg>/dist/esm/chunks/<chunk>.js
    const pkg = join(dir, 'node_modules', 'swarmfetch');
    await mkdir(join(pkg, 'dist', 'esm', 'chunks'), { recursive: true });
    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'swarmfetch', version: '9.8.7' }));
    // a package.json of another name on the way (dist/esm/package.json with only "type") is passed over
    await writeFile(join(pkg, 'dist', 'esm', 'package.json'), JSON.stringify({ type: 'module' }));
    expect(packageVersion(pathToFileURL(join(pkg, 'dist', 'esm', 'chunks', 'x.js')).href)).toBe('9.8.7');
    expect(packageVersion(pathToFileURL(join(pkg, 'dist', 'esm', 'cli.js')).href)).toBe('9.8.7');
    expect(packageVersion(pathToFileURL(join(dir, 'elsewhere', 'x.js')).href)).toBe('unknown');
    expect(packageVersion('not a url')).toBe('unknown');
  });
});
