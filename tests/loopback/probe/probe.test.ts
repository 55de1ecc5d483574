// The whole probe over real sockets: the loopback zone server answers DNS, scripted SMTP
// servers play the MX hosts. MX order and fallback, null MX, implicit MX, DNS failures,
// several ports, Ctrl-C, the verdict, and the JSON contract. No DATA ever reaches a server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { runProbe, type ProbeOptions } from '../../../src/probe/run-probe.js';
import { connectTransport } from '../../../src/smtp/transport.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../../src/demo/smtp-script-server.js';
import { startDemoWorld, DEMO_RCPTS, DEMO_FROM, type DemoWorld } from '../../../src/demo/demo-world.js';
import { expectNoMessageSent, TLS } from '../../helpers/smtp.js';
import { ROOT } from '../../helpers/cli.js';

const schema = JSON.parse(readFileSync(`${ROOT}/data/schema/probe-result.schema.json`, 'utf8')) as object;
const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(schema);

const opts = (port: number, over: Partial<ProbeOptions> = {}): ProbeOptions => ({
  ports: [{ port, implicitTls: false }], tlsMode: 'auto', tlsVerify: false, ca: TLS.ca,
  helo: 'probe.example.net', from: '', timeoutScale: 1, lang: 'en', ...over,
});
const deps = (dns: ZoneServer) => ({
  resolve: createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 5_000 }),
  connect: connectTransport,
  now: () => Date.now(),
  random: () => 0.99, // equal preferences keep their zone order
});

describe('the demo world', () => {
  let world: DemoWorld;
  beforeAll(async () => { world = await startDemoWorld(); });
  afterAll(async () => { expectNoMessageSent(world.smtp); await world.close(); });

  it('probes demo.test: STARTTLS trusted, one accepted, one unknown, one greylisted', async () => {
    const r = await runProbe('demo.test', opts(world.smtp.port, { ca: world.ca, from: DEMO_FROM, rcpts: DEMO_RCPTS }), deps(world.dns));
    expect(r.mailHosts).toMatchObject({ kind: 'mx', hosts: [{ name: 'mx1.demo.test', preference: 10, addresses: ['127.0.0.1'] }] });
    const s = r.sessions[0]!;
    expect(s.tlsMode).toBe('starttls');
    expect(s.tls).toMatchObject({ trusted: true, nameMatches: true, checkedName: 'mx1.demo.test' });
    expect(r.verdict.recipients.map((x) => [x.address, x.status])).toEqual([
      ['alice@demo.test', 'accepted'], ['nobody@demo.test', 'no-such-user'], ['grey@demo.test', 'deferred'],
    ]);
    expect(r.verdict.kind).toBe('no-such-user');
    // Every reply carries its explanation; rejections carry what their words say.
    for (const st of s.steps) if (st.reply) expect(st.explanation?.name).toBeTruthy();
    const unknown = s.steps.find((x) => x.sent === 'RCPT TO:<nobody@demo.test>');
    expect(unknown?.explanation?.recognition?.reason).toBe('userunknown');
    const grey = s.steps.find((x) => x.sent === 'RCPT TO:<grey@demo.test>');
    expect(grey?.explanation?.recognition?.reason).toBe('greylisted');
    // MAIL and the RCPTs went in one flight (PIPELINING is offered), and so did RSET and QUIT.
    expect(s.steps.filter((x) => x.pipelined).map((x) => x.stage)).toEqual(['mail', 'rcpt', 'rcpt', 'rcpt', 'rset', 'quit']);
    expect(validate(JSON.parse(JSON.stringify(r))) ? [] : validate.errors).toEqual([]);
  });
});

describe('mail hosts and the deciding host', () => {
  let dns: ZoneServer;
  let good: ScriptServer;
  let refusing: ScriptServer;
  let port: number;
  let deadPort: number;
  beforeAll(async () => {
    good = await startScriptServer({ hostname: 'mx2.ex.test', users: ['bob'] }, { address: '127.0.0.1' });
    port = good.port;
    // The same port on another loopback address: a host that refuses to talk (5xx banner).
    refusing = await startScriptServer({ hostname: 'mx1.ex.test', banner: { lines: ['554 5.7.1 mx1.ex.test: your IP is listed at zen.spamhaus.org; go away'] } }, { address: '127.0.0.2', port });
    const tmp = await startScriptServer({}, { address: '127.0.0.3', port });
    deadPort = tmp.port;
    await tmp.close(); // 127.0.0.3:port now refuses connections
    dns = await startZoneServer({
      'ex.test': { MX: [{ exchange: 'mx1.ex.test', priority: 10 }, { exchange: 'mx2.ex.test', priority: 20 }] },
      'mx1.ex.test': { A: ['127.0.0.2'] },
      'mx2.ex.test': { A: ['127.0.0.1'] },
      'down.test': { MX: [{ exchange: 'mx0.down.test', priority: 5 }, { exchange: 'mx2.ex.test', priority: 50 }] },
      'mx0.down.test': { A: ['127.0.0.3'] },
      'nullmx.test': { MX: [{ exchange: '.', priority: 0 }] },
      'implicit.test': { A: ['127.0.0.1'] },
      'nothing.test': { TXT: ['no mail here'] },
      'servfail.test': { fault: 'servfail' },
      'noaddr.test': { MX: [{ exchange: 'gone.noaddr.test', priority: 10 }] },
    });
  });
  afterAll(async () => {
    expectNoMessageSent(good);
    expectNoMessageSent(refusing);
    await Promise.all([dns.close(), good.close(), refusing.close()]);
  });

  it('a 5xx banner on the primary MX: the backup decides, the primary is a warning', async () => {
    const r = await runProbe('bob@ex.test', opts(port), deps(dns));
    expect(r.sessions.map((s) => [s.host, s.outcome.kind, s.outcome.stage])).toEqual([
      ['mx1.ex.test', 'rejected', 'banner'], ['mx2.ex.test', 'ok', 'rcpt'],
    ]);
    expect(r.verdict).toMatchObject({ kind: 'accepted', host: 'mx2.ex.test' });
    expect(r.verdict.warnings.join('\n')).toMatch(/mx1\.ex\.test\[127\.0\.0\.2\]:\d+ \(MX 10\): .*refused to talk/);
    // The banner's words were read: a blocklist named, the reason is 'blocked'.
    expect(r.sessions[0]!.outcome.reason).toBe('blocked');
  });

  it('an unreachable primary MX: the next one decides', async () => {
    const r = await runProbe('down.test', opts(deadPort), deps(dns));
    expect(r.sessions[0]).toMatchObject({ host: 'mx0.down.test', outcome: { kind: 'network', stage: 'connect' } });
    expect(r.envelope.rcpts).toEqual(['postmaster@down.test']);
  });

  it('a null MX: the domain accepts no mail, nothing is connected', async () => {
    const r = await runProbe('nullmx.test', opts(port), deps(dns));
    expect(r.mailHosts.kind).toBe('null-mx');
    expect(r.sessions).toEqual([]);
    expect(r.verdict).toMatchObject({ kind: 'null-mx' });
    expect(r.verdict.line).toMatch(/RFC 7505/);
  });

  it('no MX: the implicit MX on the domain\'s own address (RFC 5321 §5.1)', async () => {
    const r = await runProbe('bob@implicit.test', opts(port), deps(dns));
    expect(r.mailHosts).toMatchObject({ kind: 'implicit', hosts: [{ name: 'implicit.test', preference: null }] });
    expect(r.verdict.kind).toBe('accepted');
  });

  it('DNS failures are distinct and explained', async () => {
    // An authoritative "does not exist" / "no mail host" is about the recipient (exit 6);
    // only a DNS failure is 'dns' (exit 3).
    const cases: [string, RegExp, string][] = [
      ['missing.test', /does not exist \(NXDOMAIN\)/, 'no-such-domain'],
      ['nothing.test', /no MX record and no address record/, 'no-such-domain'],
      ['servfail.test', /SERVFAIL/, 'dns'],
    ];
    for (const [domain, msg, kind] of cases) {
      const r = await runProbe(domain, opts(port), deps(dns));
      expect(r.verdict.kind, domain).toBe(kind);
      expect(r.verdict.line, domain).toMatch(msg);
    }
    const r = await runProbe('noaddr.test', opts(port), deps(dns));
    expect(r.mailHosts.hosts[0]?.error?.code).toBe('ENOTFOUND');
    expect(r.warnings.join(' ')).toMatch(/gone\.noaddr\.test/);
  });

  it('an IP target is probed directly; several ports at once', async () => {
    const implicit = await startScriptServer({ users: ['bob'], implicitTls: true }, { tls: TLS });
    try {
      const r = await runProbe('127.0.0.1', opts(port, { ports: [{ port, implicitTls: false }, { port: implicit.port, implicitTls: true }], rcpts: ['bob@ex.test'] }), deps(dns));
      expect(r.mailHosts.kind).toBe('ip');
      expect(r.sessions.map((s) => [s.port, s.tlsMode, s.outcome.kind])).toEqual([[port, 'none', 'ok'], [implicit.port, 'implicit', 'ok']]);
      expect(r.verdict).toMatchObject({ kind: 'accepted', port });
    } finally {
      expectNoMessageSent(implicit);
      await implicit.close();
    }
  });

  it('Ctrl-C ends the run at once, with what it has', async () => {
    const slow = await startScriptServer({ banner: null }, {});
    try {
      const ac = new AbortController();
      const t0 = Date.now();
      setTimeout(() => ac.abort(), 200);
      const r = await runProbe('127.0.0.1', opts(slow.port), { ...deps(dns), signal: ac.signal });
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect(r.sessions[0]?.outcome.stage).toBe('banner');
    } finally {
      await slow.close();
    }
  });

  it('warns about a HELO name that is not a FQDN', async () => {
    const r = await runProbe('bob@ex.test', opts(port, { helo: 'laptop' }), deps(dns));
    expect(r.warnings.join(' ')).toMatch(/"laptop" is not a fully qualified domain name/);
  });
});
