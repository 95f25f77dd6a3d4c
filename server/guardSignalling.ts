import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { DropLog } from './dropLog';
import { RateBudget } from './RateBudget';

/** Close codes the server uses on signalling websockets (RFC 6455 §7.4.1; 1009 is sent by ws for maxPayload). */
export const CLOSE_POLICY = 1008;
export const CLOSE_BAD_DATA = 1007;

/** How long a closed socket may take for the closing handshake before it is cut. */
const CLOSE_GRACE_MS = 1_000;

/**
 * Polices one signalling websocket before PeerJS reads it (attach first): more than `maxMessagesPerSec` messages
 * (bursts of one second's worth) closes it with 1008 'rate-exceeded'; a message that is not a JSON object with a
 * string `type` closes it with 1007 'bad-message'; ws itself closes a message over maxPayload with 1009. Each drop is
 * logged; the socket stops being read at once.
 */
export function guardSignalling(socket: WebSocket, req: IncomingMessage, maxMessagesPerSec: number, drop: DropLog): void {
  const ip = req.socket.remoteAddress ?? 'unknown';
  const budget = new RateBudget(maxMessagesPerSec);
  let closing = false;
  const shut = (code: number, reason: string) => {
    if (closing) return;
    closing = true;
    drop(reason, { ip, via: 'signalling' });
    socket.pause();
    socket.close(code, reason);
    setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
  };
  socket.on('message', (data, isBinary) => {
    if (closing) return;
    if (!budget.take()) return shut(CLOSE_POLICY, 'rate-exceeded');
    if (isBinary || !isSignallingMessage(String(data))) shut(CLOSE_BAD_DATA, 'bad-message');
  });
  socket.on('error', (err: Error & { code?: string }) => {
    if (closing) return;
    closing = true;
    // ws emits errors only for frames it refuses (socket errors just close): too large, or not valid WebSocket
    drop(err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'message-too-large' : 'bad-frame', {
      ip, via: 'signalling', code: err.code ?? 'none',
    });
  });
}

function isSignallingMessage(text: string): boolean {
  try {
    const m = JSON.parse(text) as unknown;
    return typeof m === 'object' && m !== null && !Array.isArray(m) && typeof (m as { type?: unknown }).type === 'string';
  } catch {
    return false;
  }
}
