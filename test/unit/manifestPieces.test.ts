import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDashTemplate } from '../../core/manifest/formatDashTemplate';
import { parseIsoDateTime } from '../../core/manifest/parseIsoDateTime';
import { parseIsoDuration } from '../../core/manifest/parseIsoDuration';
import { parseXml } from '../../core/manifest/parseXml';
import { MANIFEST_LIMITS } from '../../core/manifest/types';
import { UrlResolver } from '../../core/manifest/UrlResolver';
import { thrownCode } from './helpers/thrownCode';

const code = thrownCode;

describe('parseXml', () => {
  it('reads elements, attributes in both quote styles, self-closing tags and local names', () => {
    const root = parseXml(
      `<?xml version="1.0"?>\n<a:Root xmlns:a="urn:x" one="1" two='2'><Child x = "y"/><Child/><b:Other>t</b:Other></a:Root>`,
    );
    expect(root.name).toBe('Root');
    expect([...root.attrs]).toEqual([
      ['xmlns:a', 'urn:x'],
      ['one', '1'],
      ['two', '2'],
    ]);
    expect(root.children.map((c) => c.name)).toEqual(['Child', 'Child', 'Other']);
    expect(root.children[0]!.attrs.get('x')).toBe('y');
    expect(root.children[2]!.text).toBe('t');
  });

  it('decodes the predefined entities and character references, leaves unknown ones', () => {
    const root = parseXml('<r a="&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&bogus;&#0;&#x110000;">x &amp;amp; y</r>');
    expect(root.attrs.get('a')).toBe(`&<>"'AB&bogus;&#0;&#x110000;`);
    expect(root.text).toBe('x &amp; y');
  });

  it('skips comments, processing instructions and DOCTYPE (no entity expansion); CDATA is text', () => {
    const root = parseXml(
      '<!DOCTYPE r [<!ENTITY e "boom"><!ELEMENT r ANY>]><!-- <fake/> --><r><?pi <x/> ?><!-- <y/> --><![CDATA[<z/>&e;]]></r>',
    );
    expect(root.children).toEqual([]);
    expect(root.text).toBe('<z/>&e;');
  });

  it('ignores whatever follows the root element', () => {
    expect(parseXml('<r/><s/>garbage<').name).toBe('r');
  });

  it('refuses malformed markup with protocol-violation', () => {
    for (const text of [
      '',
      'text only',
      '<r>',
      '<r></s>',
      '<r a></r>',
      '<r a=1/>',
      '<r a="1/>',
      '<!-- x',
      '<![CDATA[x',
      '<r',
      '</r>',
      '<>',
      '<r><?pi</r>',
    ]) {
      expect(
        code(() => parseXml(text)),
        text,
      ).toBe('protocol-violation');
    }
    expect(code(() => parseXml(`${'<a>'.repeat(100)}${'</a>'.repeat(100)}`))).toBe('protocol-violation');
  });

  it('refuses more than maxXmlElements elements with size-exceeded', () => {
    const text = `<r>${'<e/>'.repeat(MANIFEST_LIMITS.maxXmlElements)}</r>`;
    expect(code(() => parseXml(text))).toBe('size-exceeded');
  }, 60_000);
});

describe('parseIsoDuration', () => {
  it('reads the forms MPDs use', () => {
    expect(parseIsoDuration('PT2S')).toBe(2);
    expect(parseIsoDuration('PT1M0.5S')).toBe(60.5);
    expect(parseIsoDuration('P0DT1H')).toBe(3600);
    expect(parseIsoDuration('PT634.566S')).toBe(634.566);
    expect(parseIsoDuration('PT10.0S')).toBe(10);
    expect(parseIsoDuration('P1DT2H3M4S')).toBe(86400 + 7200 + 180 + 4);
    expect(parseIsoDuration('P1Y')).toBe(365 * 86400);
    expect(parseIsoDuration('P1M')).toBe(30 * 86400);
    expect(parseIsoDuration('PT1M')).toBe(60);
    expect(parseIsoDuration('P2W')).toBe(14 * 86400);
    expect(parseIsoDuration(' PT0S ')).toBe(0);
  });

  it('returns null for absent, negative or malformed durations', () => {
    for (const s of [
      undefined,
      '',
      'P',
      'PT',
      '2S',
      'PT2',
      '-PT2S',
      'PT2S3M',
      'PTS',
      'P1H',
      'PT1.2.3S',
      `PT${'9'.repeat(300)}S`,
    ]) {
      expect(parseIsoDuration(s), String(s)).toBeNull();
    }
  });
});

describe('parseIsoDateTime', () => {
  it('reads UTC, offsets and zone-less (as UTC) times', () => {
    expect(parseIsoDateTime('2026-11-25T11:55:44.617Z')).toBe(Date.UTC(2026, 10, 25, 11, 55, 44, 617));
    expect(parseIsoDateTime('1970-01-01T00:00:00Z')).toBe(0);
    expect(parseIsoDateTime('2024-05-01T12:00:00+02:00')).toBe(Date.UTC(2024, 4, 1, 10));
    expect(parseIsoDateTime('2024-05-01T10:00:00')).toBe(Date.UTC(2024, 4, 1, 10));
  });

  it('returns null for anything else', () => {
    for (const s of [
      undefined,
      '',
      'yesterday',
      '2024-05-01',
      '2024-13-45T99:99:99Z',
      `2024-05-01T10:00:00.${'1'.repeat(50)}Z`,
    ]) {
      expect(parseIsoDateTime(s), String(s)).toBeNull();
    }
  });
});

describe('formatDashTemplate', () => {
  const values = { RepresentationID: 'v1', Bandwidth: 800000, Number: 42, Time: 123456789n };

  it('substitutes identifiers, widths and $$', () => {
    expect(formatDashTemplate('$RepresentationID$/$Number$.m4s', values)).toBe('v1/42.m4s');
    expect(formatDashTemplate('seg-$Number%05d$.m4s', values)).toBe('seg-00042.m4s');
    expect(formatDashTemplate('$Number%5d$', values)).toBe('00042');
    expect(formatDashTemplate('$Number%01d$', values)).toBe('42');
    expect(formatDashTemplate('t$Time$_$Bandwidth%010d$', values)).toBe('t123456789_0000800000');
    expect(formatDashTemplate('a$$b$$$Number$', values)).toBe('a$b$42');
    expect(formatDashTemplate('no-identifiers.mp4', values)).toBe('no-identifiers.mp4');
  });

  it('leaves what it cannot substitute as written', () => {
    expect(formatDashTemplate('$Unknown$-$Number$', values)).toBe('$Unknown$-42');
    expect(formatDashTemplate('$Time$', { RepresentationID: 'x', Bandwidth: null })).toBe('$Time$');
    expect(formatDashTemplate('$Bandwidth$', { RepresentationID: 'x', Bandwidth: null })).toBe('$Bandwidth$');
    expect(formatDashTemplate('$Number%s$', values)).toBe('$Number%s$');
    expect(formatDashTemplate('$Number%0999d$', values)).toBe('$Number%0999d$');
    expect(formatDashTemplate('$RepresentationID%05d$', values)).toBe('$RepresentationID%05d$');
    expect(formatDashTemplate('tail$Number', values)).toBe('tail$Number');
  });
});

describe('UrlResolver', () => {
  it('resolves like the URL parser, fast path or not', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9._~%-]{0,8}$/);
    const ref = fc.oneof(
      fc.array(fc.oneof(part, fc.constantFrom('.', '..', '')), { maxLength: 4 }).map((a) => a.join('/')),
      fc.tuple(part, part).map(([a, b]) => `${a}?${b}=1&x=/${a}`),
      fc.constantFrom(
        'seg-00001.m4s',
        '/root.ts',
        '//cdn.example.org/a.ts',
        'https://o.example/x',
        '?q',
        '#h',
        'a b.ts',
        'ü.ts',
        '-a',
        '~b/c',
      ),
    );
    const base = fc.constantFrom(
      'https://media.example.com/a/b/manifest.mpd',
      'https://media.example.com/a/b/?tok=1/2#x',
      'https://media.example.com',
      'http://h:8080/x/y/z/index.m3u8?a=b',
      'https://media.example.com/a/%7Eb/',
      'file:///tmp/x.m3u8',
    );
    fc.assert(
      fc.property(ref, base, (r, b) => {
        let expected: string;
        try {
          expected = new URL(r, b).href;
        } catch {
          expect(code(() => new UrlResolver().resolve(r, b))).toBe('protocol-violation');
          return;
        }
        expect(new UrlResolver().resolve(r, b)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('fails with size-exceeded past its character budget and protocol-violation on invalid URLs', () => {
    const resolver = new UrlResolver(100);
    expect(resolver.resolve('a.ts', 'https://x.example/')).toBe('https://x.example/a.ts');
    expect(
      code(() => {
        for (let i = 0; i < 10; i++) resolver.resolve('a.ts', 'https://x.example/');
      }),
    ).toBe('size-exceeded');
    expect(code(() => new UrlResolver().resolve('a.ts', 'relative/base'))).toBe('protocol-violation');
    expect(code(() => new UrlResolver().resolve('http://[::1', 'https://x.example/'))).toBe('protocol-violation');
  });
});
