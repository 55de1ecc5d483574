// Records that are recognisably DMARC yet broken, over the loopback zone server: every one is
// reported with its text and exact problem, result permerror (exit 8 in `auth`), never "no
// DMARC record" (advice to publish one would leave two). Also: auth's spf.result holds only
// RFC 7208 words, address literals get no SPF/DMARC lookups, and failure reasons are kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import type { Resolve } from '../../../src/dns/resolver.js';
import { startZoneServer, type Zone, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { checkDmarc } from '../../../src/checks/dmarc.js';
import { checkAuth } from '../../../src/checks/auth.js';
import { spfIdentity, spfReport } from '../../../src/checks/spf.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { ROOT } from '../../helpers/cli.js';

const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(ROOT, 'data/schema/auth-result.schema.json'), 'utf8')) as object);
function expectValid(r: unknown): void {
  expect(validate(r) ? [] : validate.errors).toEqual([]);
}

/** name → [the TXT at _dmarc.name, a word the exact problem must contain]. */
const BROKEN: Record<string, [string, RegExp]> = {
  'nosemi.test': ['v=DMARC1 p=reject; pct=200', /no ";" after v=DMARC1/],
  'comma.test': ['v=DMARC1, p=reject', /no ";" after v=DMARC1/],
  'upper.test': ['V=DMARC1; p=reject', /"V="/],
  'lowerver.test': ['v=dmarc1; p=reject', /exactly "DMARC1"/],
  'ver2.test': ['v=DMARC2; p=reject', /"DMARC2" is not a DMARC version/],
  'notfirst.test': ['p=reject; v=DMARC1', /not the first tag/],
  'nov.test': ['p=quarantine; rua=mailto:d@nov.test', /no v=DMARC1/],
  'pct.test': ['v=DMARC1; p=reject; pct=200', /pct=200 is not a whole number from 0 to 100/],
  'badp.test': ['v=DMARC1; p=block', /p=block is not a policy/],
  'badsp.test': ['v=DMARC1; p=reject; sp=maybe', /sp=maybe is not a policy/],
  'badadkim.test': ['v=DMARC1; p=reject; adkim=x', /adkim=x is not an alignment mode/],
  'dup.test': ['v=DMARC1; p=reject; p=none', /appears more than once/],
  'badrua.test': ['v=DMARC1; p=reject; rua=dmarc@badrua.test', /not a URI/],
  'nop.test': ['v=DMARC1; adkim=s', /no p= tag/],
  'emptyp.test': ['v=DMARC1; p=; rua=mailto:d@emptyp.test', /p= is empty/],
};

const zone: Zone = {
  'ok.test': { A: ['192.0.2.1'], TXT: ['v=spf1 ip4:192.0.2.0/24 -all'] },
  '_dmarc.ok.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:d@ok.test'] },
  'two.test': { A: ['192.0.2.1'] },
  '_dmarc.two.test': { TXT: ['v=DMARC1; p=reject', 'v=DMARC1; p=none'] },
  // A valid record beside a broken one: receivers use the valid one, the stray must go.
  'stray.test': { A: ['192.0.2.1'] },
  '_dmarc.stray.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:d@stray.test', 'v=DMARC1 p=none'] },
  // A broken record at the organizational domain, seen from a subdomain.
  'parent.test': { A: ['192.0.2.1'] },
  '_dmarc.parent.test': { TXT: ['v=DMARC1 p=reject'] },
  'kid.parent.test': { A: ['192.0.2.1'] },
  // Unrelated TXT at _dmarc is not DMARC: that is still "no record".
  'other.test': { A: ['192.0.2.1'] },
  '_dmarc.other.test': { TXT: ['google-site-verification=abc123'] },
};
for (const [name, [txt]] of Object.entries(BROKEN)) {
  zone[name] = { A: ['192.0.2.1'] };
  zone[`_dmarc.${name}`] = { TXT: [txt] };
}

let server: ZoneServer;
beforeAll(async () => { server = await startZoneServer(zone); });
afterAll(async () => { await server.close(); });
const resolve = (): Resolve => createDns2Resolver({ servers: [{ address: server.address, port: server.port }], timeoutMs: 2_000 });
const codes = (r: { findings: { code: string }[] }) => r.findings.map((f) => f.code);

describe('a record that starts like DMARC but is broken', () => {
  for (const [name, [txt, problem]] of Object.entries(BROKEN)) {
    it(`${JSON.stringify(txt)}: permerror with its text and the exact problem, never "no record"`, async () => {
      for (const mode of ['rfc9989', 'rfc7489'] as const) {
        const r = await checkDmarc(name, { resolve: resolve(), mode });
        expect(r, mode).toMatchObject({ status: 'fail', result: 'permerror' });
        expect(codes(r)).not.toContain('dmarc.no-record');
        expect(r.summary).not.toMatch(/No DMARC record/);
        const f = r.findings.find((x) => x.code === 'dmarc.malformed-record' || x.code === 'dmarc.invalid-tags');
        expect(f?.message).toContain(txt);
        expect(f?.message).toMatch(problem);
        expect(f?.fix).toMatch(/in place, do not publish another/);
      }
    });
  }

  it('also with --ip the result is permerror (RFC 8601: a syntactically incorrect record), and auth exits 8', async () => {
    const r = await checkAuth('nosemi.test', { resolve: resolve(), ip: '192.0.2.1' });
    expectValid(JSON.parse(JSON.stringify(r)));
    expect(r.dmarc).toMatchObject({ result: 'permerror', status: 'fail', record: 'v=DMARC1 p=reject; pct=200', recordDomain: 'nosemi.test' });
    expect(r.dmarc.brokenRecords).toEqual([expect.objectContaining({ name: '_dmarc.nosemi.test', record: 'v=DMARC1 p=reject; pct=200', discarded: true })]);
    expect(r.dmarc.brokenRecords[0]!.problems).toHaveLength(2);
    expect(r.verdict.status).toBe('fail');
    expect(r.verdict.problems).toContain('dmarc');
  });

  it('two valid records: permerror, and both texts are shown', async () => {
    const r = await checkDmarc('two.test', { resolve: resolve() });
    expect(r).toMatchObject({ status: 'fail', result: 'permerror' });
    expect(r.findings.find((f) => f.code === 'dmarc.multiple-records')?.message).toMatch(/"v=DMARC1; p=reject", "v=DMARC1; p=none"/);
  });

  it('a stray broken record beside a valid one: receivers use the valid one, the stray is an error', async () => {
    const r = await checkDmarc('stray.test', { resolve: resolve() });
    expect(r).toMatchObject({ status: 'fail', result: 'permerror' });
    expect(r.details.discovery).toMatchObject({ status: 'found', policy: 'reject' });
    expect(r.findings.find((f) => f.code === 'dmarc.malformed-record')?.message).toMatch(/"v=DMARC1 p=none".*receivers apply the policy reject/);
  });

  it('a broken record at the organizational domain is reported for its subdomain too', async () => {
    const r = await checkDmarc('kid.parent.test', { resolve: resolve() });
    expect(r).toMatchObject({ status: 'fail', result: 'permerror' });
    expect(r.summary).toMatch(/_dmarc\.parent\.test is broken/);
  });

  it('a TXT at _dmarc that is not DMARC at all is still "no record"', async () => {
    const r = await checkDmarc('other.test', { resolve: resolve() });
    expect(r).toMatchObject({ status: 'fail', result: 'none' });
    expect(codes(r)).toContain('dmarc.no-record');
  });

  it('a valid record is not touched', async () => {
    const r = await checkDmarc('ok.test', { resolve: resolve() });
    expect(r.result).toBe('found');
    expect(r.details.broken).toBeUndefined();
  });
});

const RFC7208 = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror'];

describe('auth: spf.result holds only RFC 7208 words; validity has its own field', () => {
  it('without --ip a valid record has no result word (null) and recordStatus valid', async () => {
    const r = await checkAuth('ok.test', { resolve: resolve() });
    expectValid(JSON.parse(JSON.stringify(r)));
    expect(r.spf).toMatchObject({ result: null, recordStatus: 'valid' });
    expect(r.checks.find((c) => c.check === 'spf')?.result).toBeNull();
  });

  it('with --ip the RFC word, and the record status beside it', async () => {
    for (const [ip, word] of [['192.0.2.9', 'pass'], ['198.51.100.1', 'fail']] as const) {
      const r = await checkAuth('ok.test', { resolve: resolve(), ip });
      expect(RFC7208).toContain(r.spf.result);
      expect(r.spf).toMatchObject({ result: word, recordStatus: 'valid' });
    }
  });

  it('the schema refuses any other spf.result word (such as the old "valid")', async () => {
    const r = JSON.parse(JSON.stringify(await checkAuth('ok.test', { resolve: resolve() }))) as { spf: { result: unknown } };
    r.spf.result = 'valid';
    expect(validate(r)).toBe(false);
  });

  it('no record: none / none', async () => {
    const r = await checkAuth('two.test', { resolve: resolve() });
    expect(r.spf).toMatchObject({ result: 'none', recordStatus: 'none' });
  });
});

describe('address literals: no SPF HELO identity, no DMARC lookups', () => {
  it('null sender with HELO [192.0.2.1]: says so, and never asks _dmarc.[…] or a name with a bracket', async () => {
    const before = server.queries.length;
    const r = await checkAuth('ok.test', { resolve: resolve(), ip: '192.0.2.1', from: '', helo: '[192.0.2.1]' });
    expectValid(JSON.parse(JSON.stringify(r)));
    const names = server.queries.slice(before).map((q) => q.name);
    expect(names.filter((n) => /[[\]]/.test(n))).toEqual([]);
    expect(r.spf.findings.map((f) => f.code)).toContain('spf.address-literal');
    expect(r.dmarc.findings.find((f) => f.code === 'dmarc.address-literal')?.message).toMatch(/\[192\.0\.2\.1\] is an address literal/);
    expect(r.spf.domain).toBeNull();
  });

  it('a MAIL FROM domain with HELO [192.0.2.1]: the HELO identity is said to be skipped, nothing bracketed is asked', async () => {
    const before = server.queries.length;
    const r = await checkAuth('ok.test', { resolve: resolve(), ip: '192.0.2.1', from: 'bob@ok.test', helo: '[192.0.2.1]' });
    expect(server.queries.slice(before).map((q) => q.name).filter((n) => /[[\]]/.test(n))).toEqual([]);
    expect(r.spf.findings.map((f) => f.code)).toContain('spf.helo-literal');
    expect(r.spf.result).toBe('pass');
  });

  it('MAIL FROM user@[192.0.2.1]: the same', async () => {
    const before = server.queries.length;
    const r = await checkAuth('ok.test', { resolve: resolve(), ip: '192.0.2.1', from: 'bob@[192.0.2.1]' });
    expect(server.queries.slice(before).map((q) => q.name).filter((n) => /[[\]]/.test(n))).toEqual([]);
    expect(r.spf.findings.map((f) => f.code)).toContain('spf.address-literal');
  });
});

describe('failure reasons are kept', () => {
  it('a check that throws keeps its reason (summary, finding, details)', async () => {
    // A resolver that breaks its contract for DKIM names: the DKIM check crashes inside.
    const good = resolve();
    const hostile: Resolve = async (name, type) => {
      if (name.includes('._domainkey.')) throw new TypeError('resolver returned garbage for a DKIM name');
      return good(name, type);
    };
    const r = await checkAuth('ok.test', { resolve: hostile });
    const dkim = r.checks.find((c) => c.check === 'dkim')!;
    expect(dkim.status).toBe('error');
    expect(dkim.summary).toMatch(/could not be looked up .*garbage for a DKIM name/);
  });

  it('an SPF alignment evaluation that fails keeps its reason in the DMARC findings', async () => {
    const good = resolve();
    const hostile: Resolve = async (name, type) => {
      if (name === 'esp.test' && type === 'TXT') throw new RangeError('TXT answer for esp.test was not an array');
      return good(name, type);
    };
    const r = await checkAuth('ok.test', { resolve: hostile, ip: '192.0.2.1', from: 'bounce@esp.test' });
    expect(r.dmarc.findings.find((f) => f.code === 'dmarc.spf-undecided')?.message).toMatch(/not an array/);
  });
});

describe('production takes the SPF identity from spfIdentity() (the function the RFC 7208 suite drives)', () => {
  const cases: [string | undefined, string | undefined][] = [
    [undefined, 'mail.ok.test'], ['', 'mail.ok.test'], ['<bob@ok.test>', undefined], ['bob@ok.test', 'mail.ok.test'], ['ok.test', undefined], ['<>', 'mail.ok.test'],
  ];
  for (const [from, helo] of cases) {
    it(`MAIL FROM ${JSON.stringify(from)} HELO ${JSON.stringify(helo)}`, async () => {
      const id = spfIdentity(from ?? 'postmaster@ok.test', helo);
      const a = await checkAuth('ok.test', { resolve: resolve(), ip: '192.0.2.1', ...(from !== undefined ? { from } : {}), ...(helo ? { helo } : {}) });
      expect(a.spf.sender).toBe(id?.sender);
      expect(a.spf.domain).toBe(id?.domain.toLowerCase());
      const r = await spfReport('ok.test', { resolve: resolve(), ip: '192.0.2.1', ...(from !== undefined ? { sender: from } : {}), ...(helo ? { helo } : {}) });
      expect(r.details.evaluation?.sender).toBe(id?.sender);
      if (helo) expect(r.details.heloEvaluation?.sender).toBe(spfIdentity(undefined, helo)?.sender);
    });
  }
});
