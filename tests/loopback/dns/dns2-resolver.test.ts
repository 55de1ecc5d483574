// The dns2 resolver against the loopback zone server over real UDP and TCP: answers,
// the distinct failures (NXDOMAIN, NODATA, SERVFAIL, REFUSED, timeout), CNAME chains,
// truncation → TCP, and deadlines that hold even when the TCP fallback hangs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { DnsError, withCache, withQueryLog, type DnsQueryLog } from '../../../src/dns/resolver.js';
import { parseServer } from '../../../src/dns/system-servers.js';
import { startZoneServer, type Zone, type ZoneServer } from '../../../src/demo/zone-dns-server.js';

const zone: Zone = {
  'example.test': {
    A: ['192.0.2.10'], AAAA: ['2001:db8::10'],
    MX: [{ exchange: 'mx1.example.test', priority: 10 }],
    TXT: ['v=spf1 -all', ['part one ', 'part two']],
  },
  'alias.example.test': { CNAME: 'www.example.test' },
  'www.example.test': { CNAME: 'example.test' },
  'loop1.example.test': { CNAME: 'loop2.example.test' },
  'loop2.example.test': { CNAME: 'loop1.example.test' },
  'sub.deep.example.test': { A: ['192.0.2.20'] },
  'broken.example.test': { fault: 'servfail' },
  'refused.example.test': { fault: 'refused' },
  'slow.example.test': { fault: 'drop' },
  'big.example.test': { fault: 'truncate', TXT: [`v=spf1 ${'include:x.example.test '.repeat(20)}-all`] },
  '5.113.0.203.in-addr.arpa': { PTR: ['mail.example.test.'] },
};

let server: ZoneServer;
beforeAll(async () => { server = await startZoneServer(zone); });
afterAll(async () => { await server.close(); });

const resolver = (timeoutMs = 1_000) => createDns2Resolver({ servers: [{ address: server.address, port: server.port }], timeoutMs });
const codeOf = async (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (e: unknown) => (e instanceof DnsError ? e.dnsCode : `not a DnsError: ${String(e)}`));

describe('dns2 resolver over loopback', () => {
  it('answers A, AAAA, MX, TXT (character-strings joined) and PTR', async () => {
    const r = resolver();
    expect(await r('example.test', 'A')).toEqual(['192.0.2.10']);
    expect(await r('example.test', 'AAAA')).toEqual(['2001:db8::10']);
    expect(await r('example.test', 'MX')).toEqual([{ exchange: 'mx1.example.test', priority: 10 }]);
    expect(await r('example.test', 'TXT')).toEqual(['v=spf1 -all', 'part one part two']);
    expect(await r('5.113.0.203.in-addr.arpa', 'PTR')).toEqual(['mail.example.test']);
  });

  it('follows CNAME chains and turns a CNAME loop into SERVFAIL', async () => {
    const r = resolver();
    expect(await r('alias.example.test', 'A')).toEqual(['192.0.2.10']);
    expect(await codeOf(r('loop1.example.test', 'A'))).toBe('ESERVFAIL');
  });

  it('keeps NXDOMAIN, NODATA, SERVFAIL and REFUSED distinct', async () => {
    const r = resolver();
    expect(await codeOf(r('nothing.example.test', 'A'))).toBe('ENOTFOUND');
    expect(await codeOf(r('example.test', 'PTR'))).toBe('ENODATA');
    expect(await codeOf(r('deep.example.test', 'A'))).toBe('ENODATA'); // empty non-terminal
    expect(await codeOf(r('broken.example.test', 'A'))).toBe('ESERVFAIL');
    expect(await codeOf(r('refused.example.test', 'A'))).toBe('EREFUSED');
  });

  it('times out within its deadline when the server never answers', async () => {
    const t0 = Date.now();
    expect(await codeOf(resolver(300)('slow.example.test', 'A'))).toBe('ETIMEOUT');
    expect(Date.now() - t0).toBeLessThan(3_000); // 10x the deadline: bounded, with room for a loaded machine
  });

  it('retries a truncated answer over TCP on the same port', async () => {
    const before = server.queries.length;
    const txt = await resolver()('big.example.test', 'TXT');
    expect(txt[0]).toMatch(/^v=spf1 include:x\.example\.test/);
    expect(server.queries.slice(before).map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('bounds the TCP fallback with the same deadline when TCP never answers', async () => {
    const hang = await startZoneServer(zone, { truncateAll: true, dropTcp: true });
    try {
      const r = createDns2Resolver({ servers: [{ address: hang.address, port: hang.port }], timeoutMs: 400 });
      const t0 = Date.now();
      expect(await codeOf(r('example.test', 'A'))).toBe('ETIMEOUT');
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect(hang.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
    } finally {
      await hang.close();
    }
  });

  it('moves on to the next server when the first fails', async () => {
    const dead = await startZoneServer({ 'example.test': { fault: 'servfail' } });
    try {
      const r = createDns2Resolver({ servers: [{ address: dead.address, port: dead.port }, { address: server.address, port: server.port }], timeoutMs: 1_000 });
      expect(await r('example.test', 'A')).toEqual(['192.0.2.10']);
    } finally {
      await dead.close();
    }
  });

  it('logs queries and shares one query between concurrent identical lookups', async () => {
    const log: DnsQueryLog[] = [];
    const before = server.queries.length;
    const r = withCache(withQueryLog(resolver(), log));
    const [a, b] = await Promise.all([r('example.test', 'A'), r('EXAMPLE.test.', 'A')]);
    expect(a).toEqual(b);
    expect(server.queries.length - before).toBe(1);
    expect(log).toMatchObject([{ name: 'example.test', type: 'A', result: 'ok' }]);
  });
});

describe('--resolver parsing', () => {
  it('accepts IPv4, IPv4:port, IPv6 and [IPv6]:port', () => {
    expect(parseServer('192.0.2.53')).toEqual({ address: '192.0.2.53', port: 53 });
    expect(parseServer('127.0.0.1:5353')).toEqual({ address: '127.0.0.1', port: 5353 });
    expect(parseServer('::1')).toEqual({ address: '::1', port: 53 });
    expect(parseServer('[::1]:5353')).toEqual({ address: '::1', port: 5353 });
  });
  it('refuses names and bad ports', () => {
    expect(() => parseServer('dns.google')).toThrow(/not an IP address/);
    expect(() => parseServer('127.0.0.1:99999')).toThrow(/invalid port/);
  });
});
