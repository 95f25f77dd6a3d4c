import { SwarmError } from '../../core/SwarmError';
import { decodeControl, decodeDataFrame, type ControlMessage } from '../protocol';
import type { Downloads } from './Downloads';
import type { Handshake } from './Handshake';
import type { Heartbeat } from './Heartbeat';
import type { RemoteHaves } from './RemoteHaves';
import type { Uploads } from './Uploads';

/** The parts of a link (PeerLink's) that what its peer sends goes to. */
export interface LinkParts {
  handshake: Handshake;
  heartbeat: Heartbeat;
  haves: RemoteHaves;
  downloads: Downloads;
  uploads: Uploads;
}

/**
 * Hands what the peer sent to the part of its link it is for: text is a control message (a hello goes to the
 * handshake, the rest by type), binary (an ArrayBuffer, or a view of a whole one) a data frame of one of our
 * downloads. Anything else, or anything wrong with it, throws (protocol-violation, or what the part throws).
 */
export function dispatchData(data: unknown, to: LinkParts): void {
  if (typeof data === 'string') dispatchControl(decodeControl(data), to);
  else if (data instanceof ArrayBuffer) dispatchFrame(data, to);
  else if (ArrayBuffer.isView(data) && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
    dispatchFrame(data.buffer as ArrayBuffer, to);
  } else throw new SwarmError('protocol-violation', 'unexpected data type');
}

function dispatchControl(m: ControlMessage, to: LinkParts): void {
  if (to.handshake.receive(m)) return; // a hello
  switch (m.t) {
    case 'ping':
      return to.heartbeat.onPing();
    case 'pong':
      return; // being heard is all it is for
    case 'have':
    case 'lost':
    case 'fetching':
      return to.haves.receive(m);
    case 'req':
      return to.uploads.onRequest(m);
    case 'cancel':
      return to.uploads.onCancel(m.id, m.late === true);
    case 'absent':
      return to.downloads.onAbsent(m.id);
    case 'send':
      return to.downloads.onSend(m);
    case 'done':
      return to.downloads.onDone(m.id);
  }
}

function dispatchFrame(frame: ArrayBuffer, to: LinkParts): void {
  to.handshake.checkFrame();
  const { id, payload } = decodeDataFrame(frame);
  to.downloads.onFrame(id, payload);
}
