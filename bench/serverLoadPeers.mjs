// A worker process of bench/serverLoad.mjs (forked by it, never run by hand): holds the signalling sockets of peers
// [from, to) and does what the orchestrator asks over the IPC channel, one command at a time, each answered with one
// message { reply: cmd, ... }:
//   connect { concurrency }      open the slice's sockets (each waits for OPEN); then a heartbeat every 5 s each,
//                                 spread evenly over the 5 s (as PeerJS clients send them);
//   join { startAt, seconds, lanes, ipsPerLane }
//                                 tracker joins of the slice's peers, in `lanes` closed loops, each over keep-alive
//                                 connections from its own `ipsPerLane` gateway addresses 127.3.x.y (bounded: the
//                                 server's fds are nearly all taken by the signalling sockets); per-second counts;
//   relay { seconds, perSec }    CANDIDATE messages from peer k to peer k+1 of the slice (on another node when there are
//                                 several), each timed until the receiver's socket gets it;
//   status                       sockets open, unexpected closes;
//   close                        terminates every socket and exits.
// A parent that goes away ends the worker (IPC 'disconnect').
import { Agent } from 'node:http';
import WebSocket from 'ws';
import { ORIGIN, http, openPeer, peerOf, pool, swarmOf } from './serverLoadCommon.mjs';

const HEARTBEAT_MS = 5_000;
const HEARTBEAT_SLICES = 20;

const cfg = JSON.parse(process.argv[2]);
const bases = cfg.urls.map((u) => new URL(u));
const peers = [];
let unexpectedCloses = 0;
let heartbeat = null;
/** Relay messages in flight: sequence number → send time (performance.now()). */
const relaySent = new Map();
const relayLatencies = [];
let relayReceived = 0;

process.on('disconnect', () => process.exit(0));
process.on('message', async (m) => {
  const reply = await commands[m.cmd](m);
  process.send({ reply: m.cmd, ...reply });
});

function onPeerMessage(data) {
  // only relayed CANDIDATEs carry a payload { t }; PeerJS writes `type` first
  const text = String(data);
  if (!text.startsWith('{"type":"CANDIDATE"')) return;
  let t;
  try {
    t = JSON.parse(text).payload?.t;
  } catch {
    return;
  }
  const sentAt = relaySent.get(t);
  if (sentAt === undefined) return;
  relaySent.delete(t);
  relayReceived++;
  relayLatencies.push(performance.now() - sentAt);
}

const commands = {
  async connect({ concurrency }) {
    const t0 = Date.now();
    const failures = {};
    await pool(cfg.to - cfg.from, concurrency, async (k) => {
      const p = peerOf(cfg.from + k, cfg);
      const r = await openPeer(bases[p.node], p.id, p.token, p.ip);
      if (r.ws && r.first?.type === 'OPEN') {
        const peer = { ...p, ws: r.ws, expectClose: false };
        r.ws.on('close', () => {
          if (!peer.expectClose) unexpectedCloses++;
        });
        r.ws.on('message', onPeerMessage);
        peers.push(peer);
      } else {
        r.ws?.terminate();
        const why = r.error ?? r.first?.type ?? 'unknown';
        failures[why] = (failures[why] ?? 0) + 1;
      }
    });
    peers.sort((a, b) => a.i - b.i);
    let slice = 0;
    heartbeat = setInterval(() => {
      for (let k = slice; k < peers.length; k += HEARTBEAT_SLICES) {
        const ws = peers[k].ws;
        if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"HEARTBEAT"}');
      }
      slice = (slice + 1) % HEARTBEAT_SLICES;
    }, HEARTBEAT_MS / HEARTBEAT_SLICES);
    return { opened: peers.length, failures, ms: Date.now() - t0 };
  },

  async join({ startAt, seconds, lanes, ipsPerLane, laneOffset }) {
    await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
    const until = startAt + seconds * 1000;
    const statuses = {};
    const errors = {};
    const latencies = [];
    const perSecond = new Array(Math.ceil(seconds)).fill(0);
    const agents = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        // one keep-alive connection per gateway address and node
        const mine = Array.from({ length: ipsPerLane }, (_, j) => {
          const g = (laneOffset + lane) * ipsPerLane + j + 1;
          const ip = `127.3.${(g >> 8) & 0xff}.${g & 0xff}`;
          return bases.map(() => {
            const a = new Agent({ keepAlive: true, maxSockets: 1, localAddress: ip });
            agents.push(a);
            return { ip, agent: a };
          });
        });
        for (let j = 0; Date.now() < until && peers.length > 0; j++) {
          const k = next++;
          const p = peers[k % peers.length];
          const { ip, agent } = mine[j % ipsPerLane][p.node];
          const s = performance.now();
          const r = await http(bases[p.node], '/swarmfetch/v1/join', {
            method: 'POST', ip, agent, headers: { origin: ORIGIN },
            body: { peerId: p.id, token: p.token, swarm: swarmOf(k + Math.floor(k / peers.length) * 37, cfg.swarms), want: 10 },
          });
          const done = Date.now();
          latencies.push(performance.now() - s);
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.error) errors[r.error] = (errors[r.error] ?? 0) + 1;
          const second = Math.floor((done - startAt) / 1000);
          if (second < perSecond.length) perSecond[second]++;
        }
      }),
    );
    const ms = Date.now() - startAt;
    for (const a of agents) a.destroy();
    return { count: latencies.length, ms, statuses, errors, latencies, perSecond };
  },

  async relay({ seconds, perSec }) {
    relaySent.clear();
    relayLatencies.length = 0;
    relayReceived = 0;
    let sent = 0;
    const tickMs = 10;
    const perTick = perSec / (1000 / tickMs);
    const t0 = performance.now();
    let k = 0;
    let seq = cfg.from * 1000;
    if (peers.length >= 2) {
      await new Promise((resolve) => {
        const timer = setInterval(() => {
          const due = Math.floor(((performance.now() - t0) / 1000) * perSec) - sent;
          for (let n = 0; n < Math.max(due, 0) && n < perTick * 4; n++) {
            const x = peers[k % peers.length];
            const y = peers[(k + 1) % peers.length];
            k++;
            if (x.ws.readyState !== WebSocket.OPEN) continue;
            const t = seq++;
            relaySent.set(t, performance.now());
            x.ws.send(`{"type":"CANDIDATE","dst":"${y.id}","payload":{"t":${t}}}`);
            sent++;
          }
          if (performance.now() - t0 >= seconds * 1000) {
            clearInterval(timer);
            resolve();
          }
        }, tickMs);
      });
    }
    // late ones: up to 2 s more
    const deadline = performance.now() + 2_000;
    while (relaySent.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return { sent, received: relayReceived, lost: relaySent.size, latencies: relayLatencies.slice() };
  },

  status() {
    return { open: peers.filter((p) => p.ws.readyState === WebSocket.OPEN).length, unexpectedCloses };
  },

  close() {
    clearInterval(heartbeat);
    for (const p of peers) {
      p.expectClose = true;
      p.ws.terminate();
    }
    setTimeout(() => process.exit(0), 50);
    return {};
  },
};
