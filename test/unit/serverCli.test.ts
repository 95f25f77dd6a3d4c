import { describe, expect, it } from 'vitest';
import { SwarmError } from '../../core/SwarmError';
import { parseCliArgs } from '../../server/parseCliArgs';
import { thrownCode } from './helpers/thrownCode';

describe('parseCliArgs', () => {
  it('asks for help with no arguments, --help or -h', () => {
    expect(parseCliArgs([])).toEqual({ command: 'help' });
    expect(parseCliArgs(['--help'])).toEqual({ command: 'help' });
    expect(parseCliArgs(['server', '-h'])).toEqual({ command: 'help' });
  });

  it('parses server options, in both --flag value and --flag=value forms', () => {
    expect(
      parseCliArgs([
        'server', '--port', '9000', '--host=0.0.0.0',
        '--allow-origin', 'https://a.example,https://b.example', '--allow-origin=https://c.example',
        '--static', '/media=demo/media', '--static=/x=/tmp/a=b',
        '--peers-per-answer', '20', '--max-swarms-per-peer=4',
      ]),
    ).toEqual({
      command: 'server',
      options: {
        port: 9000,
        host: '0.0.0.0',
        allowedOrigins: ['https://a.example', 'https://b.example', 'https://c.example'],
        static: [{ urlPath: '/media', dir: 'demo/media' }, { urlPath: '/x', dir: '/tmp/a=b' }],
        peersPerAnswer: 20,
        maxSwarmsPerPeer: 4,
      },
    });
    expect(parseCliArgs(['server'])).toEqual({ command: 'server', options: {} });
    expect(
      parseCliArgs([
        'server', '--max-peers', '100', '--max-connections-per-ip=8', '--max-message-bytes', '4096',
        '--max-messages-per-sec', '10', '--max-tracker-requests-per-sec=5',
      ]),
    ).toEqual({
      command: 'server',
      options: { maxPeers: 100, maxConnectionsPerIp: 8, maxMessageBytes: 4096, maxMessagesPerSec: 10, maxTrackerRequestsPerSec: 5 },
    });
    expect(parseCliArgs(['server', '--allow-origin', '*'])).toEqual({ command: 'server', options: { allowedOrigins: '*' } });
    expect(
      parseCliArgs([
        'server', '--hash-segment-pattern', '\\.bin$', '--hash-min-range-bytes=8192', '--hash-max-fetches-per-client', '1',
        '--max-queued-messages-per-client', '0', '--max-queued-bytes=1048576',
      ]),
    ).toEqual({
      command: 'server',
      options: { hashSegmentPattern: '\\.bin$', hashMinRangeBytes: 8192, hashMaxFetchesPerClient: 1, maxQueuedMessagesPerClient: 0, maxQueuedBytes: 1048576 },
    });
  });

  it('parses the NAT traversal options: STUN port, --no-stun, STUN and TURN URLs, TURN secret and lifetime', () => {
    expect(
      parseCliArgs([
        'server', '--stun-port', '3478', '--ice-url', 'stun:a.example:3478,stun:b.example', '--ice-url=stuns:c.example',
        '--turn-url', 'turn:t.example:3478?transport=udp', '--turn-url=turns:t.example:5349', '--turn-secret', 'sixteen-chars-ok',
        '--turn-ttl-sec=600',
      ], {}),
    ).toEqual({
      command: 'server',
      options: {
        stunPort: 3478,
        iceUrls: ['stun:a.example:3478', 'stun:b.example', 'stuns:c.example'],
        turnUrls: ['turn:t.example:3478?transport=udp', 'turns:t.example:5349'],
        turnSecret: 'sixteen-chars-ok',
        turnCredentialTtlSec: 600,
      },
    });
    expect(parseCliArgs(['server', '--no-stun', '--port', '0'], {})).toEqual({ command: 'server', options: { stun: false, port: 0 } });
  });

  it('reads the TURN secret from SWARMFETCH_TURN_SECRET unless --turn-secret is given', () => {
    const env = { SWARMFETCH_TURN_SECRET: 'from-the-environment' };
    expect(parseCliArgs(['server', '--turn-url', 'turn:t.example'], env)).toEqual({
      command: 'server', options: { turnUrls: ['turn:t.example'], turnSecret: 'from-the-environment' },
    });
    expect(parseCliArgs(['server', '--turn-secret=from-the-command-line'], env)).toEqual({
      command: 'server', options: { turnSecret: 'from-the-command-line' },
    });
    expect(parseCliArgs(['server'], { SWARMFETCH_TURN_SECRET: '' })).toEqual({ command: 'server', options: {} });
    // a secret in the environment without TURN URLs is a mistake, said at once
    expect(thrownCode(() => parseCliArgs(['server'], env))).toBe('config-invalid');
  });

  it('throws config-invalid with the usage for wrong arguments', () => {
    for (const argv of [['serve'], ['server', '--port'], ['server', '--port', 'x'], ['server', '--nope', '1'], ['server', 'extra'], ['server', '--static', 'nodir'], ['server', '--stun-port', 'x'], ['server', '--turn-secret'], ['server', '--no-stun=1']]) {
      let error: unknown;
      try {
        parseCliArgs(argv);
      } catch (err) {
        error = err;
      }
      expect(SwarmError.is(error, 'config-invalid'), argv.join(' ')).toBe(true);
      expect((error as Error).message).toContain('Usage:');
    }
  });
});
