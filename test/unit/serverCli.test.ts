import { describe, expect, it } from 'vitest';
import { SwarmError } from '../../core/SwarmError';
import { HASH_FLAGS, SERVER_FLAGS } from '../../server/cliFlags';
import { parseCliArgs, USAGE } from '../../server/parseCliArgs';
import { thrownCode } from './helpers/thrownCode';

/** No PORT, HOST or TURN secret: what the machine running the tests has set must not matter. */
const NO_ENV = {};

/** The SwarmError `parseCliArgs(argv, env)` throws. */
function failure(argv: string[], env: Record<string, string> = NO_ENV): SwarmError {
  try {
    parseCliArgs(argv, env);
  } catch (err) {
    if (SwarmError.is(err, 'config-invalid')) return err;
    throw err;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('parseCliArgs', () => {
  it('asks for help with no arguments, --help or -h, and for the version with --version', () => {
    expect(parseCliArgs([], NO_ENV)).toEqual({ command: 'help' });
    expect(parseCliArgs(['--help'], NO_ENV)).toEqual({ command: 'help' });
    expect(parseCliArgs(['server', '-h'], NO_ENV)).toEqual({ command: 'help' });
    expect(parseCliArgs(['help'], NO_ENV)).toEqual({ command: 'help' });
    expect(parseCliArgs(['--version'], NO_ENV)).toEqual({ command: 'version' });
    expect(parseCliArgs(['server', '--version'], NO_ENV)).toEqual({ command: 'version' });
  });

  it('parses server options, in both --flag value and --flag=value forms', () => {
    expect(
      parseCliArgs([
        'server', '--port', '9000', '--host=0.0.0.0',
        '--allow-origin', 'https://a.example,https://b.example', '--allow-origin=https://c.example',
        '--static', '/media=demo/media', '--static=/x=/tmp/a=b',
        '--peers-per-answer', '20', '--max-swarms-per-peer=4',
      ], NO_ENV),
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
    expect(parseCliArgs(['server'], NO_ENV)).toEqual({ command: 'server', options: {} });
    expect(
      parseCliArgs([
        'server', '--max-peers', '100', '--max-connections-per-ip=8', '--max-message-bytes', '4096',
        '--max-messages-per-sec', '10', '--max-tracker-requests-per-sec=5',
      ], NO_ENV),
    ).toEqual({
      command: 'server',
      options: { maxPeers: 100, maxConnectionsPerIp: 8, maxMessageBytes: 4096, maxMessagesPerSec: 10, maxTrackerRequestsPerSec: 5 },
    });
    expect(parseCliArgs(['server', '--allow-origin', '*'], NO_ENV)).toEqual({ command: 'server', options: { allowedOrigins: '*' } });
    expect(
      parseCliArgs([
        'server', '--hash-segment-pattern', '\\.bin$', '--hash-min-range-bytes=8192', '--hash-max-fetches-per-client', '1',
        '--max-queued-messages-per-client', '0', '--max-queued-bytes=1048576',
      ], NO_ENV),
    ).toEqual({
      command: 'server',
      options: { hashSegmentPattern: '\\.bin$', hashMinRangeBytes: 8192, hashMaxFetchesPerClient: 1, maxQueuedMessagesPerClient: 0, maxQueuedBytes: 1048576 },
    });
    // a single-valued flag given twice: the last one counts
    expect(parseCliArgs(['server', '--port', '1', '--port=2'], NO_ENV)).toEqual({ command: 'server', options: { port: 2 } });
  });

  it('parses the NAT traversal options: STUN port, --no-stun, STUN and TURN URLs, TURN secret and lifetime', () => {
    expect(
      parseCliArgs([
        'server', '--stun-port', '3478', '--ice-url', 'stun:a.example:3478,stun:b.example', '--ice-url=stuns:c.example',
        '--turn-url', 'turn:t.example:3478?transport=udp', '--turn-url=turns:t.example:5349', '--turn-secret', 'sixteen-chars-ok',
        '--turn-ttl-sec=600',
      ], NO_ENV),
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
    expect(parseCliArgs(['server', '--no-stun', '--port', '0'], NO_ENV)).toEqual({ command: 'server', options: { stun: false, port: 0 } });
  });

  it('parses --trust-proxy (hops, or repeatable addresses and ranges), --metrics and --log-format', () => {
    expect(parseCliArgs(['server', '--trust-proxy', '1'], NO_ENV)).toEqual({ command: 'server', options: { trustProxy: 1 } });
    expect(parseCliArgs(['server', '--trust-proxy', 'loopback,10.0.0.0/8', '--trust-proxy=fd00::/8', '--trust-proxy', '192.0.2.7'], NO_ENV)).toEqual({
      command: 'server', options: { trustProxy: ['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.7'] },
    });
    expect(parseCliArgs(['server', '--metrics', '--log-format', 'json'], NO_ENV)).toEqual({ command: 'server', options: { metrics: true, logFormat: 'json' } });
    expect(failure(['server', '--trust-proxy', '1,10.0.0.1']).message).toMatch(/--trust-proxy takes one number of hops or a list/);
    expect(failure(['server', '--trust-proxy', '40']).message).toMatch(/--trust-proxy needs a whole number from 0 to 32, not '40'/);
    expect(failure(['server', '--trust-proxy', 'proxy.example']).message).toMatch(/--trust-proxy needs .* not 'proxy\.example'/);
    expect(failure(['server', '--trust-proxy', '10.0.0.0/40']).message).toContain("not '10.0.0.0/40'");
    expect(failure(['server', '--log-format', 'xml']).message).toBe("config-invalid: --log-format must be text or json, not 'xml'");
    expect(failure(['server', '--metrics=yes']).message).toBe("config-invalid: --metrics takes no value (got '--metrics=yes')");
  });

  it('takes PORT and HOST from the environment when --port and --host are not given', () => {
    expect(parseCliArgs(['server'], { PORT: '3000', HOST: '0.0.0.0' })).toEqual({ command: 'server', options: { port: 3000, host: '0.0.0.0' } });
    expect(parseCliArgs(['server', '--port', '9000', '--host', '::1'], { PORT: '3000', HOST: '0.0.0.0' })).toEqual({
      command: 'server', options: { port: 9000, host: '::1' },
    });
    expect(parseCliArgs(['server'], { PORT: '', HOST: ' ' })).toEqual({ command: 'server', options: {} });
    const junk = failure(['server'], { PORT: 'http' });
    expect(junk.message).toBe("config-invalid: PORT (from the environment) needs a whole number from 0 to 65535, not 'http'");
    expect(junk.details.hint).toBe('fix or unset PORT, or give --port N');
    // junk in PORT does not matter when --port is given
    expect(parseCliArgs(['server', '--port=1'], { PORT: 'http' })).toEqual({ command: 'server', options: { port: 1 } });
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
    expect(failure(['server'], env).details.hint).toMatch(/--turn-url/);
  });

  it('says which flag is wrong and how to fix it, in one line (no usage dump)', () => {
    const cases: Array<[string[], RegExp, RegExp]> = [
      [['serve'], /^unknown command 'serve'$/, /did you mean 'server'\?/],
      [['server', '--bogus'], /^unknown option --bogus for 'swarmfetch-server'$/, /swarmfetch-server --help/],
      [['server', '--prot', '80'], /^unknown option --prot for 'swarmfetch-server'$/, /did you mean --port\?/],
      [['server', '--max-connections', '8'], /^unknown option --max-connections/, /--max-connections-per-ip/],
      [['server', '-p', '80'], /^unknown option -p for 'swarmfetch-server'$/, /swarmfetch-server --help/],
      [['server', '--out', 'x'], /^--out is an option of 'swarmfetch-server hash', not of 'swarmfetch-server'$/, /swarmfetch-server --help/],
      [['server', '--port'], /^--port needs a value \(it is the last argument\)$/, /--port N/],
      [['server', '--port', '--host', 'x'], /^--port needs a value \('--host' follows it\)$/, /--port=N/],
      [['server', '--host='], /^--host needs a value \(it is empty\)$/, /--host ADDR/],
      [['server', '--port', 'x'], /^--port needs a whole number from 0 to 65535, not 'x'$/, /--port 8080/],
      [['server', '--port', '70000'], /^--port needs a whole number from 0 to 65535, not '70000'$/, /8080/],
      [['server', '--stun-port', '-1'], /^--stun-port needs a value \('-1' follows it\)$/, /--stun-port=N/],
      [['server', '--stun-port=-1'], /^--stun-port needs a whole number from 0 to 65535, not '-1'$/, /--stun-port 0/],
      [['server', '--peers-per-answer', '500'], /^--peers-per-answer needs a whole number from 1 to 50, not '500'$/, /10 \(the default\)/],
      [['server', '--max-peers', '1.5'], /^--max-peers needs a whole number from 1 to 1000000, not '1.5'$/, /5000/],
      [['server', 'extra'], /^unexpected argument 'extra' for 'swarmfetch-server'$/, /options start with --/],
      [['server', '--static', 'nodir'], /^--static needs \/url\/path=DIR, not 'nodir'$/, /--static \/media=/],
      [['server', '--static', '/m='], /^--static needs \/url\/path=DIR/, /e\.g\./],
      [['server', '--turn-secret'], /^--turn-secret needs a value/, /--turn-secret S/],
      [['server', '--no-stun=1'], /^--no-stun takes no value/, /write just --no-stun/],
      [['hash'], /^hash needs a media directory$/, /swarmfetch-server hash <media-dir>/],
      [['hash', 'a', 'b'], /^unexpected argument 'b'/, /swarmfetch-server hash <media-dir>/],
      [['hash', 'a', '--out'], /^--out needs a value/, /--out FILE/],
      [['hash', 'a', '--nope'], /^unknown option --nope for 'swarmfetch-server hash'$/, /swarmfetch-server --help/],
      [['hash', 'a', '--port', '1'], /^--port is an option of 'swarmfetch-server', not of 'swarmfetch-server hash'$/, /swarmfetch-server --help/],
      [['hash', 'a', '--pattern', '('], /^--pattern is not a regular expression: '\('/, /--pattern/],
    ];
    for (const [argv, message, hint] of cases) {
      const error = failure(argv);
      const text = error.message.replace(/^config-invalid: /, '');
      expect(text, argv.join(' ')).toMatch(message);
      expect(text, argv.join(' ')).not.toContain('\n');
      expect(String(error.details.hint), argv.join(' ')).toMatch(hint);
    }
    // the flag is in the details too
    expect(failure(['server', '--port', 'x']).details.flag).toBe('--port');
  });

  it('documents every flag in the usage', () => {
    for (const name of [...Object.keys(SERVER_FLAGS), ...Object.keys(HASH_FLAGS)]) expect(USAGE, name).toContain(`--${name}`);
    expect(USAGE).toContain('--version');
  });
});
