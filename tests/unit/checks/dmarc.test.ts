// DMARC records without DNS: the version test, tag validation in both modes, rua/ruf URIs,
// the p=none fallback of RFC 7489 §6.6.3 / RFC 9989 §4.7, and property tests that the
// parser never throws.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { domainOfAddress, isDmarcRecord, parseDmarcRecord } from '../../../src/checks/dmarc.js';

const codes = (raw: string, mode: 'rfc9989' | 'rfc7489' = 'rfc9989') => parseDmarcRecord(raw, 'example.com', mode).findings.map((f) => f.code);

describe('isDmarcRecord (v=DMARC1 exactly, RFC 7489 §6.6.3, RFC 9989 §4.7)', () => {
  it('accepts DMARC1 with WSP around "=" and nothing but ";" after it', () => {
    for (const r of ['v=DMARC1; p=none', 'v = DMARC1; p=none', 'v=DMARC1', 'v=DMARC1 ;p=reject']) expect(isDmarcRecord(r)).toBe(true);
  });
  it('refuses other versions, other cases and records that do not start with v=', () => {
    for (const r of ['v=dmarc1; p=none', 'v=DMARC1x; p=none', 'p=none; v=DMARC1', 'v=spf1 -all', '']) expect(isDmarcRecord(r)).toBe(false);
  });
});

describe('parseDmarcRecord', () => {
  it('reads every tag; literal values are case-insensitive', () => {
    const r = parseDmarcRecord('v=DMARC1; p=Reject; sp=QUARANTINE; np=reject; adkim=S; aspf=r; psd=n; t=n; fo=1:d; rua=mailto:a@example.com,mailto:b@example.net!10m; ruf=mailto:f@example.com', 'example.com');
    expect(r).toMatchObject({ p: 'reject', sp: 'quarantine', np: 'reject', adkim: 's', aspf: 'r', psd: 'n', t: false, fo: ['1', 'd'], policy: 'reject', usable: true });
    expect(r.rua).toMatchObject([{ address: 'a@example.com', domain: 'example.com', valid: true }, { address: 'b@example.net', domain: 'example.net', size: '10m', valid: true }]);
    expect(r.ruf[0]?.address).toBe('f@example.com');
  });
  it('defaults alignment to relaxed', () => {
    expect(parseDmarcRecord('v=DMARC1; p=none', 'example.com')).toMatchObject({ adkim: 'r', aspf: 'r' });
  });
  it('treats a missing or invalid p as p=none when rua is valid, else the record is unusable', () => {
    expect(parseDmarcRecord('v=DMARC1; rua=mailto:d@example.com', 'example.com')).toMatchObject({ policy: 'none', usable: true });
    expect(parseDmarcRecord('v=DMARC1; p=block; rua=mailto:d@example.com', 'example.com')).toMatchObject({ policy: 'none', usable: true });
    expect(parseDmarcRecord('v=DMARC1; adkim=s', 'example.com')).toMatchObject({ usable: false });
    expect(codes('v=DMARC1; adkim=s')).toContain('dmarc.unusable');
  });
  it('handles pct by mode: applied in RFC 7489, historic in RFC 9989', () => {
    expect(parseDmarcRecord('v=DMARC1; p=reject; pct=25', 'example.com', 'rfc7489').pct).toBe(25);
    expect(codes('v=DMARC1; p=reject; pct=25', 'rfc7489')).toContain('dmarc.pct');
    expect(parseDmarcRecord('v=DMARC1; p=reject; pct=25', 'example.com', 'rfc9989').pct).toBeUndefined();
    expect(codes('v=DMARC1; p=reject; pct=25', 'rfc9989')).toContain('dmarc.pct-historic');
    expect(codes('v=DMARC1; p=reject; pct=250', 'rfc7489')).toContain('dmarc.bad-pct');
  });
  it('handles t, psd and np by mode', () => {
    expect(parseDmarcRecord('v=DMARC1; p=reject; t=y', 'example.com').t).toBe(true);
    expect(codes('v=DMARC1; p=reject; t=y')).toContain('dmarc.testing');
    const old = parseDmarcRecord('v=DMARC1; p=reject; t=y; psd=y; np=none', 'example.com', 'rfc7489');
    expect([old.t, old.psd, old.np]).toEqual([undefined, undefined, undefined]);
    expect(codes('v=DMARC1; p=reject; t=y', 'rfc7489')).toContain('dmarc.9989-tags');
  });
  it('reports bad values, bad URIs and unknown tags', () => {
    const c = codes('v=DMARC1; p=reject; adkim=x; sp=all; rua=https://example.com/r, mailto:not-an-address; fo=9; P=none; foo=bar');
    expect(c).toEqual(expect.arrayContaining(['dmarc.bad-adkim', 'dmarc.bad-sp', 'dmarc.rua-not-mailto', 'dmarc.bad-rua', 'dmarc.bad-fo', 'dmarc.unknown-tag']));
  });
  it('keeps the case of URIs and the raw record', () => {
    const r = parseDmarcRecord('v=DMARC1; p=none; rua=mailto:DMARC-Reports@Example.COM', 'example.com');
    expect(r.raw).toContain('mailto:DMARC-Reports@Example.COM');
    expect(r.rua[0]?.address).toBe('DMARC-Reports@Example.COM');
    expect(r.rua[0]?.domain).toBe('example.com');
  });
  it('never throws, whatever follows v=DMARC1', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.constantFrom('rfc9989', 'rfc7489') as fc.Arbitrary<'rfc9989' | 'rfc7489'>, (s, mode) => {
      const r = parseDmarcRecord(`v=DMARC1; ${s}`, 'example.com', mode);
      expect(typeof r.usable).toBe('boolean');
      if (r.usable) expect(['none', 'quarantine', 'reject']).toContain(r.policy);
      parseDmarcRecord(s, 'example.com', mode);
    }));
  });
  it('never throws on tag soup made of DMARC tag names', () => {
    const tag = fc.tuple(fc.constantFrom('v', 'p', 'sp', 'np', 'pct', 't', 'psd', 'adkim', 'aspf', 'rua', 'ruf', 'fo', 'ri', 'rf', 'x'), fc.string({ maxLength: 30 }));
    fc.assert(fc.property(fc.array(tag, { maxLength: 12 }), (tags) => {
      const raw = ['v=DMARC1', ...tags.map(([n, v]) => `${n}=${v}`)].join(';');
      expect(() => parseDmarcRecord(raw, 'example.com')).not.toThrow();
    }));
  });
});

describe('domainOfAddress', () => {
  it('takes the part after the last @, or the whole string', () => {
    expect(domainOfAddress('User@Mail.Example.com')).toBe('mail.example.com');
    expect(domainOfAddress('"a@b"@example.com')).toBe('example.com');
    expect(domainOfAddress('example.com.')).toBe('example.com');
  });
});
