// The SPF record parser (RFC 7208 §4.5, §4.6, §5, §6, §12): record selection, every mechanism's
// syntax with qualifiers and CIDR lengths, modifiers, errors as findings, publishing risks, and
// fast-check properties: arbitrary input never throws and always yields a result object.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isSpfRecord, parseSpfRecord, reachableTerms, selectSpfRecords, type SpfMechanism } from '../../../src/checks/spf-record.js';

const codes = (text: string): string[] => {
  const r = parseSpfRecord(text);
  return [...r.errors, ...r.warnings].map((f) => f.code);
};
const mech = (text: string, i = 0): SpfMechanism => {
  const r = parseSpfRecord(text);
  expect(r.errors).toEqual([]);
  return r.mechanisms[i]!;
};

describe('record selection (§4.5)', () => {
  it('takes "v=spf1" ended by a space or the end, in any case', () => {
    expect(isSpfRecord('v=spf1')).toBe(true);
    expect(isSpfRecord('V=SpF1 -all')).toBe(true);
    expect(isSpfRecord('v=spf10')).toBe(false);
    expect(isSpfRecord('v=spf1\t-all')).toBe(false);
    expect(isSpfRecord(' v=spf1 -all')).toBe(false);
    expect(isSpfRecord('spf2.0/pra -all')).toBe(false);
    expect(selectSpfRecords(['google-site-verification=x', 'v=spf1 -all', 'v=DMARC1'])).toEqual(['v=spf1 -all']);
  });
});

describe('mechanisms (§5)', () => {
  it('reads qualifiers, defaulting to "+"', () => {
    const r = parseSpfRecord('v=spf1 a -mx ~ptr ?exists:%{i}.x.example all');
    expect(r.mechanisms.map((m) => `${m.qualifier}${m.name}`)).toEqual(['+a', '-mx', '~ptr', '?exists', '+all']);
  });
  it('reads a and mx with domains and dual CIDR lengths', () => {
    expect(mech('v=spf1 a')).toMatchObject({ name: 'a' });
    expect(mech('v=spf1 a').domainSpec).toBeUndefined();
    expect(mech('v=spf1 a/24')).toMatchObject({ cidr4: 24 });
    expect(mech('v=spf1 a//64')).toMatchObject({ cidr6: 64 });
    expect(mech('v=spf1 a/24//64')).toMatchObject({ cidr4: 24, cidr6: 64 });
    expect(mech('v=spf1 mx:mail.example.com/0//0')).toMatchObject({ name: 'mx', domainSpec: 'mail.example.com', cidr4: 0, cidr6: 0 });
    expect(mech('v=spf1 a:foo:bar/baz.example.com')).toMatchObject({ domainSpec: 'foo:bar/baz.example.com' });
    expect(mech('v=spf1 A:Example.COM')).toMatchObject({ name: 'a', domainSpec: 'Example.COM' });
  });
  it('reads ip4 and ip6 networks', () => {
    expect(mech('v=spf1 ip4:192.0.2.0/24')).toMatchObject({ network: '192.0.2.0', cidr4: 24 });
    expect(mech('v=spf1 ip6:2001:db8::/32')).toMatchObject({ network: '2001:db8::', cidr6: 32 });
    expect(mech('v=spf1 ip6:::1.1.1.1/0')).toMatchObject({ network: '::1.1.1.1', cidr6: 0 });
    expect(mech('v=spf1 IP4:192.0.2.1')).toMatchObject({ name: 'ip4' });
    expect(mech('v=spf1 IP4:192.0.2.1').cidr4).toBeUndefined();
  });
  it.each([
    ['v=spf1 -all.', /takes no argument/],
    ['v=spf1 all:x', /takes no argument/],
    ['v=spf1 include', /needs ":domain"/],
    ['v=spf1 include:', /empty/],
    ['v=spf1 include:example.com/24', /top-level label/],
    ['v=spf1 exists', /needs ":domain"/],
    ['v=spf1 ptr/0', /no prefix length/],
    ['v=spf1 a/33', /prefix length \/33/],
    ['v=spf1 a//129', /prefix length \/129/],
    ['v=spf1 a/24/64', /invalid prefix length/],
    ['v=spf1 a/024', /leading zeros/],
    ['v=spf1 a:museum', /not a domain name/],
    ['v=spf1 a:192.0.2.1', /IP address where a domain name belongs/],
    ['v=spf1 ip4', /needs ":address"/],
    ['v=spf1 ip4:1.2.3', /not an IPv4 address/],
    ['v=spf1 ip4:1.2.3.4:25', /not an IPv4 address/],
    ['v=spf1 ip4:01.2.3.4', /not an IPv4 address/],
    ['v=spf1 ip4:1.2.3.4/032', /leading zeros/],
    ['v=spf1 ip4:1.2.3.4//32', /invalid prefix length/],
    ['v=spf1 ip6::CAFE::BABE', /not an IPv6 address/],
    ['v=spf1 ip6:::1/129', /prefix length \/129/],
    ['v=spf1 moo', /not a mechanism/],
    ['v=spf1 redirect:example.com', /modifier and takes "="/],
    ['v=spf1 =all', /neither a mechanism nor a modifier/],
    ['v=spf1 1up=foo', /not a mechanism/],
    ['v=spf1 exp=', /empty/],
    ['v=spf1 redirect=-all', /not a domain name/],
    ['v=spf1 foo=%abc', /must be followed by/],
    ['v=spf1 a:%{x}.example.com', /not a macro letter/],
    ['v=spf1 exists:%{c}.example.com', /only allowed in explanation/],
    ['v=spf1 a\t-all', /control character 0x09/],
    ['v=spf1 a:ex\u00e4mple.com', /non-ASCII/],
  ])('%j → syntax error', (text, why) => {
    const r = parseSpfRecord(text);
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => e.message).join(' | ')).toMatch(why);
  });
  it('reports every syntax error, not only the first (§4.6)', () => {
    expect(parseSpfRecord('v=spf1 a/33 moo ip4:1.2.3 -all').errors).toHaveLength(3);
  });
});

describe('modifiers (§6)', () => {
  it('reads redirect, exp and unknown modifiers (names case-insensitive)', () => {
    const r = parseSpfRecord('v=spf1 Redirect=_spf.example.com EXP=explain.%{d} moo.cow-far_out=man:dog/cat');
    expect(r.valid).toBe(true);
    expect(r.redirect?.value).toBe('_spf.example.com');
    expect(r.exp?.value).toBe('explain.%{d}');
    expect(r.terms.map((t) => t.kind === 'modifier' && t.name)).toEqual(['redirect', 'exp', 'moo.cow-far_out']);
  });
  it('refuses redirect= or exp= twice', () => {
    expect(codes('v=spf1 redirect=a.example redirect=b.example')).toContain('spf.duplicate-modifier');
    expect(codes('v=spf1 exp=a.example exp=b.example -all')).toContain('spf.duplicate-modifier');
    expect(parseSpfRecord('v=spf1 foo=1 foo=2 -all').valid).toBe(true);
  });
});

describe('publishing risks', () => {
  it('warns about ptr, +all, ?all, a missing all, terms after all, redirect beside all', () => {
    expect(codes('v=spf1 ptr -all')).toContain('spf.ptr-deprecated');
    expect(codes('v=spf1 +all')).toContain('spf.all-pass');
    expect(codes('v=spf1 all')).toContain('spf.all-pass');
    expect(codes('v=spf1 ?all')).toContain('spf.all-neutral');
    expect(codes('v=spf1 ip4:192.0.2.1')).toContain('spf.no-all');
    expect(codes('v=spf1 -all ip4:192.0.2.1')).toContain('spf.after-all');
    expect(codes('v=spf1 redirect=x.example ~all')).toContain('spf.redirect-ignored');
    expect(codes('v=spf1 ip4:192.0.2.1/24 -all')).toContain('spf.host-bits');
    expect(codes('v=spf1 default=pass -all')).toContain('spf.unknown-modifier');
    expect(codes('v=spf1 ip4:192.0.2.0/24 include:_spf.example.com -all')).toEqual([]);
  });
  it('warns about records over 512 bytes (§3.4)', () => {
    const big = `v=spf1 ${Array.from({ length: 40 }, (_, i) => `ip4:198.51.100.${i}`).join(' ')} -all`;
    expect(big.length).toBeGreaterThan(512);
    expect(codes(big)).toContain('spf.record-size');
  });
  it('knows which terms an evaluation can reach (§5.1, §6.1)', () => {
    expect(reachableTerms(parseSpfRecord('v=spf1 a -all mx redirect=x.example')).map((t) => t.text)).toEqual(['a', '-all']);
    expect(reachableTerms(parseSpfRecord('v=spf1 a redirect=x.example')).map((t) => t.text)).toEqual(['a', 'redirect=x.example']);
  });
});

describe('properties', () => {
  const spfChars = fc.constantFrom(...'v=spf1 -+~?:/.%{}_allincludeamxptrip46exists0123456789redirectexp\t\u00e9\u0000'.split(''));
  it('never throws on arbitrary strings and always returns a result object', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      const r = parseSpfRecord(s);
      expect(typeof r.valid).toBe('boolean');
      expect(Array.isArray(r.errors) && Array.isArray(r.warnings) && Array.isArray(r.terms)).toBe(true);
      expect(r.valid).toBe(r.errors.length === 0);
    }), { numRuns: 1000 });
  });
  it('never throws on arbitrary Unicode (lone surrogates included) after "v=spf1 "', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      const r = parseSpfRecord(`v=spf1 ${s}`);
      expect(r.valid).toBe(r.errors.length === 0);
    }), { numRuns: 1000 });
  });
  it('never throws on SPF-shaped noise', () => {
    fc.assert(fc.property(fc.array(spfChars, { maxLength: 200 }).map((a) => `v=spf1 ${a.join('')}`), (s) => {
      const r = parseSpfRecord(s);
      expect(r.valid).toBe(r.errors.length === 0);
      for (const f of [...r.errors, ...r.warnings]) expect(f.message.length).toBeGreaterThan(0);
    }), { numRuns: 1000 });
  });
  it('parses records built from valid terms without errors, term for term', () => {
    const term = fc.oneof(
      fc.constantFrom('a', 'mx', 'ptr', 'a/24', 'mx//64', 'a:example.com/24//64', 'include:_spf.example.com', 'exists:%{i}._spf.%{d}', 'ip4:192.0.2.0/24', 'ip6:2001:db8::/32', 'foo=bar'),
      fc.tuple(fc.constantFrom('', '+', '-', '~', '?'), fc.ipV4()).map(([q, ip]) => `${q}ip4:${ip}`),
    );
    fc.assert(fc.property(fc.array(term, { maxLength: 20 }), fc.constantFrom('-all', '~all', ''), (terms, end) => {
      const text = ['v=spf1', ...terms, end].filter(Boolean).join(' ');
      const r = parseSpfRecord(text);
      expect(r.errors).toEqual([]);
      expect(r.terms).toHaveLength(terms.length + (end ? 1 : 0));
    }), { numRuns: 300 });
  });
});
