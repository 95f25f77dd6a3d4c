#!/usr/bin/env node
// A small UDP probe to run inside a lab namespace (`viewer.exec('node', [UDP_PROBE, JSON.stringify(plan)])`): it binds
// one socket, sends datagrams, listens, and prints what happened as one JSON line. Used to verify the NAT kinds
// (test/lab/README.md): the mapped port the receivers observe, and whether unsolicited datagrams get in.
//
// plan: {
//   port?: number,                                  // local port to bind (0 = any)
//   send?: { address: string, port: number }[],     // one datagram ("probe <i>") to each, at the start
//   connect?: { address: string, port: number },    // or: a connected socket sending `count` datagrams `everyMs`
//   count?: number, everyMs?: number,
//   listenMs?: number,                              // how long to listen after the last send (default 1000)
// }
// prints: { localPort, received: [{ from: 'addr:port', data }], errors: ['ECONNREFUSED', …] }
// A connected UDP socket reports an ICMP port-unreachable as ECONNREFUSED on a later send: `errors` tells whether the
// other side answered with ICMP (the kernel's default) or dropped silently (what the lab's NATs do).
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';

export const UDP_PROBE = fileURLToPath(import.meta.url);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const plan = JSON.parse(process.argv[2] ?? '{}');
  const socket = createSocket('udp4');
  const received = [];
  const errors = [];
  socket.on('message', (msg, rinfo) => received.push({ from: `${rinfo.address}:${rinfo.port}`, data: msg.toString('utf8') }));
  socket.on('error', (err) => errors.push(err.code ?? err.message));
  await new Promise((resolve) => socket.bind(plan.port ?? 0, resolve));
  const localPort = socket.address().port;
  const sent = (err) => err && errors.push(err.code ?? err.message);
  for (const [i, to] of (plan.send ?? []).entries()) socket.send(`probe ${i}`, to.port, to.address, sent);
  if (plan.connect) {
    await new Promise((resolve) => socket.connect(plan.connect.port, plan.connect.address, resolve));
    for (let i = 0; i < (plan.count ?? 3); i++) {
      socket.send(`probe ${i}`, sent);
      await sleep(plan.everyMs ?? 100);
    }
  }
  await sleep(plan.listenMs ?? 1000);
  socket.close();
  process.stdout.write(`${JSON.stringify({ localPort, received, errors })}\n`);
}

if (process.argv[1] === UDP_PROBE) {
  main().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  });
}
