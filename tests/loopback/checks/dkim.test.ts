// checkDkim against the loopback zone server, with keys generated here by node:crypto:
// given and common selectors asked at once, CNAME-delegated selectors (ESP style), weak,
// too-small, revoked, testing and sha1-only keys, wildcard TXT noise, DNS failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type Zone, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { checkDkim } from '../../../src/checks/dkim.js';

const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const ed = () => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64');
const K2048 = rsa(2048);
const K1024 = rsa(1024);
const K512 = rsa(512);

const zone: Zone = {
  'good.test': { A: ['192.0.2.1'] },
  'google._domainkey.good.test': { TXT: [`v=DKIM1; k=rsa; p=${K2048}`] },
  // ESPs hand out CNAMEs to their own key names (SendGrid s1/s2, Microsoft selector1/2).
  's1._domainkey.good.test': { CNAME: 's1.domainkey.u123.esp.test' },
  's1.domainkey.u123.esp.test': { TXT: [[`v=DKIM1; k=rsa; `, `p=${K2048}`]] },
  'k1._domainkey.good.test': { TXT: [`v=DKIM1; k=ed25519; p=${ed()}`] },
  'weak.test': { A: ['192.0.2.2'] },
  'selector1._domainkey.weak.test': { TXT: [`v=DKIM1; p=${K1024}`] },
  'tiny._domainkey.weak.test': { TXT: [`v=DKIM1; p=${K512}`] },
  'old._domainkey.weak.test': { TXT: ['v=DKIM1; p='] },
  'default._domainkey.weak.test': { TXT: [`v=DKIM1; t=y; p=${K2048}`] },
  'sha._domainkey.weak.test': { TXT: [`v=DKIM1; h=sha1; p=${K2048}`] },
  'none.test': { A: ['192.0.2.3'] },
  'wild.test': { A: ['192.0.2.4'] },
  '*._domainkey.wild.test': { TXT: ['v=spf1 -all'] },
  'broken.test': { A: ['192.0.2.5'] },
  '*._domainkey.broken.test': { fault: 'servfail' },
};

let server: ZoneServer;
beforeAll(async () => { server = await startZoneServer(zone); });
afterAll(async () => { await server.close(); });
const resolver = () => createDns2Resolver({ servers: [{ address: server.address, port: server.port }], timeoutMs: 2_000 });
const bySel = (r: Awaited<ReturnType<typeof checkDkim>>) => Object.fromEntries(r.details.selectors.map((s) => [s.selector, s]));

describe('checkDkim over loopback DNS', () => {
  it('finds keys at common selectors, through CNAMEs too, with real key sizes', async () => {
    const r = await checkDkim('good.test', { resolve: resolver() });
    expect(r.status).toBe('pass');
    expect(r.result).toBe('found');
    const s = bySel(r);
    expect(s.google).toMatchObject({ status: 'ok', keyType: 'rsa', keyBits: 2048 });
    expect(s.s1).toMatchObject({ status: 'ok', keyType: 'rsa', keyBits: 2048 });
    expect(s.k1).toMatchObject({ status: 'ok', keyType: 'ed25519', keyBits: 256 });
    expect(s.selector1).toMatchObject({ status: 'not-found' });
    expect(r.details.found.map((x) => x.selector).sort()).toEqual(['google', 'k1', 's1']);
  });

  it('asks every selector in one go', async () => {
    const before = server.queries.length;
    const r = await checkDkim('none.test', { resolve: resolver() });
    const asked = server.queries.slice(before).filter((q) => q.name.endsWith('._domainkey.none.test'));
    expect(asked.length).toBe(r.details.selectors.length);
    expect(r.queries.length).toBe(r.details.selectors.length);
    expect(r.status).toBe('info');
    expect(r.findings[0]?.code).toBe('dkim.none-found');
  });

  it('warns for 1024-bit and testing keys, and fails for keys verifiers reject', async () => {
    const warn = await checkDkim('weak.test', { resolve: resolver() });
    expect(bySel(warn).selector1).toMatchObject({ status: 'weak', keyBits: 1024 });
    expect(bySel(warn).default).toMatchObject({ status: 'testing', testing: true });
    expect(warn.status).toBe('warn');
    const tiny = await checkDkim('weak.test', { resolve: resolver(), selectors: ['tiny'] });
    expect(bySel(tiny).tiny).toMatchObject({ status: 'invalid', keyBits: 512, requested: true });
    expect(tiny.status).toBe('fail');
    const sha = await checkDkim('weak.test', { resolve: resolver(), selectors: ['sha'] });
    expect(bySel(sha).sha?.status).toBe('invalid');
    expect(sha.status).toBe('fail');
  });

  it('fails for a requested selector that is missing or revoked', async () => {
    const missing = await checkDkim('good.test', { resolve: resolver(), selectors: ['nope'] });
    expect(missing.status).toBe('fail');
    expect(missing.findings.map((f) => f.code)).toContain('dkim.selector-not-found');
    const revoked = await checkDkim('weak.test', { resolve: resolver(), selectors: ['old'] });
    expect(bySel(revoked).old?.status).toBe('revoked');
    expect(revoked.status).toBe('fail');
  });

  it('ignores wildcard TXT answers that are not key records', async () => {
    const r = await checkDkim('wild.test', { resolve: resolver() });
    expect(r.details.found).toEqual([]);
    expect(r.status).toBe('info');
    const asked = await checkDkim('wild.test', { resolve: resolver(), selectors: ['mine'] });
    expect(bySel(asked).mine?.status).toBe('invalid');
  });

  it('reports DNS failure as error, not as "no key"', async () => {
    const r = await checkDkim('broken.test', { resolve: resolver() });
    expect(r.status).toBe('error');
    expect(r.result).toBe('temperror');
    expect(r.details.selectors.every((s) => s.status === 'error' && s.dnsError === 'ESERVFAIL')).toBe(true);
  });

  it('refuses a malformed selector as bad input', async () => {
    await expect(checkDkim('good.test', { resolve: resolver(), selectors: ['a b'] })).rejects.toThrow(/not a valid DKIM selector/);
  });
});
