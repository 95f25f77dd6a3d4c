// A TURN/STUN server for the network lab: Debian's coturn (`turnserver`, 4.6) on the lab's public address, with
// the TURN REST API's shared-secret credentials. Plain JavaScript so `node bench/run.mjs` needs no TypeScript runner.
//
//   const turn = await startCoturn({ address: lab.publicAddress, secret: 'lab' });
//   new RTCPeerConnection({ iceServers: [turn.iceServer('viewer-1')] })
//   await turn.stop();
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TURNSERVER = ['/usr/bin/turnserver', '/usr/local/bin/turnserver'].find((p) => existsSync(p)) ?? 'turnserver';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The coturn switches startCoturn uses (exported so a test or the README can show them):
 * - `-n`: no configuration file (Debian's /etc/turnserver.conf is not read);
 * - `--listening-ip` and `--relay-ip` = the lab address: clients and peers see one address;
 * - `--use-auth-secret --static-auth-secret --realm`: TURN REST API credentials (username `expiry:user`,
 *   password base64(HMAC-SHA1(secret, username)));
 * - `--no-tls --no-dtls`: no certificates; `--no-cli`: no telnet CLI on 127.0.0.1:5766;
 * - `--no-multicast-peers`: coturn 4.6 allows multicast/broadcast peers unless told (its default denies only
 *   loopback peers, which the lab does not use); the lab's 203.0.113.0/24 peers need nothing: no default
 *   denied-peer-ip covers them (measured: a relay to a peer at 203.0.113.x works with no allowed-peer-ip);
 * - `--no-rfc5780`: NAT behaviour discovery needs a second address (coturn would warn and disable it);
 * - `--no-software-attribute`, `--fingerprint`: as browsers expect from a production server;
 * - `--min-port/--max-port`: the relay ports (default 49152–65535 of RFC 5766);
 * - `--pidfile`, `--log-file` (+ `--simple-log`, `--no-stdout-log`) in a temp directory.
 */
export function coturnArgs({ address, port, secret, realm, dir, minPort, maxPort, verbose }) {
  return [
    '-n',
    `--listening-ip=${address}`,
    `--relay-ip=${address}`,
    `--listening-port=${port}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    `--realm=${realm}`,
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--no-multicast-peers',
    '--no-rfc5780',
    '--no-software-attribute',
    '--fingerprint',
    `--min-port=${minPort}`,
    `--max-port=${maxPort}`,
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--log-file=${join(dir, 'turnserver.log')}`,
    '--simple-log',
    '--no-stdout-log',
    ...(verbose ? ['--verbose'] : []),
  ];
}

/** TURN REST API credentials for `user`, valid `ttlSeconds`: `{ username: 'expiry:user', credential }`. */
export function turnCredentials(secret, user, ttlSeconds = 24 * 3600) {
  const username = `${Math.floor(Date.now() / 1000) + ttlSeconds}:${user}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/** Sends STUN Binding requests to address:port until one is answered (true) or `timeoutMs` passes (false). */
export async function stunPing(address, port, timeoutMs = 1_000) {
  const socket = createSocket('udp4');
  try {
    const tid = randomBytes(12);
    const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), tid]);
    const answered = new Promise((resolve) => {
      socket.on('message', (msg) => {
        // a Binding success response (0x0101) to our transaction
        if (msg.length >= 20 && msg.readUInt16BE(0) === 0x0101 && msg.subarray(8, 20).equals(tid)) resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      socket.send(request, port, address);
      const r = await Promise.race([answered, sleep(100).then(() => null)]);
      if (r !== null) return r;
    }
    return false;
  } finally {
    socket.close();
  }
}

/**
 * Starts coturn on `address:port` (UDP and TCP) with shared-secret credentials and waits (at most `timeoutMs`)
 * until it answers a STUN Binding request there. Returns `{ address, port, urls, pid, dir, log(),
 * credentials(user, ttl?), iceServer(user, ttl?), stop() }`; stop() ends it (SIGTERM, SIGKILL after 3 s) and
 * removes its temp directory.
 * @param {{ address: string, port?: number, secret: string, realm?: string, minPort?: number, maxPort?: number,
 *   timeoutMs?: number, verbose?: boolean }} options
 */
export async function startCoturn({
  address,
  port = 3478,
  secret,
  realm = 'swarmfetch.lab',
  minPort = 49152,
  maxPort = 65535,
  timeoutMs = 10_000,
  verbose = false,
}) {
  if (!address) throw new Error('startCoturn: give the address to listen and relay on (e.g. lab.publicAddress)');
  if (!secret) throw new Error('startCoturn: give a shared secret');
  const dir = mkdtempSync(join(tmpdir(), `sflab-${process.pid}-turn-`));
  const child = spawn(TURNSERVER, coturnArgs({ address, port, secret, realm, dir, minPort, maxPort, verbose }), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output = (output + d).slice(-64 * 1024)));
  child.stderr.on('data', (d) => (output = (output + d).slice(-64 * 1024)));
  const spawnError = new Promise((resolve) => child.once('error', resolve));
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  const exited = new Promise((resolve) => child.once('close', resolve));
  const log = () => {
    // coturn may add a date to the log file's name; read whatever it wrote in its directory
    try {
      return readdirSync(dir)
        .filter((f) => f.startsWith('turnserver') && f.endsWith('.log'))
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .join('\n');
    } catch {
      return '';
    }
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!ended()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const onExit = () => {
    if (!ended()) child.kill('SIGKILL');
  };
  process.once('exit', onExit);

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const err = await Promise.race([spawnError, sleep(0).then(() => null)]);
    if (err) {
      await stop();
      throw new Error(`startCoturn: cannot run ${TURNSERVER}: ${err.message} (apt-get install -y coturn)`);
    }
    if (ended()) {
      const text = `${output}\n${log()}`.trim().slice(-4000);
      await stop();
      throw new Error(`startCoturn: turnserver exited (${child.exitCode ?? child.signalCode}) before it answered:\n${text}`);
    }
    if (await stunPing(address, port, 300)) break;
    if (Date.now() > deadline) {
      const text = `${output}\n${log()}`.trim().slice(-4000);
      await stop();
      throw new Error(`startCoturn: no STUN answer from ${address}:${port} within ${timeoutMs} ms:\n${text}`);
    }
  }

  const credentials = (user, ttlSeconds) => turnCredentials(secret, user, ttlSeconds);
  return {
    address,
    port,
    realm,
    pid: /** @type {number} */ (child.pid),
    dir,
    urls: [`turn:${address}:${port}?transport=udp`, `turn:${address}:${port}?transport=tcp`],
    stunUrl: `stun:${address}:${port}`,
    log,
    credentials,
    /** An RTCIceServer for `user` (TURN over UDP and TCP; the server also answers STUN). */
    iceServer: (user, ttlSeconds) => ({
      urls: [`turn:${address}:${port}?transport=udp`, `turn:${address}:${port}?transport=tcp`],
      ...credentials(user, ttlSeconds),
    }),
    stop: async () => {
      process.removeListener('exit', onExit);
      await stop();
    },
  };
}
