/** The Peers kept for their links after signalling moved to another server. */
import { describe, expect, it } from 'vitest';
import { MAX_RETIRED_PEERS, RetiredPeers } from '../../client/peer/RetiredPeers';
import { FakePeer } from './fakes/FakePeer';

/** A Peer with PeerJS's `connections` (by remote id; a closed connection leaves its list). */
class LinkedPeer extends FakePeer {
  connections: Record<string, unknown[]> = { friend: [{}] };
}

describe('RetiredPeers', () => {
  it('disconnects a retired Peer (its socket) without destroying it (its connections)', () => {
    const retired = new RetiredPeers();
    const p = new LinkedPeer();
    retired.add(p);
    expect(p.disconnected).toBe(true);
    expect(p.destroyed).toBe(false);
    expect(retired.size).toBe(1);
  });

  it('lets go of a Peer once its connections are gone (destroyed at the next retirement)', () => {
    const retired = new RetiredPeers();
    const a = new LinkedPeer();
    retired.add(a);
    a.connections = { friend: [] };
    const b = new LinkedPeer();
    retired.add(b);
    expect(a.destroyed).toBe(true);
    expect(b.destroyed).toBe(false);
    expect(retired.size).toBe(1);
  });

  it('keeps none without connections, nor one already destroyed', () => {
    const retired = new RetiredPeers();
    const idle = new LinkedPeer();
    idle.connections = {};
    retired.add(idle);
    const dead = new LinkedPeer();
    dead.destroyed = true;
    retired.add(dead);
    expect(idle.destroyed).toBe(true);
    expect(retired.size).toBe(0);
  });

  it('reads what PeerJS itself keeps (its `_connections` Map), as the bundles have no `connections` getter', () => {
    const retired = new RetiredPeers();
    const a = Object.assign(new FakePeer(), { _connections: new Map([['friend', [{}]]]) });
    retired.add(a);
    a._connections.set('friend', []);
    const b = Object.assign(new FakePeer(), { _connections: new Map([['other', [{}]]]) });
    retired.add(b);
    expect(a.destroyed).toBe(true);
    expect(b.destroyed).toBe(false);
    expect(retired.size).toBe(1);
  });

  it(`keeps at most ${MAX_RETIRED_PEERS}: one more destroys the oldest`, () => {
    const retired = new RetiredPeers();
    const peers = Array.from({ length: MAX_RETIRED_PEERS + 1 }, () => new LinkedPeer());
    for (const p of peers) retired.add(p);
    expect(retired.size).toBe(MAX_RETIRED_PEERS);
    expect(peers.map((p) => p.destroyed)).toEqual([true, ...Array(MAX_RETIRED_PEERS).fill(false)]);
  });

  it('destroyAll() destroys every one kept', () => {
    const retired = new RetiredPeers();
    const peers = [new LinkedPeer(), new FakePeer()]; // one that does not say what it holds is kept
    for (const p of peers) retired.add(p);
    expect(retired.size).toBe(2);
    retired.destroyAll();
    expect(peers.map((p) => p.destroyed)).toEqual([true, true]);
    expect(retired.size).toBe(0);
  });
});
