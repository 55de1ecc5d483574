// The probe's "is it me?" follow-up over loopback: a rejection naming a blocklist makes the
// probe check that list for the IP the server named; DMARC wording checks the sender's
// domain; with no IP in the words, the DNS who-am-I lookup finds it; --checks never stops it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbe, type ProbeOptions } from '../../../src/probe/run-probe.js';
import { runFollowUp, type FollowUpOptions } from '../../../src/probe/follow-up.js';
import { connectTransport } from '../../../src/smtp/transport.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import type { Resolve } from '../../../src/dns/resolver.js';
import { startZoneServer, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../../src/demo/smtp-script-server.js';
import { expectNoMessageSent } from '../../helpers/smtp.js';

let dns: ZoneServer;
let mx: ScriptServer;
let resolve: Resolve;
beforeAll(async () => {
  mx = await startScriptServer({
    hostname: 'mx.fu.test',
    users: ['bob'],
    rules: [
      { match: '^RCPT TO:<listed@', reply: { lines: ['550 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.7'] } },
      { match: '^RCPT TO:<dmarc@', reply: { lines: ['550 5.7.26 Unauthenticated email from sender.fu.test is not accepted due to domain\'s DMARC policy'] } },
      { match: '^RCPT TO:<vague@', reply: { lines: ['554 5.7.1 Message refused'] } },
    ],
  });
  dns = await startZoneServer({
    'fu.test': { MX: [{ exchange: 'mx.fu.test', priority: 10 }] },
    'mx.fu.test': { A: ['127.0.0.1'] },
    '7.100.51.198.zen.spamhaus.org': { A: ['127.0.0.3'], TXT: ['https://www.spamhaus.org/query/ip/198.51.100.7'] },
    'sender.fu.test': { TXT: ['v=spf1 ip4:192.0.2.0/24 -all'] },
    // The who-am-I lookup: "ns1.google.com" is this zone server, and it says we are 203.0.113.9.
    'ns1.google.com': { A: ['127.0.0.1'] },
    'o-o.myaddr.l.google.com': { TXT: ['203.0.113.9'] },
  });
  resolve = createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 5_000 });
});
afterAll(async () => {
  expectNoMessageSent(mx);
  await Promise.all([dns.close(), mx.close()]);
});

const probe = (rcpt: string, fu: Partial<FollowUpOptions> = {}, from = 'me@sender.fu.test') => {
  const o: ProbeOptions = { ports: [{ port: mx.port, implicitTls: false }], tlsMode: 'auto', tlsVerify: false, helo: 'probe.sender.fu.test', from, rcpts: [rcpt], timeoutScale: 1, lang: 'en' };
  return runProbe('fu.test', o, {
    resolve, connect: connectTransport, now: () => Date.now(),
    followUp: (sessions, ctx) => runFollowUp(sessions, { when: 'auto', from, helo: o.helo, ...fu }, {
      resolve: ctx.resolve,
      // Every "authoritative server" of the who-am-I lookup is the loopback zone server.
      resolverAt: () => resolve,
    }),
  });
};

describe('follow-up after a rejection', () => {
  it('a blocklist named in the rejection: that zone, for the IP the server named', async () => {
    const r = await probe('listed@fu.test');
    expect(r.verdict.kind).toBe('rejected');
    expect(r.sendingIp).toMatchObject({ ip: '198.51.100.7', source: 'server-reply' });
    const bl = r.checks.find((c) => c.check === 'dnsbl');
    expect(bl).toMatchObject({ status: 'fail', result: 'listed' });
    expect(bl?.summary).toMatch(/zen\.spamhaus\.org/);
    expect(r.checks.map((c) => c.check)).not.toContain('spf'); // the words point at the IP, not at authentication
    expect(r.verdict.cause).toMatch(/zen\.spamhaus\.org/);
    expect(r.checksTrigger).toMatch(/^550 5\.7\.1 from mx\.fu\.test \(blocked\)$/);
  });

  it('DMARC wording: SPF, DKIM and DMARC of the sender\'s domain, with the who-am-I IP', async () => {
    const r = await probe('dmarc@fu.test');
    expect(r.sendingIp).toMatchObject({ ip: '203.0.113.9', source: 'dns-whoami' });
    const checks = r.checks.map((c) => c.check);
    expect(checks).toEqual(expect.arrayContaining(['spf', 'dkim', 'dmarc']));
    expect(checks).not.toContain('dnsbl');
    expect(r.checks.find((c) => c.check === 'spf')).toMatchObject({ subject: 'sender.fu.test', result: 'fail' });
  });

  it('words that point nowhere: every check', async () => {
    const r = await probe('vague@fu.test');
    expect(r.checks.map((c) => c.check)).toEqual(expect.arrayContaining(['dnsbl', 'spf', 'dkim', 'dmarc', 'rdns']));
  });

  it('no follow-up for an unknown user, or with --checks never', async () => {
    expect((await probe('nobody@fu.test')).checks).toEqual([]);
    const r = await probe('listed@fu.test', { when: 'never' });
    expect(r.checks).toEqual([]);
    expect(r.sendingIp).toBeUndefined();
  });

  it('--checks always runs them after a success too, with --ip as the sending IP', async () => {
    const r = await probe('bob@fu.test', { when: 'always', ip: '198.51.100.7' });
    expect(r.verdict.kind).toBe('accepted');
    expect(r.sendingIp).toMatchObject({ ip: '198.51.100.7', source: 'flag' });
    expect(r.checks.find((c) => c.check === 'dnsbl')?.status).toBe('fail');
    expect(r.verdict.cause).toBeUndefined(); // nothing was refused, so nothing to blame
  });
});
