/**
 * The part of STUN (RFC 5389) a Binding server needs: recognise a Binding Request, write its Success Response.
 * Header: type (2 bytes; the top 2 bits zero), length of the attributes (2), magic cookie 0x2112A442 (4),
 * transaction id (12); then attributes, each type (2), length (2), value padded to 4 bytes.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { crc32 } from './crc32';
import { ipv6Words } from './ipv6Words';

const STUN_MAGIC_COOKIE = 0x2112a442;
const STUN_HEADER_BYTES = 20;
/** Largest request answered: RFC 5389's bound for a path of unknown MTU (576 bytes minus IP and UDP headers). */
export const MAX_STUN_REQUEST_BYTES = 548;
/** Largest response ever written: header, XOR-MAPPED-ADDRESS of an IPv6 address (4 + 20), FINGERPRINT (4 + 4). */
export const MAX_STUN_RESPONSE_BYTES = STUN_HEADER_BYTES + 24 + 8;

const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const ATTR_XOR_MAPPED_ADDRESS = 0x0020;
const ATTR_FINGERPRINT = 0x8028;
/** What FINGERPRINT's CRC-32 is XORed with ('STUN'). */
const FINGERPRINT_XOR = 0x5354554e;

/**
 * The transaction id (12 bytes, a copy) of a well-formed Binding Request, else null: too short or too long, another
 * class (indication, response) or method, a wrong magic cookie, a length field other than the datagram's, attributes
 * not 4-byte aligned or running past the end, a FINGERPRINT that is not last or does not match. Other attributes,
 * comprehension-required ones included, are not read: the answer is the same for every Binding Request.
 */
export function parseBindingRequest(msg: Uint8Array): Buffer | null {
  if (msg.length < STUN_HEADER_BYTES || msg.length > MAX_STUN_REQUEST_BYTES) return null;
  const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  if (view.getUint16(0) !== BINDING_REQUEST) return null;
  const length = view.getUint16(2);
  if (length !== msg.length - STUN_HEADER_BYTES || length % 4 !== 0) return null;
  if (view.getUint32(4) !== STUN_MAGIC_COOKIE) return null;
  for (let at = STUN_HEADER_BYTES; at < msg.length; ) {
    if (at + 4 > msg.length) return null;
    const type = view.getUint16(at);
    const valueBytes = view.getUint16(at + 2);
    const next = at + 4 + ((valueBytes + 3) & ~3);
    if (next > msg.length) return null;
    if (type === ATTR_FINGERPRINT) {
      if (valueBytes !== 4 || next !== msg.length) return null;
      if (view.getUint32(at + 4) !== fingerprint(msg.subarray(0, at))) return null;
    }
    at = next;
  }
  return Buffer.from(msg.subarray(8, STUN_HEADER_BYTES));
}

/**
 * The Binding Success Response to transaction `transactionId` (12 bytes) from `address`:`port`: XOR-MAPPED-ADDRESS
 * (an IPv4-mapped IPv6 address, as a dual-stack socket reports an IPv4 sender, is written as IPv4) and FINGERPRINT.
 * Null when `address` is not an IP address or `port` not a port.
 */
export function encodeBindingSuccess(transactionId: Uint8Array, address: string, port: number): Buffer | null {
  if (transactionId.length !== 12 || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  const ip = ipBytes(address);
  if (!ip) return null;
  const valueBytes = 4 + ip.length;
  const out = Buffer.alloc(STUN_HEADER_BYTES + 4 + valueBytes + 8);
  out.writeUInt16BE(BINDING_SUCCESS, 0);
  out.writeUInt16BE(out.length - STUN_HEADER_BYTES, 2);
  out.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  out.set(transactionId, 8);
  let at = STUN_HEADER_BYTES;
  out.writeUInt16BE(ATTR_XOR_MAPPED_ADDRESS, at);
  out.writeUInt16BE(valueBytes, at + 2);
  out.writeUInt8(0, at + 4);
  out.writeUInt8(ip.length === 4 ? 0x01 : 0x02, at + 5);
  out.writeUInt16BE(port ^ (STUN_MAGIC_COOKIE >>> 16), at + 6);
  // the address XORed with the cookie and then (IPv6) the transaction id: exactly header bytes 4–19
  for (let i = 0; i < ip.length; i++) out[at + 8 + i] = ip[i]! ^ out[4 + i]!;
  at += 4 + valueBytes;
  out.writeUInt16BE(ATTR_FINGERPRINT, at);
  out.writeUInt16BE(4, at + 2);
  out.writeUInt32BE(fingerprint(out.subarray(0, at)), at + 4);
  return out;
}

/** FINGERPRINT's value for the message bytes before the attribute (their length field already counting it). */
export function fingerprint(before: Uint8Array): number {
  return (crc32(before) ^ FINGERPRINT_XOR) >>> 0;
}

/** 4 bytes for IPv4 (and IPv4-mapped IPv6), 16 for IPv6; null for anything else. */
function ipBytes(address: string): Uint8Array | null {
  if (isIPv4(address)) return Uint8Array.from(address.split('.').map(Number));
  const bare = address.split('%')[0] as string;
  if (!isIPv6(bare)) return null;
  const words = ipv6Words(bare);
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}
