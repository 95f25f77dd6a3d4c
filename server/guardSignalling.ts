import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { AbsentPeerBudget } from './AbsentPeerBudget';
import { clientFields, type RequestClient } from './clientOfRequest';
import type { DropLog } from './dropLog';
import { parseSignallingMessage, type SignallingMessage } from './parseSignallingMessage';
import { RELAYED_TYPES } from './cluster/clusterMessage';
import { RateBudget } from './RateBudget';

/** Close codes the server uses on signalling websockets (RFC 6455 §7.4.1; 1009 is sent by ws for maxPayload). */
const CLOSE_POLICY = 1008;
const CLOSE_BAD_DATA = 1007;
const CLOSE_NORMAL = 1000;

/** How long a closed socket may take for the closing handshake before it is cut. */
const CLOSE_GRACE_MS = 1_000;

/** Message types the PeerJS server queues for a `dst` that is not connected (LEAVE and EXPIRE it drops). */
const QUEUED_TYPES = new Set(['OFFER', 'ANSWER', 'CANDIDATE']);

export interface SignallingGuardDeps {
  /** Messages per second one socket may send (bursts of one second's worth). */
  maxMessagesPerSec: number;
  drop: DropLog;
  /** Whether a peer id is connected to signalling now. */
  isConnected: (peerId: string) => boolean;
  /** What PeerJS may queue for ids that are not connected, per client and in total. */
  absentBudget: AbsentPeerBudget;
  /** Who opened the socket (the upgrade request's client; see clientOfRequest). */
  who: RequestClient;
  /**
   * In a cluster: takes a peer-to-peer message (OFFER, ANSWER, CANDIDATE, LEAVE, EXPIRE) for an id not connected
   * here, from this socket's peer id, to relay it to the node holding that id; PeerJS never sees (nor queues) it.
   */
  relay?: (src: string, message: SignallingMessage & { dst: string }) => void;
}

/**
 * Polices one signalling websocket. It replaces the socket's `emit` so that every message is checked before ANY
 * 'message' listener sees it — the PeerJS server's included, whatever order the listeners were added in, and also
 * for the many messages ws emits synchronously out of one TCP chunk:
 * - more than `maxMessagesPerSec` (bursts of one second's worth): closed 1008 'rate-exceeded';
 * - not a JSON object with a string `type` (and a string `dst`, if any): closed 1007 'bad-message';
 * - `LEAVE` without `dst` (PeerJS would forget the peer but keep its socket open, out of the peer count): the
 *   socket is closed 1000 'leave', which lets PeerJS forget it the normal way;
 * - OFFER/ANSWER/CANDIDATE for an id that is not connected (PeerJS queues those): only within `absentBudget`; past it
 *   the message is dropped, logged 'queue-full' and the sender told at once with PeerJS's `EXPIRE`;
 * - in a cluster (`relay`), messages between peers for an id not connected here go to the relay instead.
 * After a close no further message is passed on. ws itself closes a message over maxPayload with 1009.
 */
export function guardSignalling(socket: WebSocket, req: IncomingMessage, deps: SignallingGuardDeps): void {
  const { client } = deps.who;
  const logged = clientFields(deps.who);
  const selfId = new URL(req.url ?? '', 'http://peerjs').searchParams.get('id') ?? '';
  const budget = new RateBudget(deps.maxMessagesPerSec);
  let closing = false;
  const shut = (code: number, reason: string) => {
    if (closing) return;
    closing = true;
    // a policy close stops reading at once (a flood is not parsed further); a normal one lets the handshake finish
    if (code !== CLOSE_NORMAL) {
      deps.drop(reason, { ...logged, via: 'signalling' });
      socket.pause();
    }
    socket.close(code, reason);
    setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
  };
  /** Whether one message may reach PeerJS. */
  const admit = (data: unknown, isBinary: unknown): boolean => {
    if (closing) return false;
    if (!budget.take()) {
      shut(CLOSE_POLICY, 'rate-exceeded');
      return false;
    }
    const text = isBinary ? null : String(data);
    const message = text === null ? null : parseSignallingMessage(text);
    if (!message || text === null) {
      shut(CLOSE_BAD_DATA, 'bad-message');
      return false;
    }
    if (message.dst === undefined) {
      if (message.type !== 'LEAVE') return true;
      shut(CLOSE_NORMAL, 'leave');
      return false;
    }
    if (deps.relay && RELAYED_TYPES.has(message.type) && !deps.isConnected(message.dst)) {
      deps.relay(selfId, { ...message, dst: message.dst });
      return false;
    }
    if (!QUEUED_TYPES.has(message.type) || deps.isConnected(message.dst)) return true;
    if (deps.absentBudget.admit(client, Buffer.byteLength(text))) return true;
    deps.drop('queue-full', { ...logged, via: 'signalling' });
    socket.send(JSON.stringify({ type: 'EXPIRE', src: message.dst, dst: selfId }));
    return false;
  };
  const emit = socket.emit;
  socket.emit = function guardedEmit(this: WebSocket, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message' && !admit(args[0], args[1])) return false;
    return emit.call(this, event, ...args);
  } as WebSocket['emit'];
  socket.on('error', (err: Error & { code?: string }) => {
    if (closing) return;
    closing = true;
    // ws emits errors only for frames it refuses (socket errors just close): too large, or not valid WebSocket
    deps.drop(err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'message-too-large' : 'bad-frame', {
      ...logged, via: 'signalling', code: err.code ?? 'none',
    });
  });
}
