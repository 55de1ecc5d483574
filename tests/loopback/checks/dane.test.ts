// DANE (RFC 7672) inside the probe, over the loopback zone server (TLSA records, the AD bit
// for "signed" names) and scripted STARTTLS servers with the test certificates: DANE-EE and
// DANE-TA records that match, ones that do not, unusable and malformed records, a server
// without STARTTLS, a CA record without the CA in the chain. The expected digests were made
// with openssl (independent of the code under test):
//   openssl x509 -in fixtures/tls/mx.pem -pubkey -noout | openssl pkey -pubin -outform der | sha256sum
//   openssl x509 -in fixtures/tls/ca.pem -outform der | sha256sum
//   openssl x509 -in fixtures/tls/ca.pem -pubkey -noout | openssl pkey -pubin -outform der | sha512sum
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { Chalk } from 'chalk';
import { runProbe } from '../../../src/probe/run-probe.js';
import { runDomainSecurity } from '../../../src/probe/domain-security.js';
import { createPolicyFetch, lookupWith } from '../../../src/checks/policy-fetch.js';
import { connectTransport } from '../../../src/smtp/transport.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../../src/demo/smtp-script-server.js';
import { renderProbe } from '../../../src/report/probe-human.js';
import { expectNoMessageSent, TLS } from '../../helpers/smtp.js';
import { ROOT } from '../../helpers/cli.js';

const LEAF_SPKI_SHA256 = 'dd1833fb28a5c50a9063739b7797ee9b5dca2b8085c4934e59891decabc95361';
const CA_CERT_SHA256 = 'd1ff0d591018c37435f1323d9314ce97ab8c354900c064e4ef6fc6b29016ca3d';
const CA_SPKI_SHA512 = '648f8d538445359311219071c30abb517a6287d6c4c2d6767fcf01fcedf14b7684f5f452f190c4181815c5c3f3c0497875932288530df99cd103939279172e57';
const WRONG = 'ab'.repeat(32);

const schema = JSON.parse(readFileSync(`${ROOT}/data/schema/probe-result.schema.json`, 'utf8')) as object;
const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(schema);

let dns: ZoneServer;
let chained: ScriptServer;
let leafOnly: ScriptServer;
let noTls: ScriptServer;

const mx = (host: string) => ({ MX: [{ exchange: host, priority: 10 }] });
const A = { A: ['127.0.0.1'] };

beforeAll(async () => {
  const caPem = readFileSync(`${ROOT}/fixtures/tls/ca.pem`);
  [chained, leafOnly, noTls] = await Promise.all([
    startScriptServer({ users: ['postmaster'] }, { address: '127.0.0.1', tls: { key: TLS.key, cert: Buffer.concat([TLS.cert, caPem]) } }),
    startScriptServer({ users: ['postmaster'] }, { address: '127.0.0.1', tls: { key: TLS.key, cert: TLS.cert } }),
    startScriptServer({ users: ['postmaster'] }, { address: '127.0.0.1' }),
  ]);
  dns = await startZoneServer({
    // DANE-EE: any name will do (RFC 7672 §3.1.1); the zone is "signed".
    'ee.test': mx('mx.ee.test'), 'mx.ee.test': A,
    '_25._tcp.mx.ee.test': { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: LEAF_SPKI_SHA256 }], secure: true },
    // DANE-TA: the CA in the presented chain, the leaf names the MX.
    'ta.test': mx('mx1.demo.test'), 'mx1.demo.test': A,
    '_25._tcp.mx1.demo.test': { TLSA: [{ usage: 2, selector: 0, matchingType: 1, data: CA_CERT_SHA256 }, { usage: 2, selector: 1, matchingType: 2, data: CA_SPKI_SHA512 }], secure: true },
    // Nothing matches; a PKIX usage and a malformed record beside it; unsigned.
    'bad.test': mx('mx2.demo.test'), 'mx2.demo.test': A,
    '_25._tcp.mx2.demo.test': { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: WRONG }, { usage: 1, selector: 1, matchingType: 1, data: LEAF_SPKI_SHA256 }, { rdata: '0301' }] },
    // DANE-TA on a name the leaf does not carry.
    'noname.test': mx('mx.noname.test'), 'mx.noname.test': A,
    '_25._tcp.mx.noname.test': { TLSA: [{ usage: 2, selector: 0, matchingType: 1, data: CA_CERT_SHA256 }], secure: true },
    // Only unusable records.
    'unusable.test': mx('mx.unusable.test'), 'mx.unusable.test': A,
    '_25._tcp.mx.unusable.test': { TLSA: [{ usage: 0, selector: 0, matchingType: 1, data: CA_CERT_SHA256 }, { usage: 3, selector: 1, matchingType: 1, data: 'abcd' }], secure: true },
    'none.test': mx('mx.none.test'), 'mx.none.test': A,
    'servfail.test': mx('mx.servfail.test'), 'mx.servfail.test': A,
    '_25._tcp.mx.servfail.test': { fault: 'servfail' },
    '_25._tcp.mx.tc.test': { TLSA: Array.from({ length: 40 }, (_, i) => ({ usage: 3, selector: 1, matchingType: 2, data: i.toString(16).padStart(2, '0').repeat(64) })), secure: true, fault: 'truncate' },
  });
});
afterAll(async () => {
  for (const s of [chained, leafOnly, noTls]) expectNoMessageSent(s);
  await Promise.all([chained.close(), leafOnly.close(), noTls.close(), dns.close()]);
});

const probe = (domain: string, server: ScriptServer) => {
  const resolve = createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 5_000 });
  const fetchPolicy = createPolicyFetch({ lookup: lookupWith(resolve), ca: TLS.ca, timeoutMs: 1_000 });
  return runProbe(domain, {
    ports: [{ port: server.port, implicitTls: false }], tlsMode: 'auto', tlsVerify: false, ca: TLS.ca,
    helo: 'probe.example.net', from: '', timeoutScale: 1, lang: 'en',
  }, {
    resolve, connect: connectTransport, now: () => Date.now(),
    security: (d, hosts, sessions) => runDomainSecurity(d, hosts, sessions, { resolve, fetchPolicy }),
  });
};
type R = Awaited<ReturnType<typeof probe>>;
const human = (r: R, verbose = false): string => renderProbe(r, { chalk: new Chalk({ level: 0 }), width: 250, lang: 'en', verbose, quiet: false });
const valid = (r: R) => (validate(JSON.parse(JSON.stringify(r))) ? [] : validate.errors);
const host = (r: R) => r.security?.dane.hosts[0];
const codes = (r: R) => host(r)?.findings.map((f) => f.code);

describe('TLSA over the wire', () => {
  it('a truncated answer is fetched again over TCP, still asking for DNSSEC, and decoded', async () => {
    const resolve = createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 5_000 });
    const recs = await resolve('_25._tcp.mx.tc.test', 'TLSA');
    expect(recs).toHaveLength(40);
    expect(recs[39]).toEqual({ usage: 3, selector: 1, matchingType: 2, data: '27'.repeat(64), authenticated: true });
    expect(dns.queries.filter((q) => q.name === '_25._tcp.mx.tc.test').map((q) => [q.transport, q.dnssec])).toEqual([['udp', true], ['tcp', true]]);
  });
});

describe('DANE in the probe', () => {
  it('3 1 1 matching the leaf key, from a signed zone: ok, authenticated, asked with DO and AD', async () => {
    const r = await probe('ee.test', leafOnly);
    expect(valid(r)).toEqual([]);
    expect(host(r)).toMatchObject({ name: '_25._tcp.mx.ee.test', status: 'ok', authenticated: true, records: [{ usage: 3, selector: 1, matchingType: 1, data: LEAF_SPKI_SHA256, usable: true }] });
    expect(host(r)?.sessions).toEqual([expect.objectContaining({ starttls: true, tls: true, matched: true, match: expect.objectContaining({ depth: 0 }) })]);
    expect(r.security?.dane.status).toBe('ok');
    expect(dns.queries.find((q) => q.type === 'TLSA' && q.name === '_25._tcp.mx.ee.test')?.dnssec).toBe(true);
    // Other lookups do not ask for DNSSEC.
    expect(dns.queries.find((q) => q.type === 'MX' && q.name === 'ee.test')?.dnssec).toBeUndefined();
    expect(human(r)).toContain('DANE _25._tcp.mx.ee.test: ok — 1 TLSA record(s), 1 usable, DNSSEC-validated; the certificate matches');
  });

  it('2 0 1 and 2 1 2 matching the CA the server sent, which signs the leaf naming the MX: ok at depth 1', async () => {
    const r = await probe('ta.test', chained);
    expect(valid(r)).toEqual([]);
    expect(host(r)?.status).toBe('ok');
    expect(host(r)?.sessions[0]?.match).toMatchObject({ depth: 1, record: `2 0 1 ${CA_CERT_SHA256}` });
    const chain = r.sessions[0]?.tls?.chain;
    expect(chain?.[1]).toMatchObject({ sha256: CA_CERT_SHA256, spkiSha512: CA_SPKI_SHA512, signsPrevious: true });
    expect(chain?.[0]).toMatchObject({ spkiSha256: LEAF_SPKI_SHA256, keyType: 'rsa', keyBits: 2048, signatureAlgorithm: 'sha256WithRSAEncryption' });
  });

  it('a DANE-TA record without the CA in the chain does not match, and says why', async () => {
    const r = await probe('ta.test', leafOnly);
    expect(host(r)?.status).toBe('fail');
    expect(codes(r)).toContain('dane.no-match');
    expect(host(r)?.sessions[0]?.reason).toMatch(/the server did not send it/);
    expect(r.sessions[0]?.tls?.chain.map((c) => c.presented)).toEqual([true, false]);
  });

  it('a DANE-TA match on a leaf that does not name the MX is no match (RFC 7672 §3.2.2)', async () => {
    const r = await probe('noname.test', chained);
    expect(host(r)?.status).toBe('fail');
    expect(host(r)?.sessions[0]?.reason).toMatch(/does not name mx\.noname\.test, noname\.test/);
  });

  it('no matching record: a problem with the record to publish; PKIX usage and malformed RDATA reported; not authenticated', async () => {
    const r = await probe('bad.test', chained);
    expect(valid(r)).toEqual([]);
    const h = host(r);
    expect(h).toMatchObject({ status: 'fail', authenticated: false });
    expect(h?.records.map((x) => [x.text, x.usable])).toEqual([[`3 1 1 ${WRONG}`, true], [`1 1 1 ${LEAF_SPKI_SHA256}`, false], ['\\# 2 0301', false]]);
    expect(h?.records[1]?.unusable).toMatch(/not used for SMTP/);
    expect(h?.records[2]?.unusable).toMatch(/malformed/);
    expect(codes(r)).toEqual(['dane.not-authenticated', 'dane.unusable-record', 'dane.unusable-record', 'dane.no-match']);
    const noMatch = h?.findings.find((f) => f.code === 'dane.no-match');
    expect(noMatch?.message).toMatch(/DANE-validating senders will not deliver/);
    expect(noMatch?.fix).toContain(`TLSA 3 1 1 ${LEAF_SPKI_SHA256}`);
    const text = human(r, true);
    expect(text).toContain('read but not authenticated');
    expect(text).toContain('(usage DANE-EE, selector SPKI, matching SHA2-256)');
    expect(text).toMatch(/✗ mx2\.demo\.test \[127\.0\.0\.1\]:\d+: no usable TLSA record matches/);
    // In the report's language (data/messages.json); the JSON keeps English.
    const fr = renderProbe(r, { chalk: new Chalk({ level: 0 }), width: 250, lang: 'fr', verbose: true, quiet: false });
    expect(fr).toContain('aucun enregistrement TLSA utilisable ne correspond à la chaîne de certificats');
    expect(fr).toContain('ont été lus mais pas authentifiés');
    expect(fr).toContain('Sécurité du transport (MTA-STS, TLS-RPT, DANE)');
    expect(fr).not.toContain('DANE-validating senders will not deliver');
  });

  it('only unusable records (PKIX-TA, a short digest): a warning, the TLS session is not judged a match', async () => {
    const r = await probe('unusable.test', chained);
    expect(host(r)?.status).toBe('warn');
    expect(codes(r)).toEqual(['dane.unusable-record', 'dane.unusable-record', 'dane.all-unusable']);
    expect(host(r)?.records[1]?.unusable).toMatch(/32 octets, this one 2/);
  });

  it('TLSA records but no STARTTLS: DANE senders will not deliver', async () => {
    const r = await probe('ee.test', noTls);
    expect(valid(r)).toEqual([]);
    expect(host(r)?.status).toBe('fail');
    expect(codes(r)).toEqual(['dane.no-starttls']);
    expect(host(r)?.summary).toContain('the server offers no STARTTLS');
  });

  it('no TLSA: info only, folded into one line; a failing TLSA lookup is named', async () => {
    const none = await probe('none.test', chained);
    expect(valid(none)).toEqual([]);
    expect(none.security?.dane).toMatchObject({ status: 'none', summary: 'no MX host publishes TLSA records' });
    expect(codes(none)).toEqual(['dane.none']);
    expect(human(none)).toContain('DANE: none — no MX host publishes TLSA records');
    const sf = await probe('servfail.test', chained);
    expect(host(sf)).toMatchObject({ status: 'error', dnsError: 'ESERVFAIL' });
    expect(codes(sf)).toEqual(['dane.dns-error']);
  });
});
