import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../server/crc32';
import {
  encodeBindingSuccess,
  fingerprint,
  MAX_STUN_REQUEST_BYTES,
  MAX_STUN_RESPONSE_BYTES,
  parseBindingRequest,
} from '../../server/stunMessage';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** RFC 5769 §2.1 sample request (SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT). */
const RFC5769_REQUEST = hex(`
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf`);
/** RFC 5769 §2.2 sample IPv4 response (192.0.2.1 port 32853), its FINGERPRINT c0 7d 4c 96. */
const RFC5769_RESPONSE = hex(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96`);
const RFC5769_TXID = hex('b7 e7 a7 01 bc 34 d6 86 fa 87 df ae');

/** What Chromium sends a STUN server to learn its server-reflexive address: a bare 20-byte Binding Request. */
function chromiumStyleRequest(txid = hex('4a 6b 2c 11 90 aa 01 fe 33 5d 7e 02')): Buffer {
  return Buffer.concat([hex('00 01 00 00 21 12 a4 42'), txid]);
}

/** Reads a response's attributes the straightforward way (RFC 5389 §15), apart from the code under test. */
function attributes(msg: Buffer): Map<number, { at: number; value: Buffer }> {
  const out = new Map<number, { at: number; value: Buffer }>();
  for (let at = 20; at < msg.length; ) {
    const type = msg.readUInt16BE(at);
    const len = msg.readUInt16BE(at + 2);
    out.set(type, { at, value: msg.subarray(at + 4, at + 4 + len) });
    at += 4 + Math.ceil(len / 4) * 4;
  }
  return out;
}

/** XOR-MAPPED-ADDRESS back to the sender's address text and port. */
function mappedAddress(msg: Buffer): { family: number; address: string; port: number } {
  const v = attributes(msg).get(0x0020)!.value;
  const family = v[1]!;
  const port = v.readUInt16BE(2) ^ 0x2112;
  const key = msg.subarray(4, 20); // cookie, then transaction id
  const ip = Buffer.from(v.subarray(4).map((b, i) => b ^ key[i]!));
  const address = family === 1 ? [...ip].join('.') : (ip.toString('hex').match(/.{4}/g) ?? []).map((w) => parseInt(w, 16).toString(16)).join(':');
  return { family, address, port };
}

/** The FINGERPRINT attribute is last and right, checked with zlib's CRC-32. */
function expectFingerprint(msg: Buffer): void {
  const fp = attributes(msg).get(0x8028)!;
  expect(fp.at).toBe(msg.length - 8);
  expect(fp.value.readUInt32BE(0)).toBe((zlibCrc32(msg.subarray(0, fp.at)) ^ 0x5354554e) >>> 0);
}

describe('crc32 and FINGERPRINT', () => {
  it('is zlib\'s CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => crc32(bytes) === zlibCrc32(bytes)));
  });

  it('matches the RFC 5769 sample request and response', () => {
    expect(fingerprint(RFC5769_REQUEST.subarray(0, RFC5769_REQUEST.length - 8))).toBe(0xe57a3bcf);
    expect(fingerprint(RFC5769_RESPONSE.subarray(0, RFC5769_RESPONSE.length - 8))).toBe(0xc07d4c96);
  });
});

describe('parseBindingRequest', () => {
  it('takes a Chromium-style bare Binding Request', () => {
    const req = chromiumStyleRequest();
    expect(parseBindingRequest(req)).toEqual(req.subarray(8));
  });

  it('takes the RFC 5769 sample request, its comprehension-required attributes unread and FINGERPRINT checked', () => {
    expect(parseBindingRequest(RFC5769_REQUEST)).toEqual(RFC5769_TXID);
  });

  it('returns a copy of the transaction id', () => {
    const req = chromiumStyleRequest();
    const txid = parseBindingRequest(req)!;
    req.fill(0);
    expect(txid).toEqual(hex('4a 6b 2c 11 90 aa 01 fe 33 5d 7e 02'));
  });

  /** `base` with `edit` applied to a copy. */
  const edited = (base: Buffer, edit: (b: Buffer) => void) => {
    const b = Buffer.from(base);
    edit(b);
    return b;
  };
  /** A request whose attributes are `attrs` (the length field set to match). */
  const withAttributes = (attrs: Buffer) =>
    edited(Buffer.concat([chromiumStyleRequest(), attrs]), (b) => b.writeUInt16BE(attrs.length, 2));

  const malformed: Record<string, Buffer> = {
    'empty': Buffer.alloc(0),
    'shorter than a header': chromiumStyleRequest().subarray(0, 19),
    'wrong magic cookie': edited(chromiumStyleRequest(), (b) => b.writeUInt32BE(0x2112a443, 4)),
    'RFC 3489 style (no cookie)': edited(chromiumStyleRequest(), (b) => b.writeUInt32BE(0, 4)),
    'a success response': edited(chromiumStyleRequest(), (b) => b.writeUInt16BE(0x0101, 0)),
    'an error response': edited(chromiumStyleRequest(), (b) => b.writeUInt16BE(0x0111, 0)),
    'an indication': edited(chromiumStyleRequest(), (b) => b.writeUInt16BE(0x0011, 0)),
    'another method (Allocate)': edited(chromiumStyleRequest(), (b) => b.writeUInt16BE(0x0003, 0)),
    'top bits set (not STUN)': edited(chromiumStyleRequest(), (b) => b.writeUInt16BE(0xc001, 0)),
    'length field larger than the datagram': edited(chromiumStyleRequest(), (b) => b.writeUInt16BE(4, 2)),
    'length field smaller than the datagram': edited(withAttributes(hex('80 22 00 04 61 62 63 64')), (b) => b.writeUInt16BE(0, 2)),
    'not 4-byte aligned': edited(Buffer.concat([chromiumStyleRequest(), hex('00 00')]), (b) => b.writeUInt16BE(2, 2)),
    'larger than 548 bytes': withAttributes(Buffer.concat([hex('80 22 02 10'), Buffer.alloc(0x210)])),
    'attribute running past the end': withAttributes(hex('80 22 00 08 61 62 63 64')),
    'attribute header cut': withAttributes(hex('80 22 00 00 80 22')),
    'FINGERPRINT wrong': edited(RFC5769_REQUEST, (b) => (b[b.length - 1]! ^= 1)),
    // a FINGERPRINT right for the bytes before it, then another attribute
    'FINGERPRINT not last': edited(withAttributes(hex('80 28 00 04 00 00 00 00 80 22 00 00')), (b) => b.writeUInt32BE(fingerprint(b.subarray(0, 20)), 24)),
    'FINGERPRINT of the wrong length': withAttributes(hex('80 28 00 08 00 00 00 00 00 00 00 00')),
    'a byte of the body changed under FINGERPRINT': edited(RFC5769_REQUEST, (b) => (b[30]! ^= 0x20)),
  };
  for (const [name, msg] of Object.entries(malformed)) {
    it(`drops: ${name}`, () => expect(parseBindingRequest(msg)).toBeNull());
  }

  it('takes a request of exactly 548 bytes', () => {
    const req = withAttributes(Buffer.concat([hex('80 22 02 0c'), Buffer.alloc(0x20c)]));
    expect(req.length).toBe(MAX_STUN_REQUEST_BYTES);
    expect(parseBindingRequest(req)).not.toBeNull();
  });

  it('never throws on any bytes, and takes only Binding Requests with the cookie', () => {
    const arbitrary = fc.uint8Array({ maxLength: 700 });
    const stunLike = fc.tuple(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 80 }), fc.nat(0xffff))
      .map(([txid, attrs, type]) => {
        const b = Buffer.concat([hex('00 01 00 00 21 12 a4 42'), txid, attrs]);
        b.writeUInt16BE(type % 4 === 0 ? 1 : type, 0);
        b.writeUInt16BE(attrs.length, 2);
        return new Uint8Array(b);
      });
    fc.assert(
      fc.property(fc.oneof(arbitrary, stunLike), (bytes) => {
        const txid = parseBindingRequest(bytes);
        if (txid === null) return true;
        const b = Buffer.from(bytes);
        return b.readUInt16BE(0) === 1 && b.readUInt32BE(4) === 0x2112a442 && b.readUInt16BE(2) === b.length - 20 && txid.equals(b.subarray(8, 20));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('encodeBindingSuccess', () => {
  it('writes the RFC 5769 XOR-MAPPED-ADDRESS for 192.0.2.1 port 32853, and FINGERPRINT', () => {
    const res = encodeBindingSuccess(RFC5769_TXID, '192.0.2.1', 32853)!;
    expect(res.subarray(0, 20)).toEqual(Buffer.concat([hex('01 01 00 14 21 12 a4 42'), RFC5769_TXID]));
    expect(res.subarray(20, 32)).toEqual(hex('00 20 00 08 00 01 a1 47 e1 12 a6 43'));
    expect(res.length).toBe(40);
    expectFingerprint(res);
    expect(mappedAddress(res)).toEqual({ family: 1, address: '192.0.2.1', port: 32853 });
  });

  it('writes the RFC 5769 XOR-MAPPED-ADDRESS for 2001:db8:1234:5678:11:2233:4455:6677 port 32853', () => {
    const res = encodeBindingSuccess(RFC5769_TXID, '2001:db8:1234:5678:11:2233:4455:6677', 32853)!;
    expect(res.readUInt16BE(2)).toBe(res.length - 20);
    expect(res.subarray(20, 44)).toEqual(hex('00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9'));
    expect(res.length).toBe(MAX_STUN_RESPONSE_BYTES);
    expectFingerprint(res);
  });

  it('decodes back to the sender, IPv4 and IPv6 (a zone id ignored, an IPv4-mapped address as IPv4)', () => {
    const txid = hex('00 11 22 33 44 55 66 77 88 99 aa bb');
    expect(mappedAddress(encodeBindingSuccess(txid, '203.0.113.77', 1)!)).toEqual({ family: 1, address: '203.0.113.77', port: 1 });
    expect(mappedAddress(encodeBindingSuccess(txid, '::1', 65535)!)).toEqual({ family: 2, address: '0:0:0:0:0:0:0:1', port: 65535 });
    expect(mappedAddress(encodeBindingSuccess(txid, 'fe80::a:b%eth0', 5000)!)).toEqual({ family: 2, address: 'fe80:0:0:0:0:0:a:b', port: 5000 });
    expect(mappedAddress(encodeBindingSuccess(txid, '::ffff:198.51.100.9', 443)!)).toEqual({ family: 1, address: '198.51.100.9', port: 443 });
    expect(encodeBindingSuccess(txid, '::ffff:198.51.100.9', 443)!.length).toBe(40);
  });

  it('answers to the sender the parser saw, same transaction id (a round trip through both halves)', () => {
    const req = chromiumStyleRequest();
    const res = encodeBindingSuccess(parseBindingRequest(req)!, '10.1.2.3', 40000)!;
    expect(res.subarray(8, 20)).toEqual(req.subarray(8, 20));
    // a response is never mistaken for a request (no loop between two responders)
    expect(parseBindingRequest(res)).toBeNull();
  });

  it('writes nothing for what is not an IP address and port', () => {
    const txid = hex('00 11 22 33 44 55 66 77 88 99 aa bb');
    expect(encodeBindingSuccess(txid, 'localhost', 1)).toBeNull();
    expect(encodeBindingSuccess(txid, '', 1)).toBeNull();
    expect(encodeBindingSuccess(txid, '1.2.3.4', 0)).toBeNull();
    expect(encodeBindingSuccess(txid, '1.2.3.4', 65536)).toBeNull();
    expect(encodeBindingSuccess(txid.subarray(1), '1.2.3.4', 1)).toBeNull();
  });
});
