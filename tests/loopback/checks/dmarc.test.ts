// checkDmarc against the loopback zone server: findings for missing, several and unusable
// records, p=none, no rua, external report destinations (authorized or not), inherited
// policies, DNS failure, alignment for given SPF/DKIM domains, and where the PSL and the
// RFC 9989 tree walk disagree on the organizational domain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type Zone, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { checkDmarc, discoverDmarc } from '../../../src/checks/dmarc.js';

const zone: Zone = {
  'good.test': { A: ['192.0.2.1'] },
  '_dmarc.good.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@good.test,mailto:agg@reports.test; ruf=mailto:f@nowhere.test'] },
  'good.test._report._dmarc.reports.test': { TXT: ['v=DMARC1'] },
  'mail.good.test': { A: ['192.0.2.2'] },
  'monitor.test': { A: ['192.0.2.3'] },
  '_dmarc.monitor.test': { TXT: ['v=DMARC1; p=none'] },
  'multi.test': { A: ['192.0.2.4'] },
  '_dmarc.multi.test': { TXT: ['v=DMARC1; p=reject', 'v=DMARC1; p=none'] },
  'nop.test': { A: ['192.0.2.5'] },
  '_dmarc.nop.test': { TXT: ['v=DMARC1; adkim=s'] },
  'none.test': { A: ['192.0.2.6'] },
  '_dmarc.sub.parent.test': { fault: 'servfail' },
  'parent.test': { A: ['192.0.2.7'] },
  '_dmarc.parent.test': { TXT: ['v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@parent.test'] },
  'kid.parent.test': { A: ['192.0.2.8'] },
  // The PSL's default rule says bank.example is the org domain; psd=y says giant.bank.example.
  'giant.bank.example': { A: ['192.0.2.9'] },
  '_dmarc.giant.bank.example': { TXT: ['v=DMARC1; p=quarantine; rua=mailto:d@giant.bank.example'] },
  '_dmarc.bank.example': { TXT: ['v=DMARC1; p=reject; psd=y'] },
};

let server: ZoneServer;
beforeAll(async () => { server = await startZoneServer(zone); });
afterAll(async () => { await server.close(); });
const resolve = () => createDns2Resolver({ servers: [{ address: server.address, port: server.port }], timeoutMs: 5_000 });
const codes = (r: { findings: { code: string }[] }) => r.findings.map((f) => f.code);

describe('checkDmarc over loopback DNS', () => {
  it('passes an enforcing record and checks external report destinations', async () => {
    const r = await checkDmarc('good.test', { resolve: resolve() });
    expect(r).toMatchObject({ check: 'dmarc', result: 'found' });
    expect(r.details.discovery).toMatchObject({ status: 'found', policy: 'reject', recordDomain: 'good.test', orgDomain: 'good.test' });
    const rec = r.details.discovery.record!;
    expect(rec.rua).toMatchObject([{ domain: 'good.test', external: false }, { domain: 'reports.test', external: true, authorized: true }]);
    expect(rec.ruf).toMatchObject([{ domain: 'nowhere.test', external: true, authorized: false, authorizationName: 'good.test._report._dmarc.nowhere.test' }]);
    expect(codes(r)).toEqual(expect.arrayContaining(['dmarc.report-authorized', 'dmarc.report-not-authorized']));
    expect(r.status).toBe('warn'); // because of the unauthorized ruf
  });

  it('fails without a record, with the record to publish', async () => {
    const r = await checkDmarc('none.test', { resolve: resolve() });
    expect(r).toMatchObject({ status: 'fail', result: 'none' });
    expect(r.findings[0]?.fix).toMatch(/_dmarc\.none\.test "v=DMARC1; p=none; rua=mailto:/);
  });

  it('warns that p=none is monitoring only and that no rua means no reports', async () => {
    const r = await checkDmarc('monitor.test', { resolve: resolve() });
    expect(r.status).toBe('warn');
    expect(codes(r)).toEqual(expect.arrayContaining(['dmarc.p-none', 'dmarc.no-rua']));
  });

  it('fails for several records and for a record without p and rua', async () => {
    expect(await checkDmarc('multi.test', { resolve: resolve() })).toMatchObject({ status: 'fail', result: 'permerror' });
    const nop = await checkDmarc('nop.test', { resolve: resolve() });
    expect(nop).toMatchObject({ status: 'fail', result: 'permerror' });
    expect(codes(nop)).toContain('dmarc.unusable');
  });

  it('applies sp= to a subdomain without its own record', async () => {
    const r = await checkDmarc('kid.parent.test', { resolve: resolve() });
    expect(r.details.discovery).toMatchObject({ inherited: true, recordDomain: 'parent.test', policy: 'quarantine', policySource: 'sp' });
    expect(codes(r)).toContain('dmarc.inherited');
  });

  it('reports SERVFAIL as temperror', async () => {
    const r = await checkDmarc('sub.parent.test', { resolve: resolve() });
    expect(r).toMatchObject({ status: 'error', result: 'temperror' });
  });

  it('computes alignment and the DMARC result for an SPF-authenticated domain', async () => {
    const pass = await checkDmarc('good.test', { resolve: resolve(), evaluate: true, spf: [{ domain: 'mail.good.test', result: 'pass' }] });
    expect(pass.result).toBe('pass');
    expect(pass.details.evaluation?.alignment.spf).toMatchObject({ aligned: true, mode: 'relaxed', domain: 'mail.good.test', orgDomain: 'good.test' });
    const softfail = await checkDmarc('good.test', { resolve: resolve(), evaluate: true, spf: Promise.resolve([{ domain: 'good.test', result: 'softfail' }]) });
    expect(softfail.result).toBe('fail');
    expect(codes(softfail)).toContain('dmarc.spf-not-aligned');
    const other = await checkDmarc('good.test', { resolve: resolve(), evaluate: true, spf: [{ domain: 'esp.test', result: 'pass' }] });
    expect(other.result).toBe('fail');
    expect(other.details.evaluation?.authResults).toBe('dmarc=fail (p=REJECT sp=REJECT dis=REJECT) header.from=good.test');
  });

  it('says where the PSL and the RFC 9989 tree walk disagree, and follows the mode asked for', async () => {
    const walk = await checkDmarc('giant.bank.example', { resolve: resolve() });
    expect(walk.details.discovery).toMatchObject({ orgDomain: 'giant.bank.example', orgDomainPsl: 'bank.example', orgDomainTreeWalk: 'giant.bank.example', orgDomainRule: 'psd=y' });
    expect(codes(walk)).toContain('dmarc.org-domain-differs');
    const psl = await discoverDmarc('giant.bank.example', { resolve: resolve(), mode: 'rfc7489' });
    expect(psl).toMatchObject({ orgDomain: 'bank.example', orgDomainMethod: 'psl', policy: 'quarantine' });
    // Relaxed alignment of a sibling under the "PSD": aligned by the PSL, not by the walk.
    const sibling = [{ domain: 'mail.mega.bank.example', result: 'pass' }];
    expect((await checkDmarc('giant.bank.example', { resolve: resolve(), evaluate: true, spf: sibling })).result).toBe('fail');
    expect((await checkDmarc('giant.bank.example', { resolve: resolve(), mode: 'rfc7489', evaluate: true, spf: sibling })).result).toBe('pass');
  });

  it('asks all tree-walk names at once (one round trip)', async () => {
    const before = server.queries.length;
    await discoverDmarc('a.b.c.kid.parent.test', { resolve: resolve() });
    const names = server.queries.slice(before).map((q) => q.name);
    expect(names.filter((n) => n.startsWith('_dmarc.'))).toHaveLength(6);
  });
});
