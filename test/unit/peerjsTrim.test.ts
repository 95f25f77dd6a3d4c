/**
 * Issue 12 §3: what scripts/peerjsTrim.mjs makes of the installed PeerJS, run as the page bundles run it. Each trim
 * must apply (the build fails otherwise); these check that what is left behaves as PeerJS did where swarmfetch uses
 * it: the event emitter standing in for eventemitter3, a media call offered by a peer, and no probe at load.
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerjsTrim, trimPeerjs } from '../../scripts/peerjsTrim.mjs';

/** PeerJS's published ESM bundle, the file the plugin edits. */
const BUNDLER = join(dirname(createRequire(import.meta.url).resolve('peerjs')), 'bundler.mjs');

interface Emitter {
  on(event: string, fn: (...args: unknown[]) => void, context?: unknown): Emitter;
  emit(event: string, ...args: unknown[]): boolean;
  removeAllListeners(event?: string): Emitter;
}
interface PeerLike extends Emitter {
  _connections: Map<string, unknown[]>;
  _lostMessages: Map<string, unknown[]>;
  _handleMessage(message: unknown): void;
  destroy(): void;
}
interface TrimmedPeerjs {
  Peer: new (id: string, options: object) => PeerLike;
  util: { supports: Record<string, boolean> };
}

const g = globalThis as Record<string, unknown>;
const saved = { WebSocket: g.WebSocket, RTCPeerConnection: g.RTCPeerConnection };
let peerConnectionsMade = 0;
let peerjs: TrimmedPeerjs;

/** A WebSocket that never connects: a Peer given an id opens its socket at once. */
class FakeSocket {
  readyState = 0;
  onopen: unknown = null;
  onmessage: unknown = null;
  onclose: unknown = null;
  constructor(readonly url: string) {}
  send(): void {}
  close(): void {}
}

beforeAll(async () => {
  g.WebSocket = FakeSocket;
  g.RTCPeerConnection = class {
    constructor() {
      peerConnectionsMade++;
    }
    createDataChannel() {
      return { close() {} };
    }
    close() {}
  };
  // bundled as the page bundles bundle it: the same plugin and shims, no minification (names kept)
  const out = await build({
    stdin: { contents: "export { Peer, util } from 'peerjs';", resolveDir: process.cwd(), sourcefile: 'entry.js' },
    bundle: true, format: 'esm', target: 'es2022', write: false, logLevel: 'silent', plugins: [peerjsTrim],
    alias: { 'webrtc-adapter': './client/webrtcAdapterShim.ts', 'peerjs-js-binarypack': './client/binarypackShim.ts' },
  });
  peerjs = (await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0]!.text).toString('base64')}`)) as TrimmedPeerjs;
});
afterAll(() => {
  g.WebSocket = saved.WebSocket;
  g.RTCPeerConnection = saved.RTCPeerConnection;
});

function newPeer(): PeerLike {
  return new peerjs.Peer('viewer', { host: 'p2p.example', port: 443, path: '/peerjs', secure: true, key: 'peerjs', token: 't', config: { iceServers: [] } });
}

describe('PeerJS as the page bundles carry it (scripts/peerjsTrim.mjs)', () => {
  it('applies every trim to the installed PeerJS, and refuses a bundle it does not know', () => {
    const source = readFileSync(BUNDLER, 'utf8');
    const trimmed = trimPeerjs(source);
    expect(trimmed.length).toBeLessThan(source.length * 0.8);
    for (const gone of ['_PEERJSTEST', 'listAllPeers', 'emit("call"', 'EventEmitter.prefixed', 'turn.peerjs.com:3478", "turn', '(0, $78455e22dea96b8c$export$adb4a1754da6f10d).Offer']) {
      expect(trimmed.includes(gone), gone).toBe(false);
    }
    // another PeerJS build: a trim that does not match fails (no guessing)
    expect(() => trimPeerjs(source.replace('listAllPeers', 'listEveryPeer'))).toThrow(/peerjs-trim: listAllPeers \(Peer, API\) matched 1 times \(expected 2\)/);
    expect(() => trimPeerjs('export {}')).toThrow(/raw serialization class/);
  });

  it('makes no RTCPeerConnection when it loads (util.supports is a constant)', () => {
    expect(peerConnectionsMade).toBe(0);
    expect(peerjs.util.supports).toMatchObject({ webRTC: true, data: true, audioVideo: true });
  });

  it('has an emitter that behaves as eventemitter3 where swarmfetch and PeerJS use it', () => {
    const peer = newPeer();
    const calls: string[] = [];
    const self: unknown[] = [];
    const context = {};
    peer.on('x', function (this: unknown, a: unknown, b: unknown) {
      self.push(this);
      calls.push(`first ${a} ${b}`);
      // added during an emit: not called by it
      peer.on('x', () => calls.push('late'));
    });
    peer.on('x', function (this: unknown) {
      self.push(this);
      calls.push('second');
    }, context);
    expect(peer.emit('x', 1, 2)).toBe(true);
    expect(calls).toEqual(['first 1 2', 'second']);
    expect(self).toEqual([peer, context]);
    expect(peer.emit('nobody')).toBe(false);
    // a listener that throws: the emitter's caller sees it
    peer.on('boom', () => {
      throw new Error('listener threw');
    });
    expect(() => peer.emit('boom')).toThrow('listener threw');
    expect(() => peer.on('y', 'not a function' as never)).toThrow(TypeError);
    peer.removeAllListeners('x');
    expect(peer.emit('x')).toBe(false);
    peer.removeAllListeners();
    expect(peer.emit('boom')).toBe(false);
    peer.destroy();
  });

  it('ignores a media call a peer offers: no call event, nothing held', () => {
    const peer = newPeer();
    const events: string[] = [];
    for (const e of ['call', 'connection', 'error']) peer.on(e, () => events.push(e));
    peer._handleMessage({ type: 'OFFER', src: 'caller', payload: { type: 'media', connectionId: 'mc_1', sdp: { type: 'offer', sdp: '' } } });
    expect(events).toEqual([]);
    expect(peer._connections.size).toBe(0);
    expect(peerConnectionsMade).toBe(0);
    peer.destroy();
  });
});
