// The blocklist check over real DNS on loopback (the dns2 zone server): listings with TXT,
// clean answers, error answers that are not listings (Spamhaus 127.255.255.254, junk outside
// 127/8), SERVFAIL, a zone that never answers (bounded by the resolver's deadline), domain
// lists, --zone / --zones-only, and the RFC 5782 health test finding a dead zone and a zone
// that lists the whole world.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocklistSummary, checkBlocklists, checkZoneHealth, ZONES } from '../../../src/checks/dnsbl.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type Zone as DnsZone, type ZoneServer } from '../../../src/demo/zone-dns-server.js';

const IP = '192.0.2.99';
const REV = '99.2.0.192';

const zone: DnsZone = {
  [`${REV}.zen.spamhaus.org`]: { A: ['127.0.0.2', '127.0.0.4'], TXT: [`Listed by SBL, see https://check.spamhaus.org/query/ip/${IP}`] },
  [`${REV}.list.dnswl.org`]: { A: ['127.0.3.2'] },
  [`${REV}.psbl.surriel.com`]: { fault: 'servfail' },
  [`${REV}.dnsbl.justspam.org`]: { fault: 'drop' },
  [`${REV}.b.barracudacentral.org`]: { A: ['203.0.113.5'] },
  [`${REV}.bl.spamcop.net`]: { A: ['127.0.0.2'], TXT: ['\u001b[2J\u001b[31mBlocked\u0007 see https://www.spamcop.net/bl.shtml'] },
  // Through a "public resolver": Spamhaus answers with its refusal code.
  '100.2.0.192.zen.spamhaus.org': { A: ['127.255.255.254'] },
  '100.2.0.192.multi.uribl.com': { A: ['127.0.0.1'] },
  // IPv6 nibbles of 2001:db8::99
  [`9.9.${'0.'.repeat(22)}8.b.d.0.1.0.0.2.zen.spamhaus.org`]: { A: ['127.0.0.3'] },
  // Domains
  'spammy.example.dbl.spamhaus.org': { A: ['127.0.1.2'] },
  'spammy.example.multi.uribl.com': { A: ['127.0.0.6'] },
  'spammy.example.multi.surbl.org': { A: ['127.0.0.1'] },
  // Custom zones for --zone and --health
  [`${REV}.bl.example.test`]: { A: ['127.0.0.2'] },
  '2.0.0.127.good.example.test': { A: ['127.0.0.2'], TXT: ['test point'] },
  '*.world.example.test': { A: ['127.0.0.2'] },
  'dead.example.test': { NS: ['ns.example.test'] },
  '2.0.0.127.refusing.example.test': { A: ['127.255.255.254'] },
  '1.0.0.127.refusing.example.test': { A: ['127.255.255.254'] },
};

let server: ZoneServer;
beforeAll(async () => { server = await startZoneServer(zone); });
afterAll(async () => { await server.close(); });

// Answered queries get a deadline a loaded 2-core machine meets even with every zone asked at
// once; a test that waits out the dropped zone on purpose passes a short one.
const resolver = (timeoutMs = 2_000) => createDns2Resolver({ servers: [{ address: server.address, port: server.port }], timeoutMs });
const byZone = <T extends { zone: string }>(xs: T[], z: string): T => {
  const r = xs.find((x) => x.zone === z);
  if (!r) throw new Error(`no result for ${z}`);
  return r;
};

describe('checkBlocklists over loopback DNS', () => {
  it('asks every zone at once and reports listed, clean, error and timeout per zone', async () => {
    const seen: string[] = [];
    const before = server.queries.length;
    const t0 = Date.now();
    // A deadline that a loaded CI machine still meets for the answered queries (the TXT
    // lookups after a listing), while the dropped zone must wait it out.
    const r = await checkBlocklists(IP, { resolve: resolver(1_500), onResult: (z) => seen.push(z.zone) });
    const elapsed = Date.now() - t0;
    expect(r.zones).toHaveLength(ZONES.length);
    expect(seen).toHaveLength(ZONES.length);
    // Bounded by one resolver deadline (1.5 s) plus a TXT round trip, not by the zone count.
    expect(elapsed).toBeLessThan(4_000);

    const zen = byZone(r.zones, 'zen.spamhaus.org');
    expect(zen).toMatchObject({ status: 'listed', effect: 'block', query: `${REV}.zen.spamhaus.org` });
    expect(zen.codes.map((c) => c.label)).toEqual(['SBL', 'XBL']);
    expect(zen.txt).toEqual([`Listed by SBL, see https://check.spamhaus.org/query/ip/${IP}`]);
    expect(byZone(r.zones, 'list.dnswl.org')).toMatchObject({ status: 'listed', effect: 'allow' });
    expect(byZone(r.zones, 'psbl.surriel.com')).toMatchObject({ status: 'error', problem: { source: 'dns', code: 'ESERVFAIL' } });
    expect(byZone(r.zones, 'dnsbl.justspam.org')).toMatchObject({ status: 'timeout', problem: { code: 'ETIMEOUT' } });
    expect(byZone(r.zones, 'b.barracudacentral.org')).toMatchObject({ status: 'error', problem: { source: 'answer', code: 'not-dnsbl-answer' }, ignored: ['203.0.113.5'] });
    expect(byZone(r.zones, 'dnsbl-1.uceprotect.net')).toMatchObject({ status: 'clean', codes: [] });
    expect(byZone(r.zones, 'dbl.spamhaus.org')).toMatchObject({ status: 'not-applicable' });
    expect(byZone(r.zones, 'combined.mail.abusix.zone')).toMatchObject({ status: 'not-applicable' });

    expect(r.verdict).toBe('listed');
    expect(r.listedOn).toEqual(['zen.spamhaus.org', 'bl.spamcop.net']);
    expect(r.allowedBy).toEqual(['list.dnswl.org']);
    expect(r.counts).toMatchObject({ listedBlock: 2, listedAllow: 1, error: 2, timeout: 1 });
    expect(r.summary).toMatch(/^192\.0\.2\.99 is listed on 2 of the \d+ lists checked: zen\.spamhaus\.org, bl\.spamcop\.net \(3 lists could not be checked: .*\)\./);
    // TXT only for the listed zones; no A query for zones that cannot check an IPv4 address.
    const asked = server.queries.slice(before);
    expect(asked.filter((q) => q.type === 'TXT').map((q) => q.name).sort()).toEqual([`${REV}.bl.spamcop.net`, `${REV}.list.dnswl.org`, `${REV}.zen.spamhaus.org`]);
    expect(asked.some((q) => q.name.endsWith('dbl.spamhaus.org'))).toBe(false);
    expect(r.queries.length).toBe(asked.filter((q) => q.transport === 'udp').length);
    expect(blocklistSummary(r)).toMatchObject({ check: 'dnsbl', status: 'fail', result: 'listed' });
  });

  it('turns Spamhaus 127.255.255.254 and URIBL 127.0.0.1 into errors with advice, not listings', async () => {
    const r = await checkBlocklists('192.0.2.100', { resolve: resolver(), zones: ['zen.spamhaus.org', 'bl.spamcop.net'] });
    expect(byZone(r.zones, 'zen.spamhaus.org')).toMatchObject({
      status: 'error', codes: [],
      problem: { source: 'answer', code: 'public-resolver', address: '127.255.255.254', fix: expect.stringMatching(/own resolver.*not a public one such as 8\.8\.8\.8/) },
    });
    expect(r.verdict).toBe('clean');
    expect(r.listedOn).toEqual([]);
  });

  it('checks IPv6 addresses with nibble names, skipping IPv4-only lists', async () => {
    const r = await checkBlocklists('2001:db8::99', { resolve: resolver(), zones: ['zen.spamhaus.org', 'b.barracudacentral.org', 'bl.ipv6.spameatingmonkey.net'] });
    expect(byZone(r.zones, 'zen.spamhaus.org')).toMatchObject({ status: 'listed', codes: [{ label: 'SBL-CSS' }] });
    expect(byZone(r.zones, 'b.barracudacentral.org')).toMatchObject({ status: 'not-applicable', reason: 'lists IPv4 addresses only' });
    expect(byZone(r.zones, 'bl.ipv6.spameatingmonkey.net')).toMatchObject({ status: 'clean' });
  });

  it('checks domains against domain lists (bitmask decoded, SURBL refusal is an error)', async () => {
    const r = await checkBlocklists('spammy.example', { resolve: resolver() });
    expect(byZone(r.zones, 'dbl.spamhaus.org')).toMatchObject({ status: 'listed', codes: [{ label: 'DBL spam' }] });
    expect(byZone(r.zones, 'multi.uribl.com').codes.map((c) => c.label)).toEqual(['black', 'grey']);
    expect(byZone(r.zones, 'multi.surbl.org')).toMatchObject({ status: 'error', problem: { code: 'refused' } });
    expect(byZone(r.zones, 'zen.spamhaus.org')).toMatchObject({ status: 'not-applicable' });
    expect(r.verdict).toBe('listed');
  });

  it('adds zones with --zone and checks only them with --zones-only', async () => {
    const r = await checkBlocklists(IP, { resolve: resolver(), extraZones: ['bl.example.test', 'KEY1234.zen.dq.spamhaus.net'], zonesOnly: true });
    expect(r.zones.map((z) => z.zone)).toEqual(['bl.example.test', 'key1….zen.dq.spamhaus.net']);
    expect(r.zones[0]).toMatchObject({ status: 'listed', effect: 'block', kind: 'any' });
    expect(r.zones[1]).toMatchObject({ status: 'clean', id: 'spamhaus-zen-dqs' });
    expect(server.queries.some((q) => q.name === `${REV}.key1234.zen.dq.spamhaus.net`)).toBe(true);
    const all = await checkBlocklists(IP, { resolve: resolver(), extraZones: ['bl.example.test'] });
    expect(all.zones).toHaveLength(ZONES.length + 1);
  });

  it('reports "error" when every zone failed', async () => {
    const r = await checkBlocklists(IP, { resolve: resolver(400), zones: ['psbl.surriel.com', 'dnsbl.justspam.org'] });
    expect(r.verdict).toBe('error');
    expect(blocklistSummary(r).status).toBe('error');
  });
});

describe('zone health (RFC 5782 section 5)', () => {
  it('flags a dead zone, a zone that lists everything and a refusing one', async () => {
    const h = await checkZoneHealth({
      resolve: resolver(),
      extraZones: ['good.example.test', 'dead.example.test', 'world.example.test', 'refusing.example.test'],
      zonesOnly: true,
    });
    expect(byZone(h.zones, 'good.example.test')).toMatchObject({ status: 'ok', positive: { outcome: 'listed', query: '2.0.0.127.good.example.test' }, negative: { outcome: 'not-listed' } });
    expect(byZone(h.zones, 'dead.example.test')).toMatchObject({ status: 'dead', message: expect.stringMatching(/test entry 127\.0\.0\.2/) });
    expect(byZone(h.zones, 'world.example.test')).toMatchObject({ status: 'lists-everything', negative: { outcome: 'listed', query: '1.0.0.127.world.example.test' } });
    expect(byZone(h.zones, 'refusing.example.test')).toMatchObject({ status: 'error', positive: { problem: { code: 'public-resolver' } } });
    expect(h.counts).toMatchObject({ ok: 1, dead: 1, listsEverything: 1, error: 1 });
    expect(h.summary).toMatch(/2 zones of 4 failed/);
  });

  it('tests every catalog zone with its own test point at once', async () => {
    const before = server.queries.length;
    const h = await checkZoneHealth({ resolve: resolver() });
    const asked = server.queries.slice(before).map((q) => q.name);
    expect(asked).toContain('2.0.0.127.zen.spamhaus.org');
    expect(asked).toContain('dbltest.com.dbl.spamhaus.org');
    expect(asked).toContain('test.uribl.spameatingmonkey.net');
    expect(asked).toContain(`2.0.0.0.0.0.f.7.f.f.f.f.${'0.'.repeat(20)}bl.ipv6.spameatingmonkey.net`);
    expect(h.counts.notApplicable).toBe(ZONES.filter((z) => z.keyZone).length);
    expect(h.counts.dead).toBe(h.counts.total - h.counts.notApplicable); // the fixture serves no test points
  });
});
