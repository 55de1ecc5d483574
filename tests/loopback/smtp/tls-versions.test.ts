// --tls-min/--tls-max and the TLS detail (issue 16 item 8) against scripted STARTTLS servers
// that speak only some versions: the negotiated version and cipher are reported, a handshake
// refused under the forced range is explained, TLS 1.0 can be tested when asked for (OpenSSL
// security level 0), and the whole chain reaches JSON and the verbose report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Chalk } from 'chalk';
import { runProbe, type ProbeOptions } from '../../../src/probe/run-probe.js';
import { connectTransport } from '../../../src/smtp/transport.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../../src/demo/smtp-script-server.js';
import { renderProbe } from '../../../src/report/probe-human.js';
import { explainHandshakeFailure, wantsLegacyTls } from '../../../src/smtp/tls-facts.js';
import { tlsRange } from '../../../src/cli/commands/probe.js';
import { expectNoMessageSent, TLS } from '../../helpers/smtp.js';
import { ROOT } from '../../helpers/cli.js';

let dns: ZoneServer;
let upTo12: ScriptServer;
let legacy: ScriptServer;
let modern: ScriptServer;

beforeAll(async () => {
  const chain = Buffer.concat([TLS.cert, readFileSync(`${ROOT}/fixtures/tls/ca.pem`)]);
  [upTo12, legacy, modern] = await Promise.all([
    startScriptServer({ users: ['postmaster'] }, { address: '127.0.0.1', tls: { key: TLS.key, cert: chain, maxVersion: 'TLSv1.2' } }),
    startScriptServer({ users: ['postmaster'] }, { address: '127.0.0.1', tls: { key: TLS.key, cert: TLS.cert, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' } }),
    startScriptServer({ users: ['postmaster'] }, { address: '127.0.0.1', tls: { key: TLS.key, cert: TLS.cert, minVersion: 'TLSv1.3' } }),
  ]);
  dns = await startZoneServer({ 'mx.script.test': { A: ['127.0.0.1'] } });
});
afterAll(async () => {
  for (const s of [upTo12, legacy, modern]) expectNoMessageSent(s);
  await Promise.all([upTo12.close(), legacy.close(), modern.close(), dns.close()]);
});

const probe = (s: ScriptServer, over: Partial<ProbeOptions> = {}) => runProbe('mx.script.test', {
  ports: [{ port: s.port, implicitTls: false }], tlsMode: 'auto', tlsVerify: false, ca: TLS.ca,
  helo: 'probe.example.net', from: '', rcpts: ['postmaster@script.test'], timeoutScale: 1, lang: 'en', ...over,
}, { resolve: createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 5_000 }), connect: connectTransport, now: () => Date.now() });
type R = Awaited<ReturnType<typeof probe>>;
const human = (r: R, verbose = false) => renderProbe(r, { chalk: new Chalk({ level: 0 }), width: 200, lang: 'en', verbose, quiet: false });

describe('TLS versions and detail', () => {
  it('reports the version and cipher negotiated, and the whole chain (JSON and --verbose)', async () => {
    const r = await probe(upTo12);
    const t = r.sessions[0]?.tls;
    expect(t).toMatchObject({ protocol: 'TLSv1.2', cipherStandardName: expect.stringMatching(/^TLS_/) });
    expect(t?.chain.map((c) => [c.presented, c.keyType, c.keyBits, c.signatureAlgorithm, c.selfSigned])).toEqual([
      [true, 'rsa', 2048, 'sha256WithRSAEncryption', false],
      [true, 'rsa', 2048, 'sha256WithRSAEncryption', true],
    ]);
    const text = human(r, true);
    expect(text).toMatch(/TLS: TLSv1\.2 /);
    expect(text).toContain('chain (2 certificate(s), leaf first)');
    expect(text).toMatch(/0 CN=mx1\.demo\.test — issued by CN=smtp-probe test CA/);
    expect(text).toMatch(/RSA 2048 bits · sha256WithRSAEncryption · SPKI SHA-256 [0-9a-f]{64}/);
    expect(text).toContain('1 CN=smtp-probe test CA (self-signed)');
  });

  it('--tls-min TLSv1.3 against a server that stops at 1.2: refused, and explained', async () => {
    const r = await probe(upTo12, { tlsVersions: { min: 'TLSv1.3' } });
    expect(r.envelope.tlsVersions).toEqual({ min: 'TLSv1.3' });
    expect(r.sessions[0]?.outcome).toMatchObject({ kind: 'tls', stage: 'tls-handshake' });
    const step = r.sessions[0]?.steps.find((s) => s.stage === 'tls-handshake');
    expect(step?.failure?.message).toMatch(/no protocol version in common within the forced range TLSv1\.3 \(--tls-min\/--tls-max\): the server does not accept TLSv1\.3/);
    expect(human(r)).not.toContain('TLS handshake failed: TLS handshake failed');
  });

  it('--tls-max TLSv1.2 against a TLS 1.3-only server: refused, and explained', async () => {
    const r = await probe(modern, { tlsVersions: { max: 'TLSv1.2' } });
    const step = r.sessions[0]?.steps.find((s) => s.stage === 'tls-handshake');
    expect(step?.failure?.message).toMatch(/forced range TLSv1 to TLSv1\.2/);
  });

  it('a TLS 1.0-only server: refused by default with the hint, spoken with --tls-max TLSv1 (security level 0)', async () => {
    const dflt = await probe(legacy);
    const step = dflt.sessions[0]?.steps.find((s) => s.stage === 'tls-handshake');
    expect(step?.failure?.message).toMatch(/test with --tls-max TLSv1\.1/);
    const r = await probe(legacy, { tlsVersions: { max: 'TLSv1' } });
    expect(r.sessions[0]?.tls).toMatchObject({ protocol: 'TLSv1' });
    expect(r.sessions[0]?.outcome.kind).toBe('ok');
  });
});

describe('--tls-min/--tls-max flags', () => {
  it('an empty range and --tls none are usage errors; legacy versions are flagged', () => {
    expect(() => tlsRange({ tls: 'auto', tlsMin: 'TLSv1.3', tlsMax: 'TLSv1.2' })).toThrow(/newer than --tls-max/);
    expect(() => tlsRange({ tls: 'none', tlsMax: 'TLSv1.2' })).toThrow(/--tls none/);
    expect(tlsRange({ tls: 'auto' })).toBeUndefined();
    expect(tlsRange({ tls: 'auto', tlsMin: 'TLSv1.2', tlsMax: 'TLSv1.2' })).toEqual({ min: 'TLSv1.2', max: 'TLSv1.2' });
    expect(wantsLegacyTls({ max: 'TLSv1.1' })).toBe(true);
    expect(wantsLegacyTls({ min: 'TLSv1.2' })).toBe(false);
    expect(explainHandshakeFailure({ code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', message: 'x' }, { max: 'TLSv1' })).toMatch(/no cipher suite in common within the forced range TLSv1$/);
  });
});
