import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG,
  DEFAULT_SEGMENT_PATTERN,
  SW_CONFIG_KEYS,
  swConfigFromParams,
  type SwarmfetchConfig,
} from '../../core/config';
import { mergeConfig } from '../../core/mergeConfig';
import { swConfigToParams } from '../../core/contract';
import { SwarmError } from '../../core/SwarmError';
import { configFromScript } from '../../client/configFromScript';
import { thrownCode } from './helpers/thrownCode';

const MiB = 1024 * 1024;

/** The documented clamp bounds, restated here so a silent change of a bound fails a test. */
const BOUNDS = {
  storeMaxBytes: [MiB, 1024 * MiB],
  segmentMaxBytes: [64 * 1024, 256 * MiB],
  maxPeers: [1, 50],
  p2pTimeoutMs: [50, 30_000],
  p2pStallMs: [50, 30_000],
  portWaitMs: [0, 5_000],
  trackerRefreshMs: [500, 600_000],
  trackerTimeoutMs: [100, 60_000],
  sendHighWaterBytes: [64 * 1024, 8 * MiB],
  peerJoinMaxDelayMs: [0, 60_000],
} as const;
type NumberKey = keyof typeof BOUNDS;
const NUMBER_KEYS = Object.keys(BOUNDS) as NumberKey[];
const STRING_KEYS = ['serverUrl', 'swUrl', 'swScope', 'peerjsPath', 'peerjsKey', 'segmentPattern'] as const;

type UserConfig = Parameters<typeof mergeConfig>[0];

function codeOf(fn: () => unknown): { code: string; details: Record<string, unknown> } | 'no-throw' {
  try {
    fn();
  } catch (err) {
    if (err instanceof SwarmError) return { code: err.code, details: err.details };
    throw err; // anything but a SwarmError fails the test with the real error
  }
  return 'no-throw';
}

function expectInvalid(user: unknown, key?: string): void {
  const result = codeOf(() => mergeConfig(user as UserConfig));
  expect(result).not.toBe('no-throw');
  if (result === 'no-throw') return;
  expect(result.code).toBe('config-invalid');
  if (key !== undefined) expect(result.details.key).toBe(key);
}

function pickSw(config: Readonly<SwarmfetchConfig>): Record<string, unknown> {
  return Object.fromEntries(SW_CONFIG_KEYS.map((k) => [k, config[k]]));
}

describe('DEFAULT_CONFIG', () => {
  it('is frozen, and leaves ICE servers to the P2P server (never a public STUN/TURN), relays allowed', () => {
    expect(Object.isFrozen(DEFAULT_CONFIG)).toBe(true);
    expect(DEFAULT_CONFIG.iceServers).toBeNull();
    expect(DEFAULT_CONFIG.allowRelayedPeers).toBe(true);
  });

  it('holds numbers within their own bounds', () => {
    for (const key of NUMBER_KEYS) {
      const [min, max] = BOUNDS[key];
      expect(DEFAULT_CONFIG[key], key).toBeGreaterThanOrEqual(min);
      expect(DEFAULT_CONFIG[key], key).toBeLessThanOrEqual(max);
    }
  });

  it('compiles its default segment pattern', () => {
    expect(DEFAULT_CONFIG.segmentPattern).toBe(DEFAULT_SEGMENT_PATTERN);
    expect(() => new RegExp(DEFAULT_SEGMENT_PATTERN, 'i')).not.toThrow();
  });
});

describe('mergeConfig', () => {
  it('returns a frozen copy of the defaults when given nothing', () => {
    for (const user of [undefined, null, {}]) {
      const config = mergeConfig(user as UserConfig);
      expect(config).toEqual(DEFAULT_CONFIG);
      expect(config).not.toBe(DEFAULT_CONFIG);
      expect(Object.isFrozen(config)).toBe(true);
    }
  });

  it('returns a frozen result that cannot be assigned to', () => {
    const config = mergeConfig({ maxPeers: 3 });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as SwarmfetchConfig).maxPeers = 4;
    }).toThrow(TypeError);
    expect(config.maxPeers).toBe(3);
  });

  it('gives each result its own frozen iceServers array (never the base one)', () => {
    const base = mergeConfig({ iceServers: [{ urls: 'stun:10.77.0.2:3478' }] });
    const config = mergeConfig({}, base);
    expect(config.iceServers).not.toBe(base.iceServers);
    expect(config.iceServers).toEqual(base.iceServers);
    expect(Object.isFrozen(config.iceServers)).toBe(true);
    expect(mergeConfig({ iceServers: null }, base).iceServers).toBeNull();
  });

  it('overrides defaults with given values and leaves the others alone', () => {
    const config = mergeConfig({ serverUrl: 'http://10.77.0.1:9000', p2pTimeoutMs: 1234, debug: true });
    expect(config.serverUrl).toBe('http://10.77.0.1:9000');
    expect(config.p2pTimeoutMs).toBe(1234);
    expect(config.debug).toBe(true);
    expect(config.maxPeers).toBe(DEFAULT_CONFIG.maxPeers);
    expect(config.swUrl).toBe(DEFAULT_CONFIG.swUrl);
  });

  it('merges over a given base, not the defaults', () => {
    const base = mergeConfig({ maxPeers: 3, swUrl: '/sw.js' });
    const config = mergeConfig({ p2pStallMs: 400 }, base);
    expect(config.maxPeers).toBe(3);
    expect(config.swUrl).toBe('/sw.js');
    expect(config.p2pStallMs).toBe(400);
  });

  it('does not modify the user object nor the base', () => {
    const user = { maxPeers: 1000, iceServers: [{ urls: 'stun:10.77.0.2:3478' }] };
    const snapshot = structuredClone(user);
    const base = mergeConfig({ maxPeers: 2 });
    mergeConfig(user, base);
    expect(user).toEqual(snapshot);
    expect(base.maxPeers).toBe(2);
  });

  it('skips keys whose value is undefined', () => {
    expect(mergeConfig({ maxPeers: undefined, swUrl: undefined })).toEqual(DEFAULT_CONFIG);
  });

  it('refuses a config that is not an object', () => {
    for (const user of [5, 'maxPeers=3', true]) expectInvalid(user);
  });

  it('refuses unknown keys, naming the key', () => {
    for (const key of ['maxpeers', 'p2pTimeout', 'timeoutMs', 'foo', '']) expectInvalid({ [key]: 1 }, key);
  });

  it('refuses keys that are names on Object.prototype with config-invalid (not a TypeError)', () => {
    for (const key of ['toString', 'valueOf', 'constructor', 'hasOwnProperty', 'isPrototypeOf']) {
      expectInvalid({ [key]: 1 }, key);
      expectInvalid({ [key]: 'x' }, key);
    }
    // A JSON config (e.g. from a data attribute) can carry an own "__proto__" key.
    expectInvalid(JSON.parse('{"__proto__": 5}'), '__proto__');
  });

  it('refuses numbers of the wrong type, naming the key', () => {
    for (const key of NUMBER_KEYS) {
      for (const value of ['abc', '', '   ', true, false, null, {}, [], [5], Number.NaN, '12px']) {
        expectInvalid({ [key]: value }, key);
      }
    }
  });

  it('accepts numbers written as decimal strings (they come from URLs and attributes)', () => {
    const config = mergeConfig({ p2pTimeoutMs: '3000', maxPeers: ' 4 ' });
    expect(config.p2pTimeoutMs).toBe(3000);
    expect(config.maxPeers).toBe(4);
  });

  it('clamps every number into its bounds and rounds it to an integer', () => {
    for (const key of NUMBER_KEYS) {
      const [min, max] = BOUNDS[key];
      expect(mergeConfig({ [key]: min - 1 })[key], `${key} below`).toBe(min);
      expect(mergeConfig({ [key]: -1e12 })[key], `${key} far below`).toBe(min);
      expect(mergeConfig({ [key]: max + 1 })[key], `${key} above`).toBe(max);
      expect(mergeConfig({ [key]: Number.POSITIVE_INFINITY })[key], `${key} +inf`).toBe(max);
      expect(mergeConfig({ [key]: Number.NEGATIVE_INFINITY })[key], `${key} -inf`).toBe(min);
      expect(mergeConfig({ [key]: min })[key], `${key} min`).toBe(min);
      expect(mergeConfig({ [key]: max })[key], `${key} max`).toBe(max);
      expect(mergeConfig({ [key]: min + 0.6 })[key], `${key} rounded`).toBe(min + 1);
    }
  });

  it('keeps any number (clamped) an integer within bounds', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NUMBER_KEYS), fc.double({ noNaN: true }), (key, value) => {
        const out = mergeConfig({ [key]: value })[key];
        const [min, max] = BOUNDS[key];
        return Number.isInteger(out) && out >= min && out <= max;
      }),
    );
  });

  it('refuses non-string values for string options, naming the key', () => {
    for (const key of STRING_KEYS) {
      for (const value of [5, true, null, {}, ['/x']]) expectInvalid({ [key]: value }, key);
    }
  });

  it('reads serverUrl as a comma-separated list: trimmed, empty entries dropped, at most 8; one URL unchanged', () => {
    expect(mergeConfig({ serverUrl: 'https://p2p.example/base' }).serverUrl).toBe('https://p2p.example/base');
    expect(mergeConfig({ serverUrl: '' }).serverUrl).toBe('');
    expect(mergeConfig({ serverUrl: ' https://p1.example , ,https://p2.example,, /p2p/ ' }).serverUrl)
      .toBe('https://p1.example,https://p2.example,/p2p/');
    const ten = Array.from({ length: 10 }, (_, i) => `https://p${i}.example`);
    expect(mergeConfig({ serverUrl: ten.join(',') }).serverUrl).toBe(ten.slice(0, 8).join(','));
  });

  it('takes the drop-in tag\'s data-server list', () => {
    const c = mergeConfig(configFromScript({ server: 'https://p2p1.example, https://p2p2.example/p2p/', sw: '/sw.js' }));
    expect(c.serverUrl).toBe('https://p2p1.example,https://p2p2.example/p2p/');
    expect(thrownCode(() => mergeConfig(configFromScript({ server: 'https://p2p1.example,wss://p2p2.example' })))).toBe('config-invalid');
  });

  it('refuses a serverUrl entry that is no http(s) URL, naming the key', () => {
    for (const bad of ['ws://p2p.example', 'https://p1.example,javascript:alert(1)', 'http://[bad', 'https://p1.example, ftp://p2.example']) {
      expectInvalid({ serverUrl: bad }, 'serverUrl');
    }
  });

  it('refuses a segmentPattern that is not a regular expression', () => {
    expectInvalid({ segmentPattern: '(' }, 'segmentPattern');
    expectInvalid({ segmentPattern: '[a-' }, 'segmentPattern');
    expect(mergeConfig({ segmentPattern: '\\.m4s$' }).segmentPattern).toBe('\\.m4s$');
  });

  it('accepts the boolean spellings of debug', () => {
    expect(mergeConfig({ debug: true }).debug).toBe(true);
    expect(mergeConfig({ debug: false }).debug).toBe(false);
    expect(mergeConfig({ debug: 'true' }).debug).toBe(true);
    expect(mergeConfig({ debug: '1' }).debug).toBe(true);
    expect(mergeConfig({ debug: '' }).debug).toBe(true); // `?debug` with no value
    expect(mergeConfig({ debug: 'false' }).debug).toBe(false);
    expect(mergeConfig({ debug: '0' }).debug).toBe(false);
  });

  it('refuses debug values that are neither boolean nor string', () => {
    for (const value of [1, 0, {}, [], null]) expectInvalid({ debug: value }, 'debug');
  });

  it('accepts RTCIceServer arrays and refuses anything else', () => {
    const servers = [{ urls: 'stun:10.77.0.2:3478' }, { urls: ['turn:10.77.0.2'], username: 'u', credential: 'c' }];
    expect(mergeConfig({ iceServers: servers }).iceServers).toEqual(servers);
    for (const value of ['stun:x', {}, [null], ['stun:x'], [{ url: 'stun:x' }], [{ urls: 'stun:x' }, 5], 5]) {
      expectInvalid({ iceServers: value }, 'iceServers');
    }
  });

  it('does not share the given iceServers array with the result', () => {
    const servers = [{ urls: 'stun:10.77.0.2:3478' }];
    const config = mergeConfig({ iceServers: servers });
    servers.push({ urls: 'stun:elsewhere' });
    expect(config.iceServers).toHaveLength(1);
  });
});

describe('swConfigToParams / swConfigFromParams', () => {
  it('writes nothing for the defaults', () => {
    expect(swConfigToParams(DEFAULT_CONFIG).toString()).toBe('');
  });

  it('writes only the service worker keys, and only non-default values', () => {
    const config = mergeConfig({ p2pTimeoutMs: 900, storeMaxBytes: 2 * MiB, maxPeers: 3, serverUrl: 'http://x' });
    const params = swConfigToParams(config);
    expect([...params.keys()]).toEqual(['p2pTimeoutMs']);
    expect(params.get('p2pTimeoutMs')).toBe('900');
  });

  it('reads the defaults from empty params, and exactly the service worker keys', () => {
    const sw = swConfigFromParams(new URLSearchParams());
    expect(Object.keys(sw).sort()).toEqual([...SW_CONFIG_KEYS].sort());
    expect(sw).toEqual(pickSw(DEFAULT_CONFIG));
  });

  it('round-trips every service worker key', () => {
    const config = mergeConfig({
      segmentPattern: '/chunks/\\d+\\.bin$',
      segmentMaxBytes: 5 * MiB,
      p2pTimeoutMs: 777,
      portWaitMs: 0,
      debug: true,
    });
    const params = new URLSearchParams(swConfigToParams(config).toString()); // through text, as in a script URL
    expect(swConfigFromParams(params)).toEqual(pickSw(config));
  });

  it('round-trips any valid service worker config', () => {
    const pattern = fc.string({ maxLength: 30 }).filter((s) => {
      try {
        new RegExp(s, 'i');
        return true;
      } catch {
        return false;
      }
    });
    fc.assert(
      fc.property(
        fc.record({
          segmentPattern: pattern,
          segmentMaxBytes: fc.integer({ min: BOUNDS.segmentMaxBytes[0], max: BOUNDS.segmentMaxBytes[1] }),
          p2pTimeoutMs: fc.integer({ min: BOUNDS.p2pTimeoutMs[0], max: BOUNDS.p2pTimeoutMs[1] }),
          portWaitMs: fc.integer({ min: BOUNDS.portWaitMs[0], max: BOUNDS.portWaitMs[1] }),
          debug: fc.boolean(),
        }),
        (user) => {
          const config = mergeConfig(user);
          const text = swConfigToParams(config).toString();
          expect(swConfigFromParams(new URLSearchParams(text))).toEqual(pickSw(config));
        },
      ),
    );
  });

  it('falls back to the default for a value that is not valid', () => {
    const sw = swConfigFromParams(new URLSearchParams('p2pTimeoutMs=soon&segmentPattern=(&segmentMaxBytes='));
    expect(sw.p2pTimeoutMs).toBe(DEFAULT_CONFIG.p2pTimeoutMs);
    expect(sw.segmentPattern).toBe(DEFAULT_CONFIG.segmentPattern);
    expect(sw.segmentMaxBytes).toBe(DEFAULT_CONFIG.segmentMaxBytes);
  });

  it('keeps the valid values when another value is not valid', () => {
    const sw = swConfigFromParams(new URLSearchParams('p2pTimeoutMs=soon&portWaitMs=100&segmentPattern=%5C.bin%24'));
    expect(sw.p2pTimeoutMs).toBe(DEFAULT_CONFIG.p2pTimeoutMs);
    expect(sw.portWaitMs).toBe(100);
    expect(sw.segmentPattern).toBe('\\.bin$');
  });

  it('clamps out-of-range values rather than trusting them', () => {
    const sw = swConfigFromParams(new URLSearchParams('p2pTimeoutMs=1&portWaitMs=999999999&segmentMaxBytes=-5'));
    expect(sw.p2pTimeoutMs).toBe(BOUNDS.p2pTimeoutMs[0]);
    expect(sw.portWaitMs).toBe(BOUNDS.portWaitMs[1]);
    expect(sw.segmentMaxBytes).toBe(BOUNDS.segmentMaxBytes[0]);
  });

  it('ignores parameters that are not service worker keys', () => {
    const sw = swConfigFromParams(new URLSearchParams('storeMaxBytes=5&foo=bar&v=123&toString=1'));
    expect(sw).toEqual(pickSw(DEFAULT_CONFIG));
  });

  it('never throws, whatever the query string', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...SW_CONFIG_KEYS, 'other'), fc.string({ maxLength: 20 })), { maxLength: 8 }),
        (pairs) => {
          const sw = swConfigFromParams(new URLSearchParams(pairs));
          expect(Object.keys(sw).sort()).toEqual([...SW_CONFIG_KEYS].sort());
        },
      ),
    );
  });
});
