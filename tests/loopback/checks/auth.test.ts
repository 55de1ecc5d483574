// checkAuth against the loopback zone server: all checks together, the JSON contract
// (validated against data/schema/auth-result.schema.json), SPF alignment for DMARC when the
// MAIL FROM domain differs, the null sender, the verdict, and DNS failing everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type Zone, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { checkAuth, type AuthResult } from '../../../src/checks/auth.js';
import { reverseName } from '../../../src/checks/rdns.js';
import { ROOT } from '../../helpers/cli.js';

const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

export const authZone = (): Zone => ({
  'good.test': { A: ['203.0.113.5'], TXT: ['v=spf1 ip4:203.0.113.0/24 -all'] },
  '_dmarc.good.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@good.test'] },
  'google._domainkey.good.test': { TXT: [`v=DKIM1; k=rsa; p=${rsa(2048)}`] },
  'mail.good.test': { A: ['203.0.113.5'], TXT: ['v=spf1 a -all'] },
  [reverseName('203.0.113.5')]: { PTR: ['mail.good.test.'] },
  'bounce.esp.test': { TXT: ['v=spf1 ip4:203.0.113.5 -all'] },
  'bad.test': { A: ['198.51.100.1'], TXT: ['v=spf1 ip4:192.0.2.0/24 -all'] },
  'selector1._domainkey.bad.test': { TXT: [`v=DKIM1; p=${rsa(512)}`] },
  'dead.test': { fault: 'servfail' },
  '*.dead.test': { fault: 'servfail' },
  [reverseName('192.0.2.99')]: { fault: 'servfail' },
});

const schema = JSON.parse(readFileSync(join(ROOT, 'data/schema/auth-result.schema.json'), 'utf8')) as object;
const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(schema);
export function expectValid(r: unknown): void {
  const ok = validate(r);
  expect(ok ? [] : validate.errors).toEqual([]);
}

let server: ZoneServer;
beforeAll(async () => { server = await startZoneServer(authZone()); });
afterAll(async () => { await server.close(); });
const resolve = (timeoutMs = 2_000) => createDns2Resolver({ servers: [{ address: server.address, port: server.port }], timeoutMs });
const json = (r: AuthResult): unknown => JSON.parse(JSON.stringify(r));

describe('checkAuth over loopback DNS', () => {
  it('passes a well set-up domain and its sending IP', async () => {
    const r = await checkAuth('good.test', { resolve: resolve(), ip: '203.0.113.5', helo: 'mail.good.test' });
    expectValid(json(r));
    expect(r.spf).toMatchObject({ result: 'pass', domain: 'good.test', sender: 'postmaster@good.test' });
    expect(r.dkim).toEqual([expect.objectContaining({ selector: 'google', status: 'ok', keyType: 'rsa', keyBits: 2048 })]);
    expect(r.dmarc).toMatchObject({ result: 'pass', policy: 'reject', orgDomain: 'good.test', record: 'v=DMARC1; p=reject; rua=mailto:dmarc@good.test' });
    expect(r.rdns).toMatchObject({ status: 'pass', fcrdns: true, ptr: ['mail.good.test'] });
    expect(r.checks.map((c) => c.check)).toEqual(['spf', 'dkim', 'dmarc', 'rdns']);
    expect(r.verdict.status).toBe('pass');
  });

  it('without --ip: no evaluation and no reverse DNS', async () => {
    const r = await checkAuth('good.test', { resolve: resolve() });
    expectValid(json(r));
    expect(r.rdns).toBeUndefined();
    expect(r.dmarc.result).toBe('found');
    expect(r.dmarc.alignment).toBeNull();
  });

  it('aligns the MAIL FROM domain, evaluated on its own, for DMARC', async () => {
    const esp = await checkAuth('good.test', { resolve: resolve(), ip: '203.0.113.5', from: 'bounces@bounce.esp.test' });
    expectValid(json(esp));
    expect(esp.spf.domain).toBe('bounce.esp.test');
    expect(esp.dmarc.alignment?.spf).toMatchObject({ aligned: false, candidates: [{ domain: 'bounce.esp.test', result: 'pass' }] });
    expect(esp.dmarc.result).toBe('fail');
    const sub = await checkAuth('good.test', { resolve: resolve(), ip: '203.0.113.5', from: 'x@mail.good.test' });
    expect(sub.dmarc.alignment?.spf).toMatchObject({ aligned: true, domain: 'mail.good.test', orgDomain: 'good.test' });
  });

  it('uses the HELO identity for the null sender (RFC 7208 §2.4)', async () => {
    const r = await checkAuth('good.test', { resolve: resolve(), ip: '203.0.113.5', from: '', helo: 'mail.good.test' });
    expectValid(json(r));
    expect(r.from).toBeNull();
    expect(r.spf).toMatchObject({ domain: 'mail.good.test', sender: 'postmaster@mail.good.test' });
    expect(r.dmarc.alignment?.spf).toMatchObject({ aligned: true, candidates: [{ domain: 'mail.good.test', result: 'pass' }] });
  });

  it('fails a domain with SPF fail, no DMARC, a too-small DKIM key and no PTR', async () => {
    const r = await checkAuth('bad.test', { resolve: resolve(), ip: '198.51.100.1' });
    expectValid(json(r));
    expect(r.spf.result).toBe('fail');
    expect(r.dkim).toEqual([expect.objectContaining({ selector: 'selector1', status: 'invalid', keyBits: 512 })]);
    expect(r.dmarc).toMatchObject({ status: 'fail', result: 'none', record: null });
    expect(r.rdns).toMatchObject({ status: 'fail', ptr: [] });
    expect(r.verdict.status).toBe('fail');
    expect(r.verdict.problems).toEqual(['spf', 'dkim', 'dmarc', 'rdns']);
  });

  it('says "error" when DNS failed for every check', async () => {
    const r = await checkAuth('dead.test', { resolve: resolve(500), ip: '192.0.2.99' });
    expectValid(json(r));
    expect(r.checks.map((c) => c.status)).toEqual(['error', 'error', 'error', 'error']);
    expect(r.verdict.status).toBe('error');
  });

  it('refuses bad input', async () => {
    await expect(checkAuth('not a domain', { resolve: resolve() })).rejects.toThrow(/not a domain name/);
    await expect(checkAuth('good.test', { resolve: resolve(), ip: '999.1.1.1' })).rejects.toThrow(/not an IPv4 or IPv6/);
  });
});
