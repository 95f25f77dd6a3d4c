import { describe, expect, it } from 'vitest';
import { isSupported, type SupportGlobals } from '../../client/isSupported';
import { Swarmfetch } from '../../client/Swarmfetch';

const capable = (): SupportGlobals => ({
  isSecureContext: true,
  navigator: { serviceWorker: {} },
  RTCPeerConnection: function RTCPeerConnection() {
    throw new Error('isSupported must not make one');
  },
  WebSocket: function WebSocket() {},
  crypto: { subtle: {} },
});

describe('isSupported', () => {
  it('is true where everything P2P delivery needs is there, and makes nothing (no RTCPeerConnection)', () => {
    expect(isSupported(capable())).toBe(true);
  });

  it('is false when any one part is missing', () => {
    const without: Array<[string, SupportGlobals]> = [
      ['an insecure context', { ...capable(), isSecureContext: false }],
      ['no isSecureContext at all', { ...capable(), isSecureContext: undefined }],
      ['no service workers', { ...capable(), navigator: {} }],
      ['no navigator', { ...capable(), navigator: undefined }],
      ['no WebRTC', { ...capable(), RTCPeerConnection: undefined }],
      ['WebRTC that is not a constructor', { ...capable(), RTCPeerConnection: {} }],
      ['no WebSocket', { ...capable(), WebSocket: undefined }],
      ['no crypto.subtle', { ...capable(), crypto: {} }],
    ];
    for (const [why, g] of without) expect(isSupported(g), why).toBe(false);
  });

  it('reads the real globals by default (node here: no service workers, no WebRTC) and is Swarmfetch.isSupported', () => {
    expect(isSupported()).toBe(false);
    expect(Swarmfetch.isSupported).toBe(isSupported);
  });
});
