// MTA-STS and TLS-RPT inside the probe: a domain target, the loopback zone, a scripted MX
// (with and without STARTTLS) and an HTTPS policy server with the test CA. The probe's own
// sessions are judged under the policy; the JSON validates against the probe schema; the
// human section names the findings and prints DNS text through printable().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { Chalk } from 'chalk';
import { runProbe, type ProbeOptions } from '../../../src/probe/run-probe.js';
import { runDomainSecurity } from '../../../src/probe/domain-security.js';
import { createPolicyFetch, lookupWith } from '../../../src/checks/policy-fetch.js';
import { connectTransport } from '../../../src/smtp/transport.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../../src/demo/smtp-script-server.js';
import { renderProbe } from '../../../src/report/probe-human.js';
import { expectNoMessageSent, TLS } from '../../helpers/smtp.js';
import { ROOT } from '../../helpers/cli.js';

const schema = JSON.parse(readFileSync(`${ROOT}/data/schema/probe-result.schema.json`, 'utf8')) as object;
const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(schema);

let dns: ZoneServer;
let withTls: ScriptServer;
let noTls: ScriptServer;
let policy: https.Server;

beforeAll(async () => {
  withTls = await startScriptServer({ hostname: 'mx.script.test', users: ['postmaster'] }, { address: '127.0.0.1', tls: { key: TLS.key, cert: TLS.cert } });
  noTls = await startScriptServer({ hostname: 'mx1.demo.test', users: ['postmaster'] }, { address: '127.0.0.1' });
  policy = https.createServer({ cert: readFileSync(`${ROOT}/fixtures/tls/mta-sts.pem`), key: readFileSync(`${ROOT}/fixtures/tls/mta-sts.key`) }, (req, res) => {
    const host = String(req.headers.host);
    const mx = host === 'mta-sts.sts.test' ? 'mx.script.test' : 'mx1.demo.test';
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`version: STSv1\nmode: enforce\nmx: ${mx}\nmax_age: 604800\n`);
  });
  await new Promise<void>((ok) => policy.listen(0, '127.0.0.1', ok));
  dns = await startZoneServer({
    'sts.test': { MX: [{ exchange: 'mx.script.test', priority: 10 }] },
    'mx.script.test': { A: ['127.0.0.1'] },
    '_mta-sts.sts.test': { TXT: ['v=STSv1; id=1'] },
    'mta-sts.sts.test': { A: ['127.0.0.1'] },
    '_smtp._tls.sts.test': { TXT: ['v=TLSRPTv1; rua=mailto:tls@sts.test'] },
    'uncovered.test': { MX: [{ exchange: 'mx1.demo.test', priority: 10 }] },
    'mx1.demo.test': { A: ['127.0.0.1'] },
    '_mta-sts.uncovered.test': { TXT: ['v=STSv1; id=2'] },
    'mta-sts.uncovered.test': { A: ['127.0.0.1'] },
    '_smtp._tls.uncovered.test': { TXT: ['v=TLSRPTv1; rua=gopher://\x1b[2Jx'] },
  });
});
afterAll(async () => {
  expectNoMessageSent(withTls);
  expectNoMessageSent(noTls);
  await Promise.all([withTls.close(), noTls.close(), dns.close(), new Promise((r) => policy.close(r))]);
});

const probe = (domain: string, server: ScriptServer, over: Partial<ProbeOptions> = {}, judgeSessions = true) => {
  const resolve = createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 5_000 });
  const fetchPolicy = createPolicyFetch({ lookup: lookupWith(resolve), ca: TLS.ca, port: (policy.address() as AddressInfo).port });
  return runProbe(domain, {
    ports: [{ port: server.port, implicitTls: false }], tlsMode: 'auto', tlsVerify: false, ca: TLS.ca,
    helo: 'probe.example.net', from: '', timeoutScale: 1, lang: 'en', ...over,
  }, {
    resolve, connect: connectTransport, now: () => Date.now(),
    security: (d, hosts, sessions) => runDomainSecurity(d, hosts, sessions, { resolve, fetchPolicy, judgeSessions }),
  });
};
const human = (r: Awaited<ReturnType<typeof probe>>, verbose = false): string =>
  renderProbe(r, { chalk: new Chalk({ level: 0 }), width: 100, lang: 'en', verbose, quiet: false });

describe('MTA-STS in the probe', () => {
  it('a verified STARTTLS session under a covering enforce policy is ok', async () => {
    const r = await probe('sts.test', withTls);
    expect(validate(JSON.parse(JSON.stringify(r))) ? [] : validate.errors).toEqual([]);
    expect(r.security?.mtaSts).toMatchObject({ status: 'ok', policy: { mode: 'enforce', mx: ['mx.script.test'] } });
    expect(r.security?.mtaSts.sessions).toEqual([{ host: 'mx.script.test', address: '127.0.0.1', port: withTls.port, verified: true }]);
    expect(r.security?.tlsRpt).toMatchObject({ status: 'ok', rua: [{ uri: 'mailto:tls@sts.test', valid: true }] });
    const text = human(r);
    expect(text).toContain('MTA-STS sts.test: ok — mode enforce, every MX covered');
    expect(text).toContain('TLS-RPT _smtp._tls.sts.test: ok');
  });

  it('a session without STARTTLS under enforce is named, with what to do; hostile DNS text is cleaned', async () => {
    const r = await probe('uncovered.test', noTls);
    expect(validate(JSON.parse(JSON.stringify(r))) ? [] : validate.errors).toEqual([]);
    expect(r.security?.mtaSts.status).toBe('fail');
    expect(r.security?.mtaSts.findings.map((f) => f.code)).toEqual(['mta-sts.session-not-verified']);
    expect(r.security?.tlsRpt.status).toBe('fail');
    const text = human(r);
    expect(text).toMatch(/✗ mx1\.demo\.test \[127\.0\.0\.1\]:\d+: the session did not use TLS/);
    expect(text).toContain('→ offer STARTTLS on mx1.demo.test');
    expect(text).not.toContain('\x1b');
  });

  it('is not run for an IP target, and --tls none does not judge sessions', async () => {
    const ip = await probe('127.0.0.1', withTls);
    expect(ip.security).toBeUndefined();
    const plain = await probe('uncovered.test', noTls, { tlsMode: 'none' }, false);
    expect(plain.security?.mtaSts).toMatchObject({ status: 'ok', sessions: [] });
  });
});
