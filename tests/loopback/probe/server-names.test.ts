// Banner, EHLO and PTR names compared inside the probe (issue 16 item 5): scripted servers on
// their own loopback addresses, each with its own PTR in the zone — all agreeing, no PTR and a
// banner without a name, a PTR that is not forward-confirmed with names that differ, a PTR
// lookup that fails, and hostile banner text that must come out printable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { Chalk } from 'chalk';
import { runProbe } from '../../../src/probe/run-probe.js';
import { compareAllServerNames } from '../../../src/probe/server-names.js';
import { connectTransport } from '../../../src/smtp/transport.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../../src/demo/smtp-script-server.js';
import { renderProbe } from '../../../src/report/probe-human.js';
import { expectNoMessageSent } from '../../helpers/smtp.js';
import { ROOT } from '../../helpers/cli.js';

const schema = JSON.parse(readFileSync(`${ROOT}/data/schema/probe-result.schema.json`, 'utf8')) as object;
const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(schema);

let dns: ZoneServer;
const servers: Record<string, ScriptServer> = {};

beforeAll(async () => {
  const start = (address: string, hostname: string, banner: string) =>
    startScriptServer({ hostname, banner: { lines: [banner] }, users: ['postmaster'] }, { address });
  [servers.good, servers.bare, servers.differ, servers.servfail, servers.hostile] = await Promise.all([
    start('127.0.0.61', 'mx.good.test', '220 mx.good.test ESMTP ready'),
    start('127.0.0.62', 'mx.bare.test', '220 mail ESMTP ready'),
    start('127.0.0.63', 'other.differ.test', '220 mx.differ.test ESMTP'),
    start('127.0.0.64', 'mx.sf.test', '220 mx.sf.test ESMTP'),
    start('127.0.0.65', 'mx.hostile.test', '220 \x1b[2Jevil.test\u202e ESMTP'),
  ]);
  dns = await startZoneServer({
    '61.0.0.127.in-addr.arpa': { PTR: ['mx.good.test'] },
    'mx.good.test': { A: ['127.0.0.61'] },
    '63.0.0.127.in-addr.arpa': { PTR: ['h63.isp.test'] },
    'h63.isp.test': { A: ['127.0.0.99'] },
    'mx.differ.test': { A: ['127.0.0.63'] },
    '64.0.0.127.in-addr.arpa': { fault: 'servfail' },
    '65.0.0.127.in-addr.arpa': { PTR: ['mx.hostile.test'] },
    'mx.hostile.test': { A: ['127.0.0.65'] },
  });
});
afterAll(async () => {
  for (const s of Object.values(servers)) expectNoMessageSent(s);
  await Promise.all([...Object.values(servers).map((s) => s.close()), dns.close()]);
});

const probe = (s: ScriptServer) => {
  const resolve = createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 5_000 });
  return runProbe(s.address, {
    ports: [{ port: s.port, implicitTls: false }], tlsMode: 'none', tlsVerify: false,
    helo: 'probe.example.net', from: '', rcpts: ['postmaster@example.net'], timeoutScale: 1, lang: 'en',
  }, { resolve, connect: connectTransport, now: () => Date.now(), serverNames: compareAllServerNames });
};
type R = Awaited<ReturnType<typeof probe>>;
const human = (r: R, verbose = false) => renderProbe(r, { chalk: new Chalk({ level: 0 }), width: 250, lang: 'en', verbose, quiet: false });
const valid = (r: R) => (validate(JSON.parse(JSON.stringify(r))) ? [] : validate.errors);
const codes = (r: R) => r.serverNames?.[0]?.findings.map((f) => f.code);

describe('banner, EHLO and PTR names', () => {
  it('all three agree and the PTR is forward-confirmed: ok', async () => {
    const r = await probe(servers.good as ScriptServer);
    expect(valid(r)).toEqual([]);
    expect(r.serverNames?.[0]).toMatchObject({ banner: 'mx.good.test', ehlo: 'mx.good.test', ptr: ['mx.good.test'], confirmedPtr: ['mx.good.test'], bannerResolves: true, status: 'ok' });
    expect(codes(r)).toEqual(['names.ok']);
    expect(human(r)).toMatch(/banner mx\.good\.test · EHLO mx\.good\.test · PTR mx\.good\.test \(forward-confirmed\)/);
  });

  it('no PTR, and a banner that does not begin with a domain name', async () => {
    const r = await probe(servers.bare as ScriptServer);
    expect(valid(r)).toEqual([]);
    expect(r.serverNames?.[0]).toMatchObject({ banner: 'mail', ptr: [], status: 'warn' });
    expect(codes(r)).toEqual(['names.banner-not-fqdn', 'names.no-ptr']);
    const text = human(r);
    expect(text).toContain('127.0.0.62 has no PTR record');
    // info findings only with --verbose
    expect(text).not.toContain('does not begin with the server');
    expect(human(r, true)).toContain('the banner does not begin with the server\'s domain name ("mail")');
  });

  it('a PTR that does not resolve back; banner and EHLO names that differ from it and from each other', async () => {
    const r = await probe(servers.differ as ScriptServer);
    expect(valid(r)).toEqual([]);
    expect(r.serverNames?.[0]).toMatchObject({ banner: 'mx.differ.test', ehlo: 'other.differ.test', ptr: ['h63.isp.test'], confirmedPtr: [], bannerResolves: true, ehloResolves: false, status: 'warn' });
    expect(codes(r)).toEqual(['names.banner-ehlo-differ', 'names.ptr-not-confirmed', 'names.banner-not-ptr', 'names.ehlo-mismatch']);
    expect(human(r)).toContain('PTR h63.isp.test (not forward-confirmed)');
    const vi = renderProbe(r, { chalk: new Chalk({ level: 0 }), width: 250, lang: 'vi', verbose: true, quiet: false });
    expect(vi).toContain('Tên máy chủ (banner, EHLO, PTR)');
    expect(vi).toContain('PTR h63.isp.test (chưa xác nhận chiều xuôi)');
    expect(vi).toContain('không phân giải ngược về 127.0.0.63');
  });

  it('a failing PTR lookup is named, not taken for "no PTR"', async () => {
    const r = await probe(servers.servfail as ScriptServer);
    expect(r.serverNames?.[0]).toMatchObject({ status: 'error', dnsError: 'ESERVFAIL' });
    expect(codes(r)).toEqual(['names.dns-error']);
  });

  it('hostile banner text never reaches the terminal raw', async () => {
    const r = await probe(servers.hostile as ScriptServer);
    expect(valid(r)).toEqual([]);
    const text = human(r, true);
    expect(text).not.toMatch(/[\x1b\u202e]/);
    expect(r.serverNames?.[0]?.findings.map((f) => f.code)).toContain('names.banner-not-fqdn');
  });
});
