// The pure DNSBL rules: subjects, query names (RFC 5782 §2 octets and IPv6 nibbles, the
// reference test points), what each answer means, and the promise that error codes and
// answers outside 127.0.0.0/8 are never listings. Also --zone parsing and zonesNamedIn.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ZONES, classifyAnswers, expandIpv6, isNonPublicAddress, overallEffect, parseSubject, planQuery, reverseIpv4, reverseIpv6,
  selectZones, testPoints, zoneFor, zonesNamedIn, blocklistSummary, checkZone, type Zone,
} from '../../../src/checks/dnsbl.js';
import { DnsError, type Resolve } from '../../../src/dns/resolver.js';
import { UsageError } from '../../../src/errors.js';
import { ROOT } from '../../helpers/cli.js';

const zone = (z: string): Zone => {
  const found = ZONES.find((x) => x.zone === z);
  if (!found) throw new Error(`no zone ${z}`);
  return found;
};

/** The reference table (fixtures/reference/dnsbl/rfc5782-test-points.tsv, from ../shared/reference). */
const refRows = readFileSync(join(ROOT, 'fixtures', 'reference', 'dnsbl', 'rfc5782-test-points.tsv'), 'utf8')
  .split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));

describe('query names', () => {
  it('reverses IPv4 octets', () => {
    expect(reverseIpv4('192.0.2.99')).toBe('99.2.0.192');
  });

  it('expands and reverses IPv6 nibbles, lower case', () => {
    expect(expandIpv6('2001:db8::1')).toBe('20010db8000000000000000000000001');
    expect(expandIpv6('::')).toBe('0'.repeat(32));
    expect(expandIpv6('::FFFF:127.0.0.2')).toBe(expandIpv6('::ffff:7f00:2'));
    expect(reverseIpv6('2001:DB8::1')).toBe('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2');
  });

  it('matches every query name of the RFC 5782 reference table', () => {
    const z = { ...zone('zen.spamhaus.org'), zone: 'bl.example' };
    for (const [kind, entry, qname] of refRows) {
      const want = qname!.replace('<zone>', 'bl.example');
      if (kind === 'domain') {
        expect(planQuery(parseSubject(`${entry!.toLowerCase()}.example`), { ...zone('dbl.spamhaus.org'), zone: 'bl.example' })).toEqual({ name: `${entry!.toLowerCase()}.example.bl.example` });
        continue;
      }
      expect(planQuery(parseSubject(entry!), z), `${kind} ${entry}`).toEqual({ name: want });
    }
  });

  it('every IPv6 query name has 32 nibbles, for any address', () => {
    fc.assert(fc.property(fc.ipV6(), (ip) => {
      const labels = reverseIpv6(ip).split('.');
      expect(labels).toHaveLength(32);
      for (const l of labels) expect(l).toMatch(/^[0-9a-f]$/);
    }));
  });

  it('builds RFC 5782 test points for IPv4, IPv6-only and domain zones', () => {
    expect(testPoints(zone('zen.spamhaus.org'))).toMatchObject({ listedName: '2.0.0.127.zen.spamhaus.org', notListedName: '1.0.0.127.zen.spamhaus.org' });
    const v6 = testPoints(zone('bl.ipv6.spameatingmonkey.net'));
    expect(v6.listedName).toBe(`${refRows.find((r) => r[1] === '::FFFF:7F00:2')![2]!.replace('<zone>', 'bl.ipv6.spameatingmonkey.net')}`);
    expect(testPoints(zone('uribl.spameatingmonkey.net'))).toMatchObject({ listedName: 'test.uribl.spameatingmonkey.net', notListedName: 'invalid.uribl.spameatingmonkey.net' });
    expect(testPoints(zone('dbl.spamhaus.org')).listedName).toBe('dbltest.com.dbl.spamhaus.org');
  });

  it('says which zones cannot check a subject', () => {
    expect(planQuery(parseSubject('example.com'), zone('zen.spamhaus.org'))).toHaveProperty('notApplicable');
    expect(planQuery(parseSubject('192.0.2.1'), zone('dbl.spamhaus.org'))).toHaveProperty('notApplicable');
    expect(planQuery(parseSubject('2001:db8::1'), zone('b.barracudacentral.org'))).toEqual({ notApplicable: 'lists IPv4 addresses only' });
    expect(planQuery(parseSubject('192.0.2.1'), zone('bl.ipv6.spameatingmonkey.net'))).toEqual({ notApplicable: 'lists IPv6 addresses only' });
    expect(planQuery(parseSubject('2001:db8::1'), zone('zen.spamhaus.org'))).toHaveProperty('name');
  });

  it('asks registered-domain lists about the registered domain only', () => {
    const s = parseSubject('Mail.Example.CO.UK.');
    expect(s).toMatchObject({ kind: 'domain', value: 'mail.example.co.uk', registered: 'example.co.uk' });
    expect(planQuery(s, zone('multi.surbl.org'))).toEqual({ name: 'example.co.uk.multi.surbl.org' });
    expect(planQuery(s, zone('dbl.spamhaus.org'))).toEqual({ name: 'mail.example.co.uk.dbl.spamhaus.org' });
  });
});

describe('subjects', () => {
  it('accepts IPv4, IPv6 (bracketed too) and domains, IDN included', () => {
    expect(parseSubject(' 192.0.2.1 ')).toMatchObject({ kind: 'ipv4', value: '192.0.2.1' });
    expect(parseSubject('[2001:DB8::1]')).toMatchObject({ kind: 'ipv6', value: '2001:db8::1' });
    expect(parseSubject('bücher.example')).toMatchObject({ kind: 'domain', value: 'xn--bcher-kva.example' });
  });
  it('refuses what is neither, with a UsageError', () => {
    for (const bad of ['', 'localhost', '1.2.3', '300.1.1.1', 'a..b', 'bob@example.com', 'exa mple.com', 'x\r\n.com', '-bad.example']) {
      expect(() => parseSubject(bad), bad).toThrow(UsageError);
    }
  });
  it('knows private and documentation addresses', () => {
    for (const ip of ['10.1.2.3', '192.168.0.1', '127.0.0.2', '192.0.2.1', '::1', 'fd00::1', '2001:db8::5']) expect(isNonPublicAddress(ip), ip).toBe(true);
    for (const ip of ['8.8.8.8', '2a00:1450::1']) expect(isNonPublicAddress(ip), ip).toBe(false);
  });
});

describe('answers', () => {
  it('gives each Spamhaus ZEN code its meaning', () => {
    const c = classifyAnswers(zone('zen.spamhaus.org'), ['127.0.0.2', '127.0.0.11']);
    expect(c.listed.map((x) => x.label)).toEqual(['SBL', 'PBL-Spamhaus']);
    expect(c.listed[1]!.meaning).toMatch(/policy/i);
    expect(c.errors).toEqual([]);
  });

  it('treats the Spamhaus error codes as errors with advice, never as listings', () => {
    for (const [addr, reason] of [['127.255.255.252', 'bad-query'], ['127.255.255.254', 'public-resolver'], ['127.255.255.255', 'over-quota']] as const) {
      const c = classifyAnswers(zone('zen.spamhaus.org'), [addr]);
      expect(c.listed, addr).toEqual([]);
      expect(c.errors[0]).toMatchObject({ address: addr, reason });
    }
    expect(classifyAnswers(zone('zen.spamhaus.org'), ['127.255.255.254']).errors[0]!.fix).toMatch(/own resolver.*not a public one such as 8\.8\.8\.8/);
    expect(classifyAnswers(zone('dbl.spamhaus.org'), ['127.0.1.255']).errors[0]).toMatchObject({ reason: 'bad-query' });
  });

  it('applies the 127.255.255.0/24 convention to every zone', () => {
    for (const z of ZONES) {
      const c = classifyAnswers(z, ['127.255.255.254', '127.255.255.1']);
      expect(c.listed, z.zone).toEqual([]);
      expect(c.errors, z.zone).toHaveLength(2);
    }
  });

  it('decodes bitmask lists and their refusal code (URIBL, SURBL)', () => {
    const u = classifyAnswers(zone('multi.uribl.com'), ['127.0.0.14']);
    expect(u.listed.map((x) => x.label)).toEqual(['black', 'grey', 'red']);
    expect(overallEffect(u.listed)).toBe('block');
    expect(overallEffect(classifyAnswers(zone('multi.uribl.com'), ['127.0.0.4']).listed)).toBe('neutral');
    for (const z of ['multi.uribl.com', 'multi.surbl.org']) {
      const c = classifyAnswers(zone(z), ['127.0.0.1']);
      expect(c.listed, z).toEqual([]);
      expect(c.errors[0]).toMatchObject({ reason: 'refused' });
    }
    const s = classifyAnswers(zone('multi.surbl.org'), ['127.0.0.24']);
    expect(s.listed.map((x) => x.label)).toEqual(['PH', 'MW']);
  });

  it('decodes DNSWL category and trust, as good news', () => {
    const c = classifyAnswers(zone('list.dnswl.org'), ['127.0.3.3']);
    expect(c.listed[0]).toMatchObject({ effect: 'allow' });
    expect(c.listed[0]!.meaning).toMatch(/email service provider.*high/);
    expect(classifyAnswers(zone('list.dnswl.org'), ['127.0.0.255']).errors[0]).toMatchObject({ reason: 'over-quota' });
  });

  it('gives Hostkarma colours their own effect', () => {
    expect(overallEffect(classifyAnswers(zone('hostkarma.junkemailfilter.com'), ['127.0.0.1', '127.0.2.3']).listed)).toBe('allow');
    expect(overallEffect(classifyAnswers(zone('hostkarma.junkemailfilter.com'), ['127.0.0.2', '127.0.1.2']).listed)).toBe('block');
  });

  it('lists an undocumented 127/8 code with a generic meaning', () => {
    const c = classifyAnswers(zone('bl.spamcop.net'), ['127.0.0.9']);
    expect(c.listed[0]).toMatchObject({ address: '127.0.0.9', effect: 'block' });
    expect(c.listed[0]!.meaning).toMatch(/does not describe/);
  });

  it('never reports an answer outside 127.0.0.0/8 as a listing, for any zone', () => {
    const outside = fc.ipV4().filter((ip) => !ip.startsWith('127.'));
    fc.assert(fc.property(fc.constantFrom(...ZONES), fc.array(outside, { minLength: 1, maxLength: 4 }), (z, answers) => {
      const c = classifyAnswers(z, answers);
      expect(c.listed).toEqual([]);
      expect(c.ignored).toEqual(answers);
      expect(c.errors[0]).toMatchObject({ reason: 'not-dnsbl-answer' });
    }));
    expect(classifyAnswers(zone('zen.spamhaus.org'), ['::1', 'garbage']).listed).toEqual([]);
  });

  it('never reports a documented error code as a listing, for any zone', () => {
    for (const z of ZONES) {
      for (const e of z.errors ?? []) {
        const addr = e.value ?? e.from!;
        expect(classifyAnswers(z, [addr]).listed, `${z.zone} ${addr}`).toEqual([]);
      }
    }
  });

  it('keeps the listing when a valid code comes with junk', () => {
    const c = classifyAnswers(zone('zen.spamhaus.org'), ['127.0.0.4', '203.0.113.9']);
    expect(c.listed).toHaveLength(1);
    expect(c.ignored).toEqual(['203.0.113.9']);
  });
});

describe('choosing zones', () => {
  it('knows catalog zones, keyed zones and custom zones for --zone', () => {
    expect(zoneFor('ZEN.spamhaus.org.').id).toBe('spamhaus-zen');
    const dqs = zoneFor('abcdefghijklmnop1234567890.zen.dq.spamhaus.net');
    expect(dqs).toMatchObject({ id: 'spamhaus-zen-dqs', keyed: true, kind: 'ip' });
    expect(zoneFor('bl.example.org')).toMatchObject({ kind: 'any', custom: true });
    for (const bad of ['not a zone', 'x', '-a.example', 'a..b']) expect(() => zoneFor(bad), bad).toThrow(UsageError);
  });

  it('adds --zone zones, replaces a key-less catalog entry, and honours --zones-only', () => {
    const all = selectZones({ extraZones: ['KEY123.combined.mail.abusix.zone', 'bl.example.org', 'zen.spamhaus.org'] });
    expect(all.length).toBe(ZONES.length + 1);
    expect(all.find((z) => z.id === 'abusix-combined')).toMatchObject({ keyed: true, zone: 'key123.combined.mail.abusix.zone' });
    expect(selectZones({ extraZones: ['bl.example.org'], zonesOnly: true }).map((z) => z.zone)).toEqual(['bl.example.org']);
    expect(() => selectZones({ zonesOnly: true })).toThrow(UsageError);
    expect(selectZones({ zones: ['bl.spamcop.net', 'psbl.surriel.com'] }).map((z) => z.id)).toEqual(['spamcop', 'psbl']);
  });

  it('finds the lists a rejection text names', () => {
    const t = (s: string): string[] => zonesNamedIn(s).zones.map((z) => z.zone);
    expect(t('554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1')).toEqual(['zen.spamhaus.org']);
    expect(t('550 rejected because 192.0.2.1 is in a black list at b.barracudacentral.org')).toEqual(['b.barracudacentral.org']);
    expect(t('554 Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.1')).toEqual(['bl.spamcop.net']);
    expect(t('550 5.7.1 listed at dbl.spamhaus.org')).toEqual(['dbl.spamhaus.org']);
    expect(t('421 try again later')).toEqual([]);
    expect(zonesNamedIn('554 blocked using spam.dnsbl.sorbs.net').retired.map((r) => r.name)).toEqual(['SORBS']);
  });
});

describe('checkZone and the summary over a fake resolver', () => {
  const fake = (answers: Record<string, string[] | DnsError['dnsCode']>): Resolve => (async (name: string, type: string) => {
    const a = answers[`${type} ${name}`];
    if (a === undefined) throw new DnsError('ENOTFOUND', name, type as 'A');
    if (typeof a === 'string') throw new DnsError(a, name, type as 'A');
    return a;
  }) as Resolve;

  it('maps NXDOMAIN, NODATA, a listing with TXT, SERVFAIL and a timeout', async () => {
    const s = parseSubject('192.0.2.99');
    const r = fake({
      'A 99.2.0.192.zen.spamhaus.org': ['127.0.0.2'], 'TXT 99.2.0.192.zen.spamhaus.org': ['Listed: see \u001b[31mhttps://check.spamhaus.org/'],
      'A 99.2.0.192.bl.spamcop.net': 'ENODATA', 'A 99.2.0.192.psbl.surriel.com': 'ESERVFAIL', 'A 99.2.0.192.dnsbl.justspam.org': 'ETIMEOUT',
    });
    expect(await checkZone(s, zone('zen.spamhaus.org'), r)).toMatchObject({ status: 'listed', effect: 'block', txt: ['Listed: see \u001b[31mhttps://check.spamhaus.org/'] });
    expect(await checkZone(s, zone('bl.spamcop.net'), r)).toMatchObject({ status: 'clean' });
    expect(await checkZone(s, zone('psbl.surriel.com'), r)).toMatchObject({ status: 'error', problem: { source: 'dns', code: 'ESERVFAIL' } });
    expect(await checkZone(s, zone('dnsbl.justspam.org'), r)).toMatchObject({ status: 'timeout', problem: { code: 'ETIMEOUT' } });
    expect(await checkZone(s, zone('combined.mail.abusix.zone'), r)).toMatchObject({ status: 'not-applicable', reason: expect.stringMatching(/--zone KEY\.combined\.mail\.abusix\.zone/) });
    expect(await checkZone(s, zone('bl.spamcop.net'), r, { publicResolver: true })).not.toHaveProperty('note');
    expect((await checkZone(s, zone('zen.spamhaus.org'), fake({}), { publicResolver: true })).note).toMatch(/public resolvers/);
  });

  it('hides the key of a keyed zone in the result', async () => {
    const z = zoneFor('secretkey1234567890.zen.dq.spamhaus.net');
    const r = await checkZone(parseSubject('192.0.2.99'), z, fake({}));
    expect(JSON.stringify(r)).not.toContain('secretkey1234567890');
    expect(r.zone).toBe('secr….zen.dq.spamhaus.net');
  });

  it('summarises as the common CheckSummary', async () => {
    const { checkBlocklists } = await import('../../../src/checks/dnsbl.js');
    const listed = await checkBlocklists('192.0.2.99', { resolve: fake({ 'A 99.2.0.192.bl.spamcop.net': ['127.0.0.2'] }), zones: ['bl.spamcop.net', 'psbl.surriel.com', 'list.dnswl.org'] });
    const s = blocklistSummary(listed);
    expect(s).toMatchObject({ check: 'dnsbl', status: 'fail', result: 'listed', subject: '192.0.2.99' });
    expect(s.findings[0]).toMatchObject({ level: 'error', code: 'dnsbl.listed' });
    expect(s.findings.some((f) => f.code === 'dnsbl.non-public-address')).toBe(true);
    expect(s.queries.length).toBeGreaterThanOrEqual(3);
    const allowed = await checkBlocklists('192.0.2.99', { resolve: fake({ 'A 99.2.0.192.list.dnswl.org': ['127.0.5.2'] }), zones: ['bl.spamcop.net', 'list.dnswl.org'] });
    expect(blocklistSummary(allowed)).toMatchObject({ status: 'pass', result: 'clean' });
    expect(allowed.allowedBy).toEqual(['list.dnswl.org']);
    expect(allowed.summary).toMatch(/allow-list.*good/);
    const failed = await checkBlocklists('192.0.2.99', { resolve: fake({ 'A 99.2.0.192.bl.spamcop.net': 'ESERVFAIL' }), zones: ['bl.spamcop.net'] });
    expect(failed.verdict).toBe('error');
    expect(blocklistSummary(failed).status).toBe('error');
  });
});
