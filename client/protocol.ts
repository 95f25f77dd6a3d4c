/**
 * The peer wire protocol, version PROTOCOL_VERSION, over a PeerJS DataConnection with `serialization: 'raw'`.
 *
 * Control messages are JSON text (at most MAX_CONTROL_BYTES), one tagged union below. Segment bytes travel as
 * binary frames of at most FRAME_MAX_BYTES: [0x01][request id: u32 big-endian][payload]. A transfer is
 * `send` (declares the size up front) → data frames in order → `done`. The receiver bounds reassembly by the
 * declared size, by its own segmentMaxBytes and by a stall timer (client/peer/Downloads.ts). Anything malformed ends
 * that peer's connection.
 *
 * Version 2: the accepting side says hello first (see `hello`); `ping`/`pong` keep a silent link provably alive.
 */
import { SwarmError } from '../core/SwarmError';
import { MAX_KEY_LENGTH } from '../core/contract';

export const PROTOCOL_VERSION = 2;
export const FRAME_MAX_BYTES = 16 * 1024;
export const FRAME_HEADER_BYTES = 5;
export const FRAME_PAYLOAD_BYTES = FRAME_MAX_BYTES - FRAME_HEADER_BYTES;
export const MAX_CONTROL_BYTES = 64 * 1024;
export const MAX_KEYS_PER_MESSAGE = 256;
/** Longest a peer holds a request open while it finishes its own HTTP download of the segment. */
export const MAX_REQ_WAIT_MS = 10_000;
/** The longest asker's deadline (`withinMs`) a request may carry; more is taken as this. */
export const MAX_REQ_WITHIN_MS = 60_000;
const DATA_TAG = 0x01;
const MAX_ID = 0xffffffff;

export type ControlMessage =
  /**
   * First message of each side; a different version ends the connection. The side that accepted the connection
   * sends it as soon as its channel opens, followed at once by its `have`s, and repeats the hello (after 250 ms,
   * then backing off) until it hears the other's; the side that dialled sends nothing before it has received a
   * hello, then answers each one with its own. Announcements may arrive before a hello (when it was lost);
   * anything else before a hello ends the link.
   * Why: in Chromium, a side's first message sent at the moment its channel opens is sometimes never delivered
   * (measured: about 1 connection in 100 under load). When both sides spoke at once, the lost hello was followed
   * by the other side's `have`, which ended the link as a protocol violation and banned an honest peer for the
   * session; now a lost hello only delays the handshake by one repeat. At most 8 repeated hellos are accepted.
   */
  | { t: 'hello'; v: number }
  /** I now hold these segments of this swarm. */
  | { t: 'have'; swarm: string; keys: string[] }
  /** I no longer hold these segments (or gave up fetching them). */
  | { t: 'lost'; swarm: string; keys: string[] }
  /** I am downloading these segments over HTTP right now; ask me soon. */
  | { t: 'fetching'; swarm: string; keys: string[] }
  /**
   * Please send me this segment; if you are fetching it, wait up to `waitMs` for it (0 = answer now). `withinMs`
   * (optional; older peers neither send nor read it): I give up after this long — an uploader whose uplink could not
   * carry it in time says `absent` at once.
   */
  | { t: 'req'; id: number; key: string; waitMs: number; withinMs?: number }
  /** Are you there? (sent on a link silent for a while; answered with pong) */
  | { t: 'ping' }
  /** I am here. */
  | { t: 'pong' }
  /**
   * I no longer want request `id`. `late` (optional; older peers neither send nor read it): because its bytes did not
   * come in time — its deadline passed, or the transfer went silent — which tells the uploader its uplink carries less
   * than it thought (see UplinkMeter.late).
   */
  | { t: 'cancel'; id: number; late?: true }
  /** I cannot serve request `id`. */
  | { t: 'absent'; id: number }
  /** Request `id` follows: exactly `bytes` bytes in data frames. */
  | { t: 'send'; id: number; bytes: number; totalBytes: number | null; contentType: string | null }
  /** All bytes of request `id` were sent. */
  | { t: 'done'; id: number };

export type ControlType = ControlMessage['t'];

function violation(message: string, details: Record<string, string | number> = {}): never {
  throw new SwarmError('protocol-violation', message, details);
}

const isId = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_ID;
const isKey = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_KEY_LENGTH;
const isKeyList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.length <= MAX_KEYS_PER_MESSAGE && v.every(isKey);
const isSize = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Serialises a control message; throws `size-exceeded` when it would exceed MAX_CONTROL_BYTES (a sender bug). */
export function encodeControl(message: ControlMessage): string {
  const text = JSON.stringify(message);
  if (text.length > MAX_CONTROL_BYTES) {
    throw new SwarmError('size-exceeded', 'control message too large', { length: text.length });
  }
  return text;
}

/** Splits keys into lists that each fit one control message (≤ MAX_KEYS_PER_MESSAGE, ≤ ~48 KiB of keys). */
export function chunkKeys(keys: string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let chars = 0;
  for (const key of keys) {
    const cost = JSON.stringify(key).length + 1;
    if (cur.length && (cur.length >= MAX_KEYS_PER_MESSAGE || chars + cost > 48 * 1024)) {
      out.push(cur);
      cur = [];
      chars = 0;
    }
    cur.push(key);
    chars += cost;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Parses and validates one control message; throws `protocol-violation` on anything else. */
export function decodeControl(text: string): ControlMessage {
  if (text.length > MAX_CONTROL_BYTES) violation('control message too large', { length: text.length });
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text);
  } catch {
    violation('control message is not JSON');
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) violation('control message is not an object');
  switch (m.t) {
    case 'hello':
      if (!Number.isInteger(m.v)) break;
      return { t: 'hello', v: m.v as number };
    case 'ping':
    case 'pong':
      return { t: m.t };
    case 'have':
    case 'lost':
    case 'fetching':
      if (!isKey(m.swarm) || !isKeyList(m.keys)) break;
      return { t: m.t, swarm: m.swarm, keys: m.keys };
    case 'req': {
      const waitMs = m.waitMs ?? 0;
      if (!isId(m.id) || !isKey(m.key) || !Number.isInteger(waitMs) || (waitMs as number) < 0) break;
      const req: Extract<ControlMessage, { t: 'req' }> = { t: 'req', id: m.id, key: m.key, waitMs: Math.min(waitMs as number, MAX_REQ_WAIT_MS) };
      // a deadline that is not a whole number of ms ≥ 0 is ignored, not an error (the field is optional)
      if (Number.isInteger(m.withinMs) && (m.withinMs as number) >= 0) req.withinMs = Math.min(m.withinMs as number, MAX_REQ_WITHIN_MS);
      return req;
    }
    case 'cancel':
      if (!isId(m.id)) break;
      // anything but `true` is no news (the field is optional)
      return m.late === true ? { t: 'cancel', id: m.id, late: true } : { t: 'cancel', id: m.id };
    case 'absent':
    case 'done':
      if (!isId(m.id)) break;
      return { t: m.t, id: m.id };
    case 'send': {
      const ct = m.contentType ?? null;
      const total = m.totalBytes ?? null;
      if (!isId(m.id) || !isSize(m.bytes)) break;
      if (total !== null && (!isSize(total) || (total as number) < (m.bytes as number))) break;
      if (ct !== null && (typeof ct !== 'string' || ct.length > 100)) break;
      return { t: 'send', id: m.id, bytes: m.bytes, totalBytes: total as number | null, contentType: ct as string | null };
    }
  }
  violation('malformed control message', { t: String(m.t).slice(0, 20) });
}

/** Builds one data frame (header + a copy of the payload). */
export function encodeDataFrame(id: number, payload: Uint8Array): ArrayBuffer {
  if (!isId(id)) throw new SwarmError('size-exceeded', 'frame id out of range', { id });
  if (payload.byteLength > FRAME_PAYLOAD_BYTES) {
    throw new SwarmError('size-exceeded', 'frame payload too large', { bytes: payload.byteLength });
  }
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint8(0, DATA_TAG);
  view.setUint32(1, id);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame.buffer;
}

/** Splits a segment into data frames, lazily. */
export function* dataFrames(id: number, bytes: Uint8Array): Generator<ArrayBuffer> {
  for (let offset = 0; offset < bytes.byteLength; offset += FRAME_PAYLOAD_BYTES) {
    yield encodeDataFrame(id, bytes.subarray(offset, offset + FRAME_PAYLOAD_BYTES));
  }
}

/** Reads one data frame without copying the payload; throws `protocol-violation` when malformed. */
export function decodeDataFrame(frame: ArrayBuffer): { id: number; payload: Uint8Array } {
  if (frame.byteLength > FRAME_MAX_BYTES) violation('frame too large', { bytes: frame.byteLength });
  if (frame.byteLength <= FRAME_HEADER_BYTES) violation('frame too small', { bytes: frame.byteLength });
  const view = new DataView(frame);
  if (view.getUint8(0) !== DATA_TAG) violation('unknown frame tag', { tag: view.getUint8(0) });
  return { id: view.getUint32(1), payload: new Uint8Array(frame, FRAME_HEADER_BYTES) };
}
