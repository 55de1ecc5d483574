// The DNS names that stand for an IP address: reversed IPv4 octets and reversed IPv6
// nibbles, for PTR lookups (RFC 1035 §3.5, RFC 3596 §2.5) and DNS blocklists (RFC 5782 §2);
// and which addresses are public (routable on the Internet) at all.
import net from 'node:net';
import { say } from '../catalog/messages.js';

/** 192.0.2.99 → 99.2.0.192. */
export function reverseIpv4(ip: string): string {
  return ip.split('.').reverse().join('.');
}

/** The 32 hex digits of an IPv6 address, lower case, no separators (an embedded IPv4 tail included). */
export function expandIpv6(ip: string): string {
  let s = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4?.[1]) {
    const o = v4[1].split('.').map(Number);
    s = s.slice(0, -v4[1].length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join('');
}

/** 2001:db8::1 → 1.0.0.0.…8.b.d.0.1.0.0.2: 32 nibbles reversed, dot-separated. */
export function reverseIpv6(ip: string): string {
  return [...expandIpv6(ip)].reverse().join('.');
}

/** The PTR name of an address (in-addr.arpa or ip6.arpa); undefined when it is not an IP. */
export function ptrName(ip: string): string | undefined {
  if (net.isIPv4(ip)) return `${reverseIpv4(ip)}.in-addr.arpa`;
  if (net.isIPv6(ip)) return `${reverseIpv6(ip)}.ip6.arpa`;
  return undefined;
}

const NON_PUBLIC = new net.BlockList();
for (const [a, p] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['192.0.2.0', 24], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 3]] as const) {
  NON_PUBLIC.addSubnet(a, p, 'ipv4');
}
for (const [a, p] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['2001:db8::', 32], ['ff00::', 8]] as const) NON_PUBLIC.addSubnet(a, p, 'ipv6');

/** Routable on the Internet (not private, loopback, link-local, documentation or multicast). */
export function isPublicIp(ip: string): boolean {
  const v = net.isIP(ip);
  if (!v) return false;
  return !NON_PUBLIC.check(ip, v === 4 ? 'ipv4' : 'ipv6');
}


// Addresses that are not somewhere else: this machine, nowhere, or only the local link.
const LOCAL_KIND: readonly (readonly [string, number, 'ipv4' | 'ipv6', string])[] = [
  ['127.0.0.0', 8, 'ipv4', say('ip.kind.loopback')],
  ['0.0.0.0', 32, 'ipv4', say('ip.kind.unspecified')],
  ['0.0.0.0', 8, 'ipv4', say('ip.kind.this-network')],
  ['169.254.0.0', 16, 'ipv4', say('ip.kind.link-local')],
  ['::1', 128, 'ipv6', say('ip.kind.loopback')],
  ['::', 128, 'ipv6', say('ip.kind.unspecified')],
  ['fe80::', 10, 'ipv6', say('ip.kind.link-local')],
];

/**
 * Why dialling `ip` would not reach the domain's mail server (loopback, unspecified, link-local,
 * also as an IPv4-mapped IPv6 address); undefined for any other address.
 */
export function localAddressKind(ip: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const v = net.isIP(mapped ?? ip);
  if (!v) return undefined;
  for (const [a, p, family, what] of LOCAL_KIND) {
    if ((family === 'ipv4') !== (v === 4)) continue;
    const b = new net.BlockList();
    b.addSubnet(a, p, family);
    if (b.check(mapped ?? ip, family)) return what;
  }
  return undefined;
}
