import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { turnCredentials } from '../../server/turnCredentials';

describe('turnCredentials (TURN REST API, coturn use-auth-secret)', () => {
  const secret = '0123456789abcdef-swarmfetch';
  const now = 1_700_000_000_250; // ms: the expiry is counted from the whole second

  it('signs `<expiry>:<peer id>` with HMAC-SHA1 of the shared secret, base64', () => {
    // computed apart: printf '%s' '1700003600:peer-7f3a' | openssl dgst -sha1 -hmac '0123456789abcdef-swarmfetch' -binary | base64
    expect(turnCredentials(secret, 'peer-7f3a', 3600, now)).toEqual({
      username: '1700003600:peer-7f3a',
      credential: 'UEczsytIKgtnTbchmJhrFPJawcQ=',
      expiresAtSec: 1_700_003_600,
    });
  });

  it('is what a TURN server holding the secret recomputes from the username alone', () => {
    const { username, credential } = turnCredentials(secret, 'abc', 60, now);
    expect(username).toBe('1700000060:abc');
    expect(createHmac('sha1', Buffer.from(secret, 'utf8')).update(Buffer.from(username, 'utf8')).digest().toString('base64')).toBe(credential);
    expect(Buffer.from(credential, 'base64')).toHaveLength(20);
  });

  it('differs by peer, secret and expiry', () => {
    const a = turnCredentials(secret, 'a', 3600, now).credential;
    expect(turnCredentials(secret, 'b', 3600, now).credential).not.toBe(a);
    expect(turnCredentials(`${secret}!`, 'a', 3600, now).credential).not.toBe(a);
    expect(turnCredentials(secret, 'a', 3600, now + 1000).credential).not.toBe(a);
    expect(turnCredentials(secret, 'a', 3600, now + 500).credential).toBe(a);
  });
});
