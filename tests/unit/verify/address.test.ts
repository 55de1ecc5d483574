// The address parser: RFC 5321 mailboxes (dot-string and quoted local parts, address
// literals), RFC 5322 name-addr, IDN → A-labels, RFC 6531 UTF-8 local parts, the length
// limits, and properties: it never throws, its output is idempotent and always passes the
// command formatter's own checks (what will really be sent).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { baseLocalPart, formatLocalPart, parseAddress } from '../../../src/verify/address.js';
import { checkMailbox, formatCommand } from '../../../src/smtp/command.js';

const ok = (s: string) => {
  const r = parseAddress(s);
  if (!r.ok) throw new Error(`expected ${s} to parse: ${r.error}`);
  return r.value;
};
const err = (s: string): string => {
  const r = parseAddress(s);
  if (r.ok) throw new Error(`expected ${s} to be refused, got ${r.value.address}`);
  return r.error;
};

describe('parseAddress: examples', () => {
  it('plain addresses; the domain is lower-cased, the local part kept', () => {
    expect(ok('Bob.Smith+tag@Example.COM')).toMatchObject({ address: 'Bob.Smith+tag@example.com', local: 'Bob.Smith+tag', domain: 'example.com', utf8: false });
    expect(ok('  bob@example.com  ').address).toBe('bob@example.com');
    expect(ok("o'brien!#$%&*/=?^_`{|}~-@example.com").address).toBe("o'brien!#$%&*/=?^_`{|}~-@example.com");
  });
  it('RFC 5322 name-addr and angle-addr', () => {
    expect(ok('Bob Smith <bob@example.com>').address).toBe('bob@example.com');
    expect(ok('"Smith, Bob" <bob@example.com>').address).toBe('bob@example.com');
    expect(ok('<bob@example.com>').address).toBe('bob@example.com');
  });
  it('quoted local parts: kept quoted when needed, unquoted when not', () => {
    expect(ok('"john doe"@example.com').address).toBe('"john doe"@example.com');
    expect(ok('"a\\"b"@example.com').address).toBe('"a\\"b"@example.com');
    expect(ok('"a@b"@example.com')).toMatchObject({ address: '"a@b"@example.com', domain: 'example.com' });
    expect(ok('"bob"@example.com').address).toBe('bob@example.com');
    expect(ok('"a..b"@example.com').address).toBe('"a..b"@example.com');
  });
  it('IDN domains become A-labels; the Unicode form is kept for people', () => {
    expect(ok('bob@bücher.de')).toMatchObject({ address: 'bob@xn--bcher-kva.de', domain: 'xn--bcher-kva.de', domainUnicode: 'bücher.de' });
    expect(ok('bob@ÉXAMPLE.org').domain).toBe('xn--xample-9ua.org');
  });
  it('UTF-8 local parts are allowed and marked (SMTPUTF8 needed), in NFC', () => {
    const v = ok('jose\u0301@example.com');
    expect(v).toMatchObject({ utf8: true, local: 'josé' });
    expect(ok('用户@例子.测试').address).toBe('用户@xn--fsqu00a.xn--0zwm56d');
  });
  it('address literals', () => {
    expect(ok('postmaster@[192.0.2.1]')).toMatchObject({ domain: '[192.0.2.1]', literal: '192.0.2.1' });
    expect(ok('postmaster@[IPv6:2001:DB8::1]')).toMatchObject({ domain: '[IPv6:2001:db8::1]', literal: '2001:db8::1' });
    expect(err('bob@[300.1.1.1]')).toMatch(/not a valid IP/);
    expect(err('bob@192.0.2.1')).toMatch(/address literal/);
  });
  it('clear errors for what is not an address', () => {
    expect(err('')).toMatch(/empty/);
    expect(err('bob')).toMatch(/local-part@domain/);
    expect(err('@example.com')).toMatch(/local part .* empty/);
    expect(err('bob@')).toMatch(/domain is missing/);
    expect(err('a@b@example.com')).toMatch(/more than one @/);
    expect(err('.bob@example.com')).toMatch(/starts or ends with a dot/);
    expect(err('bo..b@example.com')).toMatch(/two dots/);
    expect(err('bo b@example.com')).toMatch(/only allowed inside quotes/);
    expect(err('bob@localhost')).toMatch(/single label/);
    expect(err('bob@exa_mple.com')).toMatch(/invalid label/);
    expect(err('bob@-example.com')).toMatch(/invalid label|IDNA/);
    expect(err('bob@example.com.')).toMatch(/ends with a dot/);
    expect(err('bob@example.123')).toMatch(/all-numeric/);
    expect(err('"unclosed@example.com')).toMatch(/local-part@domain|quoted/);
    expect(err('bob@example.com\r\nDATA')).toMatch(/CR, LF or NUL/);
    expect(err('bob\u0000@example.com')).toMatch(/CR, LF or NUL/);
    expect(err('bob\u0007@example.com')).toMatch(/control character/);
  });
  it('the RFC 5321 lengths: local part 64, domain 255, address 254 octets', () => {
    expect(ok(`${'a'.repeat(64)}@example.com`).local).toHaveLength(64);
    expect(err(`${'a'.repeat(65)}@example.com`)).toMatch(/65 octets, more than the 64/);
    // Octets, not characters: 22 three-byte characters are 66 octets.
    expect(err(`${'あ'.repeat(22)}@example.com`)).toMatch(/66 octets/);
    const label = 'a'.repeat(63);
    const domain254 = [label, label, label, 'b'.repeat(57)].join('.'); // 63*3 + 57 + 3 dots = 249
    expect(err(`abcdef@${domain254}`)).toMatch(/address is 256 octets, more than the 254/);
    expect(ok(`abcd@${domain254}`).address).toHaveLength(254);
    expect(err(`bob@${'a'.repeat(64)}.com`)).toMatch(/label|IDNA/);
  });
  it('baseLocalPart: unquoted, lower case, without +tag (for role lists)', () => {
    expect(baseLocalPart(ok('Info+Newsletter@example.com'))).toBe('info');
    expect(baseLocalPart(ok('"Post Master"@example.com'))).toBe('post master');
  });
});

// ---- properties ----

const ATEXT = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&\'*+-/=?^_`{|}~'.split('');
const atom = fc.array(fc.constantFrom(...ATEXT), { minLength: 1, maxLength: 10 }).map((a) => a.join(''));
const dotString = fc.array(atom, { minLength: 1, maxLength: 4 }).map((a) => a.join('.'));
// LDH labels that are not reserved (RFC 5890 §2.3.1): "--" in positions 3-4 marks an A-label
// ("xn--…") or a reserved one, valid only when it decodes, which is not what these properties are
// about (counterexamples "xn--0.aa", "xn--0.0.aa"). IDN domains have their own examples above.
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/).filter((l) => l.slice(2, 4) !== '--');
const tld = fc.stringMatching(/^[a-z]{2,6}$/);
const domain = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), tld).map(([ls, t]) => [...ls, t].join('.'));
const printableAscii = fc.array(fc.integer({ min: 32, max: 126 }).map((c) => String.fromCharCode(c)), { minLength: 1, maxLength: 30 }).map((a) => a.join(''));

describe('parseAddress: properties', () => {
  it('never throws, on any string', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      const r = parseAddress(s);
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) expect(r.error.length).toBeGreaterThan(5);
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      parseAddress(s);
    }), { numRuns: 1000 });
  });

  it('every dot-string@domain within the limits parses to itself', () => {
    fc.assert(fc.property(dotString, domain, (l, d) => {
      fc.pre(Buffer.byteLength(l) <= 64);
      const v = ok(`${l}@${d}`);
      expect(v.address).toBe(`${l}@${d}`);
      expect(v.utf8).toBe(false);
    }), { numRuns: 1000 });
  });

  it('any printable ASCII local part survives quoting: format, parse, same content', () => {
    fc.assert(fc.property(printableAscii, domain, (content, d) => {
      const local = formatLocalPart(content);
      fc.pre(Buffer.byteLength(local) <= 64);
      const v = ok(`${local}@${d}`);
      expect(v.local).toBe(local);
      // Parsing the normalized form again changes nothing (idempotent).
      expect(ok(v.address).address).toBe(v.address);
    }), { numRuns: 1000 });
  });

  it('what parses is what the command formatter accepts: no CR/LF, within RFC 5321 limits', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.tuple(printableAscii, domain).map(([c, d]) => `${formatLocalPart(c)}@${d}`), fc.tuple(dotString, domain).map(([l, d]) => `${l}@${d}`)), (s) => {
      const r = parseAddress(s);
      if (!r.ok) return;
      expect(r.value.address).not.toMatch(/[\r\n\0]/);
      expect(Buffer.byteLength(r.value.address)).toBeLessThanOrEqual(254);
      expect(() => checkMailbox('RCPT TO address', r.value.address)).not.toThrow();
      expect(formatCommand('RCPT', r.value.address).line).toBe(`RCPT TO:<${r.value.address}>`);
    }), { numRuns: 2000 });
  });

  it('over-long local parts and addresses are always refused with the limit named', () => {
    fc.assert(fc.property(fc.integer({ min: 65, max: 200 }), domain, (n, d) => {
      expect(err(`${'x'.repeat(n)}@${d}`)).toMatch(/64/);
    }), { numRuns: 200 });
  });
});

describe('mailto: links', () => {
  it('are read as the address they name (RFC 6068), query dropped, escapes decoded', () => {
    expect(parseAddress('mailto:alice@lab.test')).toMatchObject({ ok: true, value: { address: 'alice@lab.test' } });
    expect(parseAddress('MailTo:a%2Bb@Lab.Test?subject=x')).toMatchObject({ ok: true, value: { address: 'a+b@lab.test' } });
    expect(parseAddress('<mailto:bob@lab.test>')).toMatchObject({ ok: true, value: { address: 'bob@lab.test' } });
    expect(parseAddress('mailto:a@x.test,b@x.test')).toMatchObject({ ok: false, error: expect.stringMatching(/more than one address/) });
    expect(parseAddress('mailto:a%0D%0ARCPT@x.test')).toMatchObject({ ok: false, error: expect.stringMatching(/CR, LF or NUL/) });
  });
});
