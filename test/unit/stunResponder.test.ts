import { createSocket, type Socket } from 'node:dgram';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { StunResponder } from '../../server/StunResponder';
import { MAX_STUN_RESPONSE_BYTES } from '../../server/stunMessage';

const cookieAndType = Buffer.from('000100002112a442', 'hex');
/** A bare Binding Request (what Chromium sends a STUN server) with transaction id `n` in its last bytes. */
function bindingRequest(n = 1): Buffer {
  const b = Buffer.concat([cookieAndType, Buffer.alloc(12)]);
  b.writeUInt32BE(n, 16);
  return b;
}

/** The sender's address and port from a response's XOR-MAPPED-ADDRESS (decoded here, apart from the codec). */
function mapped(res: Buffer): { address: string; port: number } {
  let at = 20;
  while (res.readUInt16BE(at) !== 0x0020) at += 4 + Math.ceil(res.readUInt16BE(at + 2) / 4) * 4;
  const family = res[at + 5];
  const port = res.readUInt16BE(at + 6) ^ 0x2112;
  const ip = [...res.subarray(at + 8, at + 8 + (family === 1 ? 4 : 16))].map((b, i) => b ^ res[4 + i]!);
  if (family === 1) return { address: ip.join('.'), port };
  const words = Array.from({ length: 8 }, (_, i) => ((ip[2 * i]! << 8) | ip[2 * i + 1]!).toString(16));
  return { address: words.join(':').replace(/(^|:)0(:0)+(:|$)/, '::'), port };
}

const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((x) => x.close()));
});

async function responder(options: Partial<Parameters<typeof StunResponder.listen>[0]> = {}): Promise<StunResponder> {
  const r = await StunResponder.listen({ host: '127.0.0.1', port: 0, ...options });
  opened.push(r);
  return r;
}

function client(type: 'udp4' | 'udp6' = 'udp4', host = type === 'udp4' ? '127.0.0.1' : '::1'): Promise<Socket> {
  const socket = createSocket(type);
  opened.push({ close: () => new Promise<void>((r) => socket.close(() => r())) });
  return new Promise((resolve) => socket.bind(0, host, () => resolve(socket)));
}

/** The next datagram `socket` receives, or null after `ms`. */
function next(socket: Socket, ms = 1000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      resolve(null);
    }, ms);
    const onMessage = (msg: Buffer) => {
      clearTimeout(timer);
      resolve(msg);
    };
    socket.once('message', onMessage);
  });
}

describe('StunResponder over UDP', () => {
  it('answers a Binding Request from 127.0.0.1 with the socket\'s own address and port', async () => {
    const server = await responder();
    const socket = await client();
    const answer = next(socket);
    socket.send(bindingRequest(7), server.port, '127.0.0.1');
    const res = (await answer)!;
    expect(res.readUInt16BE(0)).toBe(0x0101);
    expect(res.subarray(8, 20)).toEqual(bindingRequest(7).subarray(8, 20));
    expect(mapped(res)).toEqual({ address: '127.0.0.1', port: socket.address().port });
  });

  it('answers over IPv6 on ::1 from a udp6 socket', async () => {
    const server = await responder({ host: '::1' });
    const socket = await client('udp6');
    const answer = next(socket);
    socket.send(bindingRequest(8), server.port, '::1');
    expect(mapped((await answer)!)).toEqual({ address: '::1', port: socket.address().port });
  });

  it('answers an IPv4 sender of a dual-stack socket (::) with an IPv4 XOR-MAPPED-ADDRESS', async () => {
    const server = await responder({ host: '::' });
    const socket = await client();
    const answer = next(socket);
    socket.send(bindingRequest(9), server.port, '127.0.0.1');
    const res = (await answer)!;
    expect(res.length).toBe(40);
    expect(mapped(res)).toEqual({ address: '127.0.0.1', port: socket.address().port });
  });

  it('sends nothing back for a malformed datagram (the first answer is to the valid request sent after it)', async () => {
    const server = await responder();
    const socket = await client();
    const answers: Buffer[] = [];
    socket.on('message', (m) => answers.push(m));
    const junk = [Buffer.from('hello'), Buffer.alloc(20), Buffer.concat([bindingRequest(1), Buffer.alloc(600)]), Buffer.from('0011000021120442000000000000000000000001', 'hex')];
    for (const j of junk) socket.send(j, server.port, '127.0.0.1');
    const answer = next(socket);
    socket.send(bindingRequest(42), server.port, '127.0.0.1');
    expect((await answer)!.readUInt32BE(16)).toBe(42);
    await new Promise((r) => setTimeout(r, 50));
    expect(answers).toHaveLength(1);
  });

  it('close() closes the socket: no answer any more, and the port can be bound again', async () => {
    const server = await responder();
    const port = server.port;
    await server.close();
    await server.close(); // idempotent
    const socket = await client();
    const answer = next(socket, 200);
    socket.send(bindingRequest(), port, '127.0.0.1');
    expect(await answer).toBeNull();
    const again = await responder({ port });
    expect(again.port).toBe(port);
  });

  it('rejects with the bind error for a port in use', async () => {
    const taken = await client();
    await expect(StunResponder.listen({ host: '127.0.0.1', port: taken.address().port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('StunResponder budgets', () => {
  function clock() {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  }
  const answered = (r: StunResponder, address: string, n: number) => {
    let count = 0;
    for (let i = 0; i < n; i++) if (r.answer(bindingRequest(i), address, 5000)) count++;
    return count;
  };

  it('answers 100 at once and then 50 a second per client', async () => {
    const c = clock();
    const r = await responder({ now: c.now });
    expect(answered(r, '198.51.100.1', 150)).toBe(100);
    c.advance(1000);
    expect(answered(r, '198.51.100.1', 150)).toBe(50);
    c.advance(100);
    expect(answered(r, '198.51.100.1', 10)).toBe(5);
    // another client has its own budget
    expect(answered(r, '198.51.100.2', 10)).toBe(10);
  });

  it('counts an IPv6 /64 as one client and an IPv4-mapped address as its IPv4 address', async () => {
    const c = clock();
    const r = await responder({ now: c.now, perClientPerSec: 5, perClientBurst: 5 });
    expect(answered(r, '2001:db8:0:1::1', 3)).toBe(3);
    expect(answered(r, '2001:db8:0:1::ffff', 3)).toBe(2);
    expect(answered(r, '2001:db8:0:2::1', 3)).toBe(3);
    expect(answered(r, '192.0.2.7', 5)).toBe(5);
    expect(answered(r, '::ffff:192.0.2.7', 1)).toBe(0);
  });

  it('bounds the answers over all clients (spoofed sources cannot add up)', async () => {
    const c = clock();
    const r = await responder({ now: c.now, totalPerSec: 20 });
    let count = 0;
    for (let i = 0; i < 100; i++) if (r.answer(bindingRequest(i), `10.0.${i >> 8}.${i & 0xff}`, 5000)) count++;
    expect(count).toBe(20);
  });

  it('logs rate drops through the drop log, and a malformed datagram neither answered nor logged nor booked', async () => {
    const c = clock();
    const lines: Array<[string, Record<string, string | number>]> = [];
    const r = await responder({ now: c.now, perClientPerSec: 1, perClientBurst: 1, drop: (reason, d) => lines.push([reason, d]) });
    expect(r.answer(Buffer.from('junk'), '192.0.2.1', 5000)).toBeNull();
    expect(lines).toEqual([]);
    expect(r.clients).toBe(0);
    expect(answered(r, '192.0.2.1', 2)).toBe(1);
    expect(lines).toEqual([['rate-exceeded', { client: '192.0.2.1', via: 'stun', limitPerSec: 1 }]]);
  });

  it('never throws, and never answers more than 52 bytes, whatever the datagram and sender', async () => {
    const r = await responder({ perClientPerSec: 1e6, perClientBurst: 1e6, totalPerSec: 1e6 });
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 700 }),
      fc.uint8Array({ maxLength: 60 }).map((tail) => new Uint8Array([...bindingRequest(3), ...tail])),
    );
    const sender = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('', 'unknown', '::ffff:10.0.0.1', 'fe80::1%eth0'));
    fc.assert(
      fc.property(datagram, sender, fc.integer({ min: -1, max: 70000 }), (bytes, address, port) => {
        const res = r.answer(bytes, address, port);
        return res === null || (res.length <= MAX_STUN_RESPONSE_BYTES && res.length <= bytes.length + 32);
      }),
      { numRuns: 3000 },
    );
    expect(MAX_STUN_RESPONSE_BYTES).toBe(52);
  });

  it('keeps a bounded map of clients', async () => {
    const c = clock();
    const r = await responder({ now: c.now, totalPerSec: 1e9 });
    for (let i = 0; i < 100_010; i++) r.answer(bindingRequest(i), `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`, 5000);
    expect(r.clients).toBe(100_000);
  });
});
