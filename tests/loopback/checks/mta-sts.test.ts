// MTA-STS and TLS-RPT against loopback servers: the zone DNS server answers the TXT, MX and
// the policy host's A record (127.0.0.1), and a real HTTPS server with the test CA's
// certificate (fixtures/tls/mta-sts.pem) serves the policy per Host header. Cases: a valid
// enforce policy, an MX not covered, TXT without policy and the reverse, a bad certificate,
// an oversize policy, a redirect, unverified sessions, and TLS-RPT records good and bad.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type Zone, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { checkMtaSts, type MtaStsResult } from '../../../src/checks/mta-sts.js';
import { checkTlsRpt } from '../../../src/checks/tls-rpt.js';
import { createPolicyFetch, lookupWith } from '../../../src/checks/policy-fetch.js';
import type { TlsFacts } from '../../../src/smtp/tls-facts.js';
import { ROOT } from '../../helpers/cli.js';

const tlsDir = join(ROOT, 'fixtures/tls');
const read = (f: string): string => readFileSync(join(tlsDir, f), 'utf8');
const CA = read('ca.pem');

const GOOD = 'version: STSv1\r\nmode: enforce\r\nmx: mx1.sts.test\r\nmx: *.backup.sts.test\r\nmax_age: 604800\r\n';
/** Host header → how the policy server answers. */
const routes: Record<string, { status?: number; body?: string; type?: string; headers?: Record<string, string>; drip?: { bytes: number; everyMs: number } }> = {
  // Hostile policy hosts: an endless chunked body (no Content-Length), and one byte at a time.
  'mta-sts.stream.test': { drip: { bytes: 8192, everyMs: 1 } },
  'mta-sts.slow.test': { drip: { bytes: 1, everyMs: 100 } },
  'mta-sts.sts.test': { body: GOOD },
  'mta-sts.uncovered.test': { body: 'version: STSv1\nmode: enforce\nmx: mx1.uncovered.test\nmax_age: 86400\n' },
  'mta-sts.notxt.test': { body: GOOD },
  'mta-sts.redirect.test': { status: 301, headers: { Location: 'https://elsewhere.test/.well-known/mta-sts.txt' } },
  'mta-sts.html.test': { body: GOOD, type: 'text/html' },
  'mta-sts.big.test': { body: `version: STSv1\nmode: testing\nmax_age: 86400\n${'mx: mx.big.test\n'.repeat(6000)}` },
};

const zone = (): Zone => ({
  'sts.test': { MX: [{ exchange: 'mx1.sts.test', priority: 10 }, { exchange: 'b1.backup.sts.test', priority: 20 }] },
  '_mta-sts.sts.test': { TXT: ['v=STSv1; id=20240101T01'] },
  'mta-sts.sts.test': { A: ['127.0.0.1'] },
  '_smtp._tls.sts.test': { TXT: ['v=TLSRPTv1; rua=mailto:tls@sts.test,https://rpt.sts.test/v1'] },
  'uncovered.test': { MX: [{ exchange: 'mx1.uncovered.test', priority: 10 }, { exchange: 'a.b.uncovered.test', priority: 20 }] },
  '_mta-sts.uncovered.test': { TXT: ['v=STSv1; id=abc'] },
  'mta-sts.uncovered.test': { A: ['127.0.0.1'] },
  '_smtp._tls.uncovered.test': { TXT: ['v=TLSRPTv1; rua=ftp://x.test/r'] },
  'nopolicy.test': { MX: [{ exchange: 'mx.nopolicy.test', priority: 10 }] },
  '_mta-sts.nopolicy.test': { TXT: ['v=STSv1; id=1'] },
  '_smtp._tls.nopolicy.test': { TXT: ['v=TLSRPTv1; rua=mailto:a@x.test', 'v=TLSRPTv1; rua=mailto:b@x.test'] },
  'notxt.test': { MX: [{ exchange: 'mx1.sts.test', priority: 10 }] },
  'mta-sts.notxt.test': { A: ['127.0.0.1'] },
  '_smtp._tls.notxt.test': { TXT: ['v=TLSRPTv1'] },
  'redirect.test': { MX: [{ exchange: 'mx.redirect.test', priority: 10 }] },
  '_mta-sts.redirect.test': { TXT: ['v=STSv1; id=2'] },
  'mta-sts.redirect.test': { A: ['127.0.0.1'] },
  'big.test': { MX: [{ exchange: 'mx.big.test', priority: 10 }] },
  '_mta-sts.big.test': { TXT: ['v=STSv1; id=3'] },
  'mta-sts.big.test': { A: ['127.0.0.1'] },
  // The policy host answers with the wrong-name certificate (the second server).
  'badcert.test': { MX: [{ exchange: 'mx.badcert.test', priority: 10 }] },
  '_mta-sts.badcert.test': { TXT: ['v=STSv1; id=4'] },
  'mta-sts.badcert.test': { A: ['127.0.0.1'] },
  'html.test': { MX: [{ exchange: 'mx1.sts.test', priority: 10 }] },
  '_mta-sts.html.test': { TXT: ['v=STSv1; id=8'] },
  'mta-sts.html.test': { A: ['127.0.0.1'] },
  'gone.test': { MX: [{ exchange: 'mx1.sts.test', priority: 10 }] },
  '_mta-sts.gone.test': { TXT: ['v=STSv1; id=9'] },
  'mta-sts.gone.test': { A: ['127.0.0.1'] },
  'mta-sts.stream.test': { A: ['127.0.0.1'] },
  'mta-sts.slow.test': { A: ['127.0.0.1'] },
  'plain.test': { MX: [{ exchange: 'mx.plain.test', priority: 10 }] },
  '_mta-sts.twice.test': { TXT: ['v=STSv1; id=5', 'v=STSv1; id=6'] },
  'twice.test': { MX: [{ exchange: 'mx.twice.test', priority: 10 }] },
});

let dns: ZoneServer;
let good: https.Server;
let bad: https.Server;
const hits: string[] = [];

function listen(cert: string, key: string): Promise<https.Server> {
  const s = https.createServer({ cert: read(cert), key: read(key) }, (req, res) => {
    const host = String(req.headers.host ?? '');
    hits.push(`${host} ${req.url}`);
    const r = routes[host];
    if (!r || req.url !== '/.well-known/mta-sts.txt') { res.writeHead(404).end('not found'); return; }
    res.writeHead(r.status ?? 200, { 'Content-Type': r.type ?? 'text/plain; charset=utf-8', ...(r.headers ?? {}) });
    if (r.drip) {
      const { bytes, everyMs } = r.drip;
      const t = setInterval(() => res.write('x'.repeat(bytes)), everyMs);
      res.on('close', () => clearInterval(t));
      return;
    }
    res.end(r.body ?? '');
  });
  return new Promise((ok) => s.listen(0, '127.0.0.1', () => ok(s)));
}

beforeAll(async () => {
  dns = await startZoneServer(zone());
  good = await listen('mta-sts.pem', 'mta-sts.key');
  bad = await listen('wrong-name.pem', 'wrong-name.key');
});
afterAll(async () => {
  await dns.close();
  await new Promise((r) => good.close(r));
  await new Promise((r) => bad.close(r));
});

const resolve = () => createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 2_000 });
const port = (s: https.Server): number => (s.address() as AddressInfo).port;
const fetcher = (server = good, extra: { ca?: string; timeoutMs?: number } = { ca: CA }) =>
  createPolicyFetch({ lookup: lookupWith(resolve()), port: port(server), ...extra });
const run = (domain: string, o: { server?: https.Server; ca?: string | null; sessions?: Parameters<typeof checkMtaSts>[1]['sessions'] } = {}): Promise<MtaStsResult> =>
  checkMtaSts(domain, {
    resolve: resolve(),
    fetchPolicy: fetcher(o.server ?? good, o.ca === null ? {} : { ca: o.ca ?? CA }),
    ...(o.sessions ? { sessions: o.sessions } : {}),
  });
const codes = (r: { findings: { code: string; level: string }[] }): string[] => r.findings.map((f) => `${f.level} ${f.code}`);

const facts = (over: Partial<TlsFacts>): TlsFacts => ({ protocol: 'TLSv1.3', cipher: 'x', chain: [], trusted: true, checkedName: 'mx1.sts.test', nameMatches: true, expired: false, ...over });

describe('MTA-STS over loopback DNS and HTTPS', () => {
  it('accepts a valid enforce policy that covers every MX (wildcard = one label)', async () => {
    const r = await run('sts.test');
    expect(r.status).toBe('ok');
    expect(r.txt.id).toBe('20240101T01');
    expect(r.policy).toMatchObject({ fetched: true, version: 'STSv1', mode: 'enforce', maxAge: 604800, mx: ['mx1.sts.test', '*.backup.sts.test'], errors: [] });
    expect(r.mxCoverage).toEqual([
      { host: 'mx1.sts.test', covered: true, pattern: 'mx1.sts.test' },
      { host: 'b1.backup.sts.test', covered: true, pattern: '*.backup.sts.test' },
    ]);
    expect(codes(r)).toEqual(['ok mta-sts.ok']);
    expect(r.queries.map((q) => `${q.type} ${q.name}`)).toEqual(expect.arrayContaining(['TXT _mta-sts.sts.test', 'MX sts.test']));
  });

  it('names an MX the enforce policy does not cover (a wildcard never spans two labels)', async () => {
    const r = await run('uncovered.test');
    expect(r.status).toBe('fail');
    expect(r.mxCoverage).toEqual([{ host: 'mx1.uncovered.test', covered: true, pattern: 'mx1.uncovered.test' }, { host: 'a.b.uncovered.test', covered: false }]);
    const f = r.findings.find((x) => x.code === 'mta-sts.mx-not-covered');
    expect(f).toMatchObject({ level: 'error' });
    expect(f?.message).toContain('a.b.uncovered.test');
    expect(f?.message).toContain('will not deliver');
    expect(f?.fix).toContain('mx: a.b.uncovered.test');
  });

  it('names a TXT record whose policy host does not exist', async () => {
    const r = await run('nopolicy.test');
    expect(r.status).toBe('fail');
    expect(r.policy.failure?.kind).toBe('dns');
    expect(codes(r)).toEqual(['error mta-sts.txt-without-policy']);
  });

  it('names a policy that no TXT record announces', async () => {
    const r = await run('notxt.test');
    expect(r.status).toBe('warn');
    expect(r.policy.fetched).toBe(true);
    expect(codes(r)).toEqual(['warn mta-sts.policy-without-txt']);
  });

  it('refuses a policy host whose certificate does not name it', async () => {
    const r = await checkMtaSts('badcert.test', { resolve: resolve(), fetchPolicy: fetcher(bad) });
    expect(r.status).toBe('fail');
    expect(r.policy.failure?.kind).toBe('tls');
    expect(codes(r)).toEqual(['error mta-sts.policy-bad-certificate']);
  });

  it('refuses a certificate from a CA that is not trusted (no --ca-file)', async () => {
    const r = await run('sts.test', { ca: null });
    expect(r.policy.failure?.kind).toBe('tls');
    expect(codes(r)).toContain('error mta-sts.policy-bad-certificate');
  });

  it('refuses a policy larger than 64 KiB', async () => {
    const r = await run('big.test');
    expect(r.policy.failure?.kind).toBe('too-large');
    expect(codes(r)).toEqual(['error mta-sts.policy-too-large']);
  });

  it('stops reading an endless body at 64 KiB, and a dripping one at the deadline', async () => {
    const f = fetcher();
    const endless = await f('mta-sts.stream.test', '/.well-known/mta-sts.txt');
    expect(endless).toMatchObject({ ok: false, kind: 'too-large' });
    const t0 = Date.now();
    const slow = await fetcher(good, { ca: CA, timeoutMs: 800 })('mta-sts.slow.test', '/.well-known/mta-sts.txt');
    expect(slow).toMatchObject({ ok: false, kind: 'timeout' });
    // The deadline bounds the whole fetch, not the gap between bytes (which is 100 ms here).
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('does not follow a redirect', async () => {
    hits.length = 0;
    const r = await run('redirect.test');
    expect(r.policy.failure).toMatchObject({ kind: 'redirect', status: 301, location: 'https://elsewhere.test/.well-known/mta-sts.txt' });
    expect(codes(r)).toEqual(['error mta-sts.policy-redirect']);
    expect(hits).toEqual(['mta-sts.redirect.test /.well-known/mta-sts.txt']);
  });

  it('says a session without TLS or with an unverified certificate breaks an enforce policy', async () => {
    const r = await run('sts.test', {
      sessions: [
        { host: 'mx1.sts.test', address: '127.0.0.9', port: 25 },
        { host: 'b1.backup.sts.test', address: '127.0.0.8', port: 25, tls: facts({ checkedName: 'b1.backup.sts.test', nameMatches: false, nameError: 'mismatch' }) },
        { host: 'mx1.sts.test', address: '127.0.0.7', port: 25, tls: facts({}) },
      ],
    });
    expect(r.status).toBe('fail');
    expect(r.sessions.map((s) => s.verified)).toEqual([false, false, true]);
    const f = r.findings.filter((x) => x.code === 'mta-sts.session-not-verified');
    expect(f).toHaveLength(2);
    expect(f[0]?.message).toContain('did not use TLS');
    expect(f[1]?.message).toContain('does not match');
  });

  it('reports no MTA-STS as information, and two STSv1 records as invalid', async () => {
    const none = await run('plain.test');
    expect(none.status).toBe('none');
    expect(codes(none)).toEqual(['info mta-sts.none']);
    const twice = await run('twice.test');
    expect(twice.status).toBe('fail');
    expect(codes(twice)).toContain('error mta-sts.bad-txt');
  });

  it('names a policy served as text/html, and a policy URL answering 404', async () => {
    const html = await checkMtaSts('html.test', { resolve: resolve(), fetchPolicy: fetcher() });
    expect(html.policy.errors).toEqual(['the media type is "text/html", not text/plain']);
    expect(codes(html)).toEqual(['error mta-sts.bad-policy']);
    const gone = await checkMtaSts('gone.test', { resolve: resolve(), fetchPolicy: fetcher() });
    expect(gone.policy.failure).toMatchObject({ kind: 'http', status: 404 });
    expect(codes(gone)).toEqual(['error mta-sts.txt-without-policy']);
  });

  it('a fetch that never completes ends at its deadline', async () => {
    const net = await import('node:net');
    const silent = net.createServer(() => {}); // accepts, never answers the TLS handshake
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    try {
      const t0 = Date.now();
      const f = createPolicyFetch({ lookup: async () => '127.0.0.1', port: (silent.address() as AddressInfo).port, timeoutMs: 300 });
      const r = await f('mta-sts.sts.test', '/.well-known/mta-sts.txt');
      expect(r).toMatchObject({ ok: false, kind: 'timeout' });
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
  });
});

describe('TLS-RPT over loopback DNS', () => {
  it('reads a valid record and its rua URIs', async () => {
    const r = await checkTlsRpt('sts.test', { resolve: resolve() });
    expect(r.status).toBe('ok');
    expect(r.rua).toEqual([
      { uri: 'mailto:tls@sts.test', scheme: 'mailto', valid: true },
      { uri: 'https://rpt.sts.test/v1', scheme: 'https', valid: true },
    ]);
  });
  it('names a bad scheme, a missing rua, two records, and no record', async () => {
    const bad = await checkTlsRpt('uncovered.test', { resolve: resolve() });
    expect(bad.status).toBe('fail');
    expect(bad.errors.join(' ')).toContain('only mailto: and https:');
    const norua = await checkTlsRpt('notxt.test', { resolve: resolve() });
    expect(norua.errors).toContain('the record has no rua= field');
    const two = await checkTlsRpt('nopolicy.test', { resolve: resolve() });
    expect(two.findings[0]?.code).toBe('tls-rpt.multiple-records');
    const none = await checkTlsRpt('plain.test', { resolve: resolve() });
    expect(none).toMatchObject({ status: 'none', findings: [expect.objectContaining({ level: 'info', code: 'tls-rpt.none' })] });
  });
});
