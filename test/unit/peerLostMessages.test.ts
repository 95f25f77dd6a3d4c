import { describe, expect, it } from 'vitest';
import { boundLostMessages, LOST_MESSAGE_IDS_MAX, LOST_MESSAGES_PER_ID_MAX } from '../../client/peer/boundLostMessages';

/** PeerJS's own store of messages for unknown connection ids, as in peerjs 1.5 (`Peer._storeMessage`). */
class PeerJsLike {
  _lostMessages = new Map<string, unknown[]>();
  _storeMessage(connectionId: string, message: unknown): void {
    if (!this._lostMessages.has(connectionId)) this._lostMessages.set(connectionId, []);
    this._lostMessages.get(connectionId)!.push(message);
  }
  _getMessages(connectionId: string): unknown[] {
    const m = this._lostMessages.get(connectionId) ?? [];
    this._lostMessages.delete(connectionId);
    return m;
  }
}

describe('boundLostMessages', () => {
  it('keeps at most LOST_MESSAGE_IDS_MAX ids (newest) and LOST_MESSAGES_PER_ID_MAX messages each', () => {
    const peer = new PeerJsLike();
    boundLostMessages(peer);
    for (let i = 0; i < 1000; i++) peer._storeMessage(`call-${i}`, { type: 'CANDIDATE', i });
    for (let i = 0; i < 1000; i++) peer._storeMessage('call-999', { type: 'CANDIDATE', i });
    expect(peer._lostMessages.size).toBe(LOST_MESSAGE_IDS_MAX);
    expect(peer._lostMessages.has('call-999')).toBe(true);
    expect(peer._lostMessages.has('call-0')).toBe(false);
    expect(peer._lostMessages.get('call-999')).toHaveLength(LOST_MESSAGES_PER_ID_MAX);
    // a connection set up later still gets its early messages
    peer._storeMessage('real', { type: 'CANDIDATE' });
    expect(peer._getMessages('real')).toEqual([{ type: 'CANDIDATE' }]);
  });

  it('leaves anything that is not a PeerJS Peer alone', () => {
    const fake = { on() {} };
    boundLostMessages(fake);
    expect(fake).toEqual({ on: fake.on });
  });
});
