// The MTA-STS and TLS-RPT parsers: the _mta-sts TXT (RFC 8461 §3.1), the policy body (§3.2),
// mx pattern matching (§4.1: the wildcard is exactly one leftmost label), the _smtp._tls
// record (RFC 8460 §3), and fast-check properties: arbitrary input never throws.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mxPatternMatches, parseStsPolicy, parseStsTxt } from '../../../src/checks/mta-sts.js';
import { parseTlsRpt } from '../../../src/checks/tls-rpt.js';

describe('_mta-sts TXT', () => {
  it('takes v=STSv1 first and an id of 1-32 letters and digits, extensions allowed', () => {
    expect(parseStsTxt('v=STSv1; id=20160831085700Z;')).toEqual({ record: 'v=STSv1; id=20160831085700Z;', id: '20160831085700Z', errors: [] });
    expect(parseStsTxt('v=STSv1;id=a1;ext=x').errors).toEqual([]);
  });
  it('names what is wrong', () => {
    expect(parseStsTxt('v=STSv1').errors).toContain('the record has no id= field');
    expect(parseStsTxt('v=STSv1; id=abc-def').errors[0]).toContain('1 to 32 letters and digits');
    expect(parseStsTxt(`v=STSv1; id=${'a'.repeat(33)}`).errors[0]).toContain('1 to 32');
    expect(parseStsTxt('id=1; v=STSv1').errors[0]).toContain('must begin with');
    expect(parseStsTxt('v=STSv1; id=1; id=2').errors).toContain('"id" appears more than once');
  });
});

describe('policy body', () => {
  it('reads version, mode, max_age and every mx line (CRLF or LF)', () => {
    expect(parseStsPolicy('version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 86400\r\n'))
      .toEqual({ version: 'STSv1', mode: 'testing', maxAge: 86400, mx: ['mail.example.com', '*.example.net'], errors: [] });
    expect(parseStsPolicy('version: STSv1\nmode: none\nmax_age: 0\n').errors).toEqual([]);
  });
  it('names a bad mode, an out-of-range max_age, a missing line, an enforce policy without mx', () => {
    expect(parseStsPolicy('version: STSv1\nmode: strict\nmax_age: 1\nmx: a.b').errors).toEqual(['mode "strict" is not enforce, testing or none']);
    expect(parseStsPolicy('version: STSv1\nmode: none\nmax_age: 31557601').errors[0]).toContain('max_age');
    expect(parseStsPolicy('version: STSv1\nmode: enforce\nmax_age: 10').errors).toEqual(['mode enforce needs at least one "mx:" line']);
    expect(parseStsPolicy('mode: none\nmax_age: 10').errors).toContain('the policy has no "version: STSv1" line');
    expect(parseStsPolicy('version: STSv1\nmode: enforce\nmax_age: 10\nmx: *.*.example.com').errors[0]).toContain('mx "*.*.example.com"');
  });
  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => {
      const p = parseStsPolicy(s);
      expect(Array.isArray(p.errors)).toBe(true);
      parseStsTxt(s);
      parseTlsRpt(s);
    }), { numRuns: 300 });
  });
});

describe('mx patterns (§4.1)', () => {
  it('matches a name exactly and a wildcard for exactly one leftmost label', () => {
    expect(mxPatternMatches('mail.example.com', 'MAIL.example.com.')).toBe(true);
    expect(mxPatternMatches('*.example.com', 'mx1.example.com')).toBe(true);
    expect(mxPatternMatches('*.example.com', 'a.b.example.com')).toBe(false);
    expect(mxPatternMatches('*.example.com', 'example.com')).toBe(false);
    expect(mxPatternMatches('*.example.com', 'mx1.badexample.com')).toBe(false);
  });
  it('a wildcard covers any one label, never two', () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,12}$/);
    fc.assert(fc.property(label, label, (a, b) => {
      expect(mxPatternMatches('*.example.com', `${a}.example.com`)).toBe(true);
      expect(mxPatternMatches('*.example.com', `${a}.${b}.example.com`)).toBe(false);
    }));
  });
});

describe('_smtp._tls record (RFC 8460 §3)', () => {
  it('reads mailto: and https: URIs', () => {
    const r = parseTlsRpt('v=TLSRPTv1;rua=mailto:reports@example.com,https://reporting.example.com/v1');
    expect(r.errors).toEqual([]);
    expect(r.rua.map((u) => u.scheme)).toEqual(['mailto', 'https']);
  });
  it('names a missing rua, a bad scheme, a mailto without an address', () => {
    expect(parseTlsRpt('v=TLSRPTv1;').errors).toEqual(['the record has no rua= field']);
    expect(parseTlsRpt('v=TLSRPTv1; rua=http://x.example/r').errors[0]).toContain('only mailto: and https:');
    expect(parseTlsRpt('v=TLSRPTv1; rua=mailto:nobody').errors[0]).toContain('not a mail address');
  });
});

describe('policy round trip', () => {
  it('any well-formed policy reads back as written, in any line order, CRLF or LF', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
    const host = fc.tuple(fc.boolean(), fc.array(label, { minLength: 1, maxLength: 3 }), label)
      .map(([wild, ls, tld]) => `${wild ? '*.' : ''}${ls.join('.')}.${tld}`);
    const policy = fc.record({
      mode: fc.constantFrom('enforce', 'testing', 'none') as fc.Arbitrary<'enforce' | 'testing' | 'none'>,
      maxAge: fc.integer({ min: 0, max: 31_557_600 }),
      mx: fc.array(host, { minLength: 1, maxLength: 5 }),
      eol: fc.constantFrom('\r\n', '\n'),
      reverse: fc.boolean(),
    });
    fc.assert(fc.property(policy, (p) => {
      const lines = ['version: STSv1', `mode: ${p.mode}`, ...p.mx.map((m) => `mx: ${m}`), `max_age: ${p.maxAge}`];
      const text = (p.reverse ? [...lines].reverse() : lines).join(p.eol) + p.eol;
      const r = parseStsPolicy(text);
      expect(r.errors).toEqual([]);
      expect(r).toMatchObject({ version: 'STSv1', mode: p.mode, maxAge: p.maxAge });
      expect(r.mx).toEqual(p.reverse ? [...p.mx].reverse() : p.mx);
    }), { numRuns: 200 });
  });
});
