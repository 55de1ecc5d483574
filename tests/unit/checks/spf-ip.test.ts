// IP arithmetic for SPF: strict parsing (no leading zeros in ip4, RFC 4291 text forms), IPv4-mapped
// clients treated as IPv4 (RFC 7208 §5), CIDR matching, RFC 5952 output and reverse names.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dotFormat, formatIp, formatIp6, hasHostBits, inNetwork, parseIp, parseIp4, parseIp6, reverseName } from '../../../src/checks/spf-ip.js';

describe('spf-ip', () => {
  it('parses IPv4 strictly', () => {
    expect(parseIp4('192.0.2.1')).toEqual(new Uint8Array([192, 0, 2, 1]));
    for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', '1.2.3.4:25', '', '1..2.3', ' 1.2.3.4']) expect(parseIp4(bad), bad).toBeNull();
  });
  it('parses the RFC 4291 IPv6 forms', () => {
    expect(formatIp6(parseIp6('2001:DB8:0:0:0:0:0:1')!)).toBe('2001:db8::1');
    expect(formatIp6(parseIp6('::')!)).toBe('::');
    expect(formatIp6(parseIp6('::1.1.1.1')!)).toBe('::101:101');
    expect(formatIp6(parseIp6('2001:db8:0:1:1:1:1:1')!)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIp6(parseIp6('2001:0:0:1:0:0:0:1')!)).toBe('2001:0:0:1::1');
    for (const bad of [':CAFE::BABE', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '1.2.3.4::', '']) expect(parseIp6(bad), bad).toBeNull();
  });
  it('treats an IPv4-mapped IPv6 client as IPv4', () => {
    const ip = parseIp('::FFFF:1.2.3.4')!;
    expect(ip.family).toBe(4);
    expect(formatIp(ip)).toBe('1.2.3.4');
    expect(parseIp('CAFE:BABE::192.168.218.40')!.family).toBe(6);
  });
  it('matches prefixes', () => {
    const a = parseIp4('192.0.2.77')!;
    expect(inNetwork(a, parseIp4('192.0.2.0')!, 24)).toBe(true);
    expect(inNetwork(a, parseIp4('192.0.3.0')!, 24)).toBe(false);
    expect(inNetwork(a, parseIp4('10.0.0.0')!, 0)).toBe(true);
    expect(inNetwork(a, parseIp4('192.0.2.64')!, 26)).toBe(true);
    expect(inNetwork(a, parseIp4('192.0.2.76')!, 31)).toBe(true);
    expect(inNetwork(a, parseIp4('192.0.2.76')!, 32)).toBe(false);
    expect(inNetwork(parseIp6('cafe:babe:8000::')!, parseIp6('cafe:babe:8000::')!, 33)).toBe(true);
    expect(inNetwork(a, parseIp6('::')!, 0)).toBe(false); // families never mix
    expect(hasHostBits(parseIp4('192.0.2.1')!, 24)).toBe(true);
    expect(hasHostBits(parseIp4('192.0.2.0')!, 24)).toBe(false);
  });
  it('writes %{i} and reverse names', () => {
    expect(dotFormat(parseIp('192.0.2.3')!)).toBe('192.0.2.3');
    expect(reverseName(parseIp('192.0.2.3')!)).toBe('3.2.0.192.in-addr.arpa');
    expect(reverseName(parseIp('2001:db8::cb01')!)).toBe('1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
  });
  it('round-trips every IPv6 address through RFC 5952 text', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
      expect(parseIp6(formatIp6(b))).toEqual(b);
    }));
  });
});
