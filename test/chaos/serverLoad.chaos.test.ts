// Issue 4 §6: the P2P server under load. The real server CLI runs as one process; bench/serverLoad.mjs, a second
// process on loopback, opens 1000 signalling websockets (4 per source address 127.1.x.y), sends tracker joins for
// 10 s, then garbage. Figures (peers held, announces/s, RSS per peer) are printed; what is asserted is that every peer
// was held, no well-behaved request failed, each kind of garbage got its clear error, and the server stayed up.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, freePort } from '../e2e/harness';
import { spawnServer } from '../e2e/harness/spawnServer.mjs';

const PEERS = 1000;
const ANNOUNCE_SECONDS = 10;

interface GarbageCase {
  name: string;
  serverUp: boolean;
  code?: number;
  reason?: string;
  first?: string;
  msg?: string;
  status?: number;
  body?: string;
  opened?: number;
  refused429?: number;
  statuses?: Record<string, number>;
  statusLine?: string;
  error?: string;
}

interface LoadReport {
  connect: { opened: number; failures: Record<string, number>; ms: number; peersHeldByServer: number; rssPerPeerBytes: number | null };
  announce: { requests: number; perSec: number; serverCpuMs: number | null; perServerCpuSec: number | null; statuses: Record<string, number>; p50Ms: number; p99Ms: number; rssPerPeerBytes: number | null };
  garbage: GarbageCase[];
  after: { stillOpen: number; unexpectedCloses: number; sampleJoinStatuses: number[]; peersHeldByServer: number };
  totalMs: number;
}

function runLoad(url: string, pid: number): Promise<LoadReport> {
  const args = [
    join(REPO_ROOT, 'bench/serverLoad.mjs'), '--url', url, '--server-pid', String(pid),
    '--peers', String(PEERS), '--peers-per-ip', '4', '--announce-seconds', String(ANNOUNCE_SECONDS),
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-64 * 1024)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`serverLoad exited ${code ?? signal}:\n${err}`));
      try {
        resolve(JSON.parse(out) as LoadReport);
      } catch {
        reject(new Error(`serverLoad printed no report:\n${out}\n${err}`));
      }
    });
  });
}

describe('P2P server under load (second process on loopback)', () => {
  let server: Awaited<ReturnType<typeof spawnServer>>;
  let report: LoadReport;

  beforeAll(async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    server = await spawnServer({
      args: [join(REPO_ROOT, 'server/bin/swarmfetch-server.js'), 'server', '--port', String(port), '--host', '127.0.0.1'],
      url,
      cwd: REPO_ROOT,
      timeoutMs: 15_000,
      label: 'P2P server',
    });
    report = await runLoad(url, server.pid);
    const mib = (b: number | null) => (b === null ? 'n/a' : `${(b / 1024).toFixed(1)} KiB`);
    console.log(
      [
        `server load: ${report.connect.opened}/${PEERS} peers opened in ${report.connect.ms} ms, held by server: ${report.connect.peersHeldByServer}`,
        `  RSS per peer: ${mib(report.connect.rssPerPeerBytes)} (signalling only), ${mib(report.announce.rssPerPeerBytes)} (after ${report.announce.requests} joins)`,
        `  announces: ${report.announce.perSec}/s over ${ANNOUNCE_SECONDS} s (${report.announce.perServerCpuSec ?? 'n/a'} per second of server CPU), p50 ${report.announce.p50Ms} ms, p99 ${report.announce.p99Ms} ms, statuses ${JSON.stringify(report.announce.statuses)}`,
        ...report.garbage.map((g) => `  garbage: ${g.name} → ${JSON.stringify({ ...g, name: undefined, serverUp: undefined })}${g.serverUp ? '' : ' SERVER DOWN'}`),
        `  after: ${JSON.stringify(report.after)}; total ${report.totalMs} ms`,
      ].join('\n'),
    );
  }, 150_000);

  afterAll(async () => {
    await server?.stop();
  });

  const garbage = (name: string): GarbageCase => {
    const g = report.garbage.find((c) => c.name === name);
    if (!g) throw new Error(`no garbage case '${name}'`);
    return g;
  };

  it('holds every peer and answers every well-behaved announce', () => {
    expect(report.connect.failures).toEqual({});
    expect(report.connect.opened).toBe(PEERS);
    expect(report.connect.peersHeldByServer).toBe(PEERS);
    expect(report.announce.requests).toBeGreaterThan(0);
    expect(Object.keys(report.announce.statuses)).toEqual(['200']);
  });

  it('closes signalling sockets that send garbage, each with its close code', () => {
    expect(garbage('signalling: bad JSON')).toMatchObject({ code: 1007, reason: 'bad-message' });
    expect(garbage('signalling: not an object')).toMatchObject({ code: 1007, reason: 'bad-message' });
    expect(garbage('signalling: binary message')).toMatchObject({ code: 1007, reason: 'bad-message' });
    expect(garbage('signalling: 1 MiB message')).toMatchObject({ code: 1009 });
    expect(garbage('signalling: flood of 2000 messages')).toMatchObject({ code: 1008, reason: 'rate-exceeded' });
    expect(garbage('signalling: LEAVE without dst')).toMatchObject({ code: 1000, reason: 'leave' });
    expect(garbage('signalling: 40 offers of 48 KB to absent ids')).toMatchObject({ expired: 24 });
    expect(garbage('signalling: wrong key')).toMatchObject({ first: 'ERROR', msg: 'Invalid key provided' });
    expect(garbage("signalling: another peer's id")).toMatchObject({ first: 'ID-TAKEN' });
    expect(garbage('signalling: 100 connections from one IP')).toMatchObject({ opened: 64, refused429: 36 });
  });

  it('answers bad tracker requests with their error', () => {
    expect(garbage('tracker: bad JSON')).toMatchObject({ status: 400, body: '{"error":"bad-request"}' });
    expect(garbage('tracker: wrong types')).toMatchObject({ status: 400, body: '{"error":"bad-request"}' });
    expect(garbage('tracker: 1 MiB body')).toMatchObject({ status: 413, body: '{"error":"too-large"}' });
    expect(garbage('tracker: forged token')).toMatchObject({ status: 403, body: '{"error":"forbidden"}' });
    expect(garbage("tracker: another site's swarm")).toMatchObject({ status: 403, body: '{"error":"wrong-origin"}' });
    const flood = garbage('tracker: flood of 300 requests from one IP').statuses ?? {};
    expect(Object.keys(flood).sort()).toEqual(['403', '429']);
    expect(flood['429']).toBeGreaterThan(0);
    expect(garbage('raw TCP: junk bytes').statusLine).toBe('HTTP/1.1 400 Bad Request');
  });

  it('stays up through all of it, and the well-behaved peers notice nothing', () => {
    expect(report.garbage.filter((g) => !g.serverUp).map((g) => g.name)).toEqual([]);
    expect(report.after.stillOpen).toBe(PEERS);
    expect(report.after.unexpectedCloses).toBe(0);
    expect(report.after.peersHeldByServer).toBe(PEERS);
    expect(report.after.sampleJoinStatuses.every((s) => s === 200)).toBe(true);
    // each drop was logged with its reason
    const log = server.output();
    for (const reason of ['bad-message', 'message-too-large', 'rate-exceeded', 'too-many-connections']) {
      expect(log, reason).toContain(`dropped (${reason})`);
    }
  });
});
