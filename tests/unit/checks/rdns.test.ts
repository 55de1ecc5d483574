// Reverse names (in-addr.arpa, ip6.arpa nibbles) and the generic-PTR heuristics.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { expandIpv6, genericPtrReason, reverseName } from '../../../src/checks/rdns.js';

describe('reverseName', () => {
  it('reverses IPv4 octets under in-addr.arpa (RFC 1035 §3.5)', () => {
    expect(reverseName('203.0.113.5')).toBe('5.113.0.203.in-addr.arpa');
  });
  it('reverses IPv6 nibbles under ip6.arpa (RFC 3596 §2.5)', () => {
    expect(reverseName('2001:db8::567:89ab')).toBe('b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
  });
  it('refuses what is not an IP', () => {
    expect(() => reverseName('mail.example.com')).toThrow(/not an IPv4 or IPv6/);
  });
});

describe('expandIpv6', () => {
  it('expands ::, leading zeros and an IPv4 tail', () => {
    expect(expandIpv6('::1')).toBe(`${'0'.repeat(31)}1`);
    expect(expandIpv6('2001:DB8::1')).toBe('20010db8000000000000000000000001');
    expect(expandIpv6('::ffff:192.0.2.1')).toBe('00000000000000000000ffffc0000201');
  });
  it('always gives 32 hex digits for any address', () => {
    fc.assert(fc.property(fc.ipV6(), (ip) => {
      expect(expandIpv6(ip)).toMatch(/^[0-9a-f]{32}$/);
    }));
  });
});

describe('genericPtrReason', () => {
  it('spots the IP in the name, in its usual spellings', () => {
    expect(genericPtrReason('203-0-113-5.example.net', '203.0.113.5')).toMatch(/IP address itself/);
    expect(genericPtrReason('5.113.0.203.static.example.net', '203.0.113.5')).toMatch(/IP address itself/);
    expect(genericPtrReason('ec2-203-0-113-5.compute-1.amazonaws.com', '203.0.113.5')).toMatch(/IP address itself/);
    expect(genericPtrReason('host203000113005.example.net', '203.0.113.5')).toMatch(/IP address itself/);
  });
  it('spots pool words', () => {
    expect(genericPtrReason('pool-71-1.dynamic.isp.example', '192.0.2.1')).toMatch(/"pool"/);
    expect(genericPtrReason('c-71-1.dynamic.isp.example', '192.0.2.1')).toMatch(/"dynamic"/);
    expect(genericPtrReason('adsl.isp.example', '192.0.2.1')).toMatch(/"adsl"/);
  });
  it('leaves mail server names alone', () => {
    expect(genericPtrReason('mail.example.com', '203.0.113.5')).toBeNull();
    expect(genericPtrReason('mx1.mailhost.example.org', '2001:db8::25')).toBeNull();
  });
});
