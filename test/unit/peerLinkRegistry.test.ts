/** The registry of links on its own, with stand-in links (fake clock). */
import { describe, expect, it, vi } from 'vitest';
import type { ConnectionLike } from '../../client/peer/ConnectionLike';
import { LinkRegistry } from '../../client/peer/LinkRegistry';
import type { PeerLink } from '../../client/PeerLink';

const A = 'http://site|http://cdn/a/';
const B = 'http://site|http://cdn/b/';

interface StubLink {
  remoteId: string;
  isOpen: boolean;
  dialled: boolean;
  keys: string[];
  idle: number;
  closedWith: string[];
}

function stub(remoteId: string, dialled: boolean): StubLink & PeerLink {
  const s: StubLink = { remoteId, isOpen: true, dialled, keys: [], idle: 0, closedWith: [] };
  return Object.assign(s, {
    idleMs: () => s.idle,
    offersAny: (test: (k: string) => boolean) => s.keys.some(test),
    close: (reason = 'closed') => void s.closedWith.push(reason),
  }) as unknown as StubLink & PeerLink;
}

function conn(peer: string): ConnectionLike & { close: ReturnType<typeof vi.fn> } {
  return { peer, open: false, send: () => {}, close: vi.fn(), on: () => {} } as unknown as ConnectionLike & {
    close: ReturnType<typeof vi.fn>;
  };
}

function registry(maxPeers = 4, myId = 'm') {
  let t = 0;
  const made: Array<StubLink & PeerLink> = [];
  const reg = new LinkRegistry({
    maxPeers,
    myId: () => myId,
    needs: () => false,
    create: (c, dialled) => {
      const l = stub(c.peer, dialled);
      made.push(l);
      return l;
    },
    now: () => t,
  });
  return { reg, made, advance: (ms: number) => void (t += ms) };
}

describe('LinkRegistry', () => {
  it('two crossing dials: the connection opened by the lower id stays; an open link always stays', () => {
    const { reg, made } = registry(4, 'm');
    reg.add(conn('z'), false); // z dialled us
    made[0]!.isOpen = false;
    const ours = conn('z');
    reg.add(ours, true); // we dialled z too: 'm' < 'z', ours wins
    expect(made).toHaveLength(2);
    expect(made[0]!.closedWith).toEqual(['closed']);
    expect(reg.get('z')).toBe(made[1]);
    const theirs = conn('z');
    reg.add(theirs, false); // z's dial loses to ours
    expect(theirs.close).toHaveBeenCalled();
    expect(reg.get('z')).toBe(made[1]);
  });

  it('peers dialling in hold at most half the slots; an idle one gives way at most every 10 s', () => {
    const { reg, made, advance } = registry(4);
    reg.add(conn('i1'), false);
    reg.add(conn('i2'), false);
    expect(reg.roomForInbound()).toBe(false);
    made[0]!.idle = 31_000;
    advance(31_000);
    expect(reg.roomForInbound()).toBe(true); // i1 replaced
    expect(made[0]!.closedWith).toEqual(['closed']);
    expect(reg.has('i1')).toBe(false);
    expect(reg.wasReplaced('i1')).toBe(true);
    made[1]!.idle = 31_000;
    reg.add(conn('i3'), false);
    expect(reg.roomForInbound()).toBe(false); // too soon after the last replacement
    advance(10_000);
    expect(reg.roomForInbound()).toBe(true);
  });

  it('left(): closes the links met only in the swarm left, by dial, tracker listing or announcement', () => {
    const { reg, made } = registry(8);
    reg.add(conn('dialledA'), true, A);
    reg.add(conn('listedA'), false);
    reg.met('listedA', A);
    reg.add(conn('announcesA'), false);
    reg.add(conn('alsoB'), true, A);
    reg.met('alsoB', B);
    reg.add(conn('announcesB'), true, A);
    reg.add(conn('nowhere'), false);
    const byId = new Map(made.map((l) => [l.remoteId, l]));
    byId.get('announcesA')!.keys = ['http://cdn/a/seg1.ts'];
    byId.get('announcesB')!.keys = ['http://cdn/b/seg1.ts'];
    const closed = reg.left(A, new Set([B]));
    expect(closed.map((l) => l.remoteId).sort()).toEqual(['announcesA', 'dialledA', 'listedA']);
    expect([...reg].map((l) => l.remoteId).sort()).toEqual(['alsoB', 'announcesB', 'nowhere']);
    for (const l of closed) expect((l as unknown as StubLink).closedWith).toEqual(['closed']);
    // what was noted of A is forgotten: leaving B now closes alsoB (B only), not by A
    expect(reg.left(B, new Set()).map((l) => l.remoteId).sort()).toEqual(['alsoB', 'announcesB']);
  });

  it('closed(): a link gone frees its slot; room() counts slots left', () => {
    const { reg, made } = registry(2);
    reg.add(conn('a'), true);
    expect(reg.room()).toBe(1);
    reg.closed(made[0]!);
    expect(reg.room()).toBe(2);
    expect(reg.has('a')).toBe(false);
  });
});
