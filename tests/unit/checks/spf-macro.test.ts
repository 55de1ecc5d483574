// SPF macros (RFC 7208 §7): the §7.4 expansion examples, transformers and delimiters, URL
// escaping of upper-case letters, the exp-only letters, %{p}, syntax errors, truncation.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checkDomainSpec, expandMacroString, parseMacroString, transform, truncateDomain, urlEscape, type MacroContext,
} from '../../../src/checks/spf-macro.js';
import { dotFormat, parseIp } from '../../../src/checks/spf-ip.js';

// RFC 7208 §7.4: sender strong-bad@email.example.com, IPv4 192.0.2.3, IPv6 2001:db8::cb01.
const v4: MacroContext = {
  sender: 'strong-bad@email.example.com', domain: 'email.example.com',
  ipDotted: '192.0.2.3', ipReadable: '192.0.2.3', ipVersion: 'in-addr', helo: 'mx.example.org',
};
const v6: MacroContext = {
  ...v4,
  ipDotted: dotFormat(parseIp('2001:db8::cb01')!),
  ipReadable: '2001:db8::cb01', ipVersion: 'ip6',
};

async function x(s: string, ctx: MacroContext = v4, mode: 'domain' | 'explain' = 'domain'): Promise<string> {
  const r = await expandMacroString(s, mode, ctx);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('macro expansion: the RFC 7208 §7.4 examples', () => {
  it.each([
    ['%{s}', 'strong-bad@email.example.com'],
    ['%{o}', 'email.example.com'],
    ['%{d}', 'email.example.com'],
    ['%{d4}', 'email.example.com'],
    ['%{d3}', 'email.example.com'],
    ['%{d2}', 'example.com'],
    ['%{d1}', 'com'],
    ['%{dr}', 'com.example.email'],
    ['%{d2r}', 'example.email'],
    ['%{l}', 'strong-bad'],
    ['%{l-}', 'strong.bad'],
    ['%{lr}', 'strong-bad'],
    ['%{lr-}', 'bad.strong'],
    ['%{l1r-}', 'strong'],
    ['%{ir}.%{v}._spf.%{d2}', '3.2.0.192.in-addr._spf.example.com'],
    ['%{lr-}.lp._spf.%{d2}', 'bad.strong.lp._spf.example.com'],
    ['%{lr-}.lp.%{ir}.%{v}._spf.%{d2}', 'bad.strong.lp.3.2.0.192.in-addr._spf.example.com'],
    ['%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}', '3.2.0.192.in-addr.strong.lp._spf.example.com'],
    ['%{d2}.trusted-domains.example.net', 'example.com.trusted-domains.example.net'],
  ])('%s → %s', async (macro, want) => {
    expect(await x(macro)).toBe(want);
  });

  it('IPv6: %{ir}.%{v}._spf.%{d2}', async () => {
    expect(await x('%{ir}.%{v}._spf.%{d2}', v6)).toBe('1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com');
  });
});

describe('macro expansion: the rest of §7', () => {
  it('expands %% %_ %- as percent, space and URL-encoded space', async () => {
    expect(await x('a%%b%_c%-d.example.com')).toBe('a%b c%20d.example.com');
  });
  it('URL-escapes upper-case letters, leaving unreserved characters alone (§7.3)', async () => {
    const ctx = { ...v4, sender: '~jack&jill=up-a_b3.c@e8.example.com' };
    expect(await x('%{L}', ctx)).toBe('~jack%26jill%3Dup-a_b3.c');
    expect(await x('%{S}', ctx)).toBe('~jack%26jill%3Dup-a_b3.c%40e8.example.com');
    expect(urlEscape('a b/ü')).toBe('a%20b%2F%C3%BC');
  });
  it('uses "postmaster" for an empty local-part (§4.3)', async () => {
    expect(await x('%{l}', { ...v4, sender: '@example.net' })).toBe('postmaster');
  });
  it('splits on several delimiters and rejoins with dots', async () => {
    expect(await x('%{l2r+-}', { ...v4, sender: 'foo-bar+zip+quux@x.example' })).toBe('bar.foo');
    expect(transform('a,b/c=d_e', { reverse: false, delimiters: ',/=_' })).toBe('a.b.c.d.e');
  });
  it('keeps every part when the digit exceeds the count', async () => {
    expect(await x('%{d99}')).toBe('email.example.com');
    expect(await x('%{d123456789012}')).toBe('email.example.com');
  });
  it('expands c r t and h in explanations only', async () => {
    const ctx = { ...v4, receiver: 'mx.receiver.example', timestamp: 1_700_000_000 };
    expect(await x('%{c} via %{r} at %{t} said %{h}', ctx, 'explain')).toBe('192.0.2.3 via mx.receiver.example at 1700000000 said mx.example.org');
    expect(await x('%{r}', v4, 'explain')).toBe('unknown');
    expect(await x('%{c}', v6, 'explain')).toBe('2001:db8::cb01');
  });
  it('asks for %{p} only when it is used, and says "unknown" without a lookup function', async () => {
    let calls = 0;
    const ctx = { ...v4, validatedName: async () => { calls++; return 'mx.example.com'; } };
    expect(await x('%{d}', ctx)).toBe('email.example.com');
    expect(calls).toBe(0);
    expect(await x('%{p}.ok.example.com', ctx)).toBe('mx.example.com.ok.example.com');
    expect(await x('%{p}', v4)).toBe('unknown');
  });
});

describe('macro syntax (§7.1)', () => {
  it.each([
    ['%(ir).sbl.example.com', /must be followed by/],
    ['foo%', /must be followed by/],
    ['%{ir.sbl.example.com', /closing/],
    ['%{a}.example.com', /not a macro letter/],
    ['%{r}.example.com', /only allowed in explanation/],
    ['%{c}', /only allowed in explanation/],
    ['%{t}', /only allowed in explanation/],
    ['%{d0}', /nonzero/],
    ['%{d2x}', /not a delimiter/],
    ['%{}', /no letter/],
    ['a b', /space/],
    ['caf\u00e9.example.com', /non-ASCII/],
    ['a\u0000b', /control character 0x00/],
  ])('%j is an error', (s, why) => {
    const r = parseMacroString(s, 'domain');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(why);
  });
  it('allows spaces and c r t in an explain-string', () => {
    expect(parseMacroString('Connections from %{c} not authorized at %{t}', 'explain').ok).toBe(true);
  });
  it('checks domain-spec ends: "." toplabel [ "." ] or a macro', () => {
    expect(checkDomainSpec('example.com')).toBeNull();
    expect(checkDomainSpec('example.com.')).toBeNull();
    expect(checkDomainSpec('%{d}')).toBeNull();
    expect(checkDomainSpec('%{H}.bar')).toBeNull();
    expect(checkDomainSpec('foo.example.xn--zckzah')).toBeNull();
    expect(checkDomainSpec('foo:bar/baz.example.com')).toBeNull();
    expect(checkDomainSpec('x.%%')).toBeNull();
    expect(checkDomainSpec('')).toMatch(/empty/);
    expect(checkDomainSpec('museum')).toMatch(/not a domain name/);
    expect(checkDomainSpec('museum.')).toMatch(/not a domain name/);
    expect(checkDomainSpec('abc.123')).toMatch(/all digits/);
    expect(checkDomainSpec('192.0.2.1')).toMatch(/IP address/);
    expect(checkDomainSpec('example.-com')).toMatch(/top-level label/);
    expect(checkDomainSpec('example.com:8080')).toMatch(/top-level label/);
    expect(checkDomainSpec('example.com..')).toMatch(/top-level label/);
  });
});

describe('truncateDomain (§7.3)', () => {
  it('drops a trailing dot and left-hand labels until 253 characters fit', () => {
    expect(truncateDomain('example.com.')).toBe('example.com');
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example.com`;
    expect(long.length).toBeGreaterThan(253);
    expect(truncateDomain(long)).toBe(`${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example.com`);
  });
});

describe('properties', () => {
  it('parseMacroString never throws and expansion of a valid string never throws', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 60 }), fc.constantFrom<'domain' | 'explain'>('domain', 'explain'), async (s, mode) => {
      const p = parseMacroString(s, mode);
      if (p.ok) await expandMacroString(s, mode, v6);
    }), { numRuns: 300 });
  });
  it('strings of literals only expand to themselves', async () => {
    await fc.assert(fc.asyncProperty(fc.stringMatching(/^[!-$&-~]{0,40}$/), async (s) => {
      expect(await x(s)).toBe(s);
    }));
  });
});
