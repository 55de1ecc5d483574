// Verdicts that tell the truth, over loopback DNS and scripted SMTP servers: a follow-up that
// cannot find the sending IP names what it skipped and why (the who-am-I lookup's own error)
// and still runs what needs no IP; a relay denial is "this server does not take mail for that
// domain", never blamed on SPF/DKIM/DMARC; a backup MX that accepts unknown users is flagged;
// a non-existent domain is "does not exist", not a network failure; a submission port that
// wants AUTH is healthy.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbe, type ProbeOptions } from '../../../src/probe/run-probe.js';
import { runFollowUp, type FollowUpOptions } from '../../../src/probe/follow-up.js';
import { searchSendingIp } from '../../../src/probe/sending-ip.js';
import { connectTransport } from '../../../src/smtp/transport.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import type { Resolve } from '../../../src/dns/resolver.js';
import { startZoneServer, type Zone, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../../src/demo/smtp-script-server.js';
import { exitCodeForVerdict } from '../../../src/cli/exit-codes.js';
import { expectNoMessageSent } from '../../helpers/smtp.js';

const PRIMARY = '127.0.0.63';
const BACKUP = '127.0.0.64';

let dns: ZoneServer;
let refuser: ScriptServer;
let relay: ScriptServer;
let primary: ScriptServer;
let backup: ScriptServer;
let resolve: Resolve;
let ZONE: Zone;
const servers: ScriptServer[] = [];

beforeAll(async () => {
  refuser = await startScriptServer({ banner: { lines: ['554 5.7.1 Service unavailable; Client host blocked using zen.spamhaus.org'] } });
  relay = await startScriptServer({
    hostname: 'mx1.relay.test',
    rules: [{ match: '^RCPT TO:', reply: { lines: ['554 5.7.1 <postmaster@mx1.relay.test>: Relay access denied'] } }],
  });
  primary = await startScriptServer({ hostname: 'mx1.bk.test', users: ['bob'] }, { address: PRIMARY });
  backup = await startScriptServer({ hostname: 'mx2.bk.test', catchAll: true }, { address: BACKUP, port: primary.port });
  servers.push(refuser, relay, primary, backup);
  dns = await startZoneServer(ZONE = {
    'refuse.test': { MX: [{ exchange: 'mx.refuse.test', priority: 10 }] },
    'mx.refuse.test': { A: ['127.0.0.1'] },
    'sender.test': { TXT: ['v=spf1 ip4:192.0.2.0/24 -all'] },
    '_dmarc.sender.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:d@sender.test'] },
    '9.113.0.203.zen.spamhaus.org': { A: ['127.0.0.2'] },
    'mx1.relay.test': { A: ['127.0.0.1'] },
    'bk.test': { MX: [{ exchange: 'mx1.bk.test', priority: 10 }, { exchange: 'mx2.bk.test', priority: 20 }] },
    'mx1.bk.test': { A: [PRIMARY] },
    'mx2.bk.test': { A: [BACKUP] },
    'nomail.test': { TXT: ['v=spf1 -all'] },
  });
  resolve = createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 5_000 });
});
afterAll(async () => {
  for (const s of servers) expectNoMessageSent(s);
  await Promise.all([dns.close(), ...servers.map((s) => s.close())]);
});

function probe(target: string, port: number, fu: Partial<FollowUpOptions> = {}, from = 'me@sender.test', rcpts?: string[]) {
  const o: ProbeOptions = { ports: [{ port, implicitTls: false }], tlsMode: 'auto', tlsVerify: false, helo: 'probe.sender.test', from, ...(rcpts ? { rcpts } : {}), timeoutScale: 1, lang: 'en' };
  return runProbe(target, o, {
    resolve, connect: connectTransport, now: () => Date.now(),
    // The who-am-I "authoritative servers" are not in the zone: the lookup fails, with a reason.
    followUp: (sessions) => runFollowUp(sessions, { when: 'auto', from, helo: o.helo, ...fu }, { resolve, resolverAt: () => resolve }),
  });
}

describe('the follow-up never skips silently', () => {
  it('banner refusal, no IP findable: names the skipped checks, the who-am-I error and the remedy; runs SPF and DMARC', async () => {
    const r = await probe('refuse.test', refuser.port);
    expect(r.sendingIp).toBeUndefined();
    const skipped = r.checks.filter((c) => c.result === 'skipped');
    expect(skipped.map((c) => c.check).sort()).toEqual(['dnsbl', 'rdns']);
    const bl = skipped.find((c) => c.check === 'dnsbl')!;
    expect(bl.findings[0]?.message).toMatch(/the DNS who-am-I lookup failed \(o-o\.myaddr\.l\.google\.com TXT at ns1\.google\.com: .+\)/);
    expect(bl.findings[0]?.message).toMatch(/the local address 127\.0\.0\.1 is not public/);
    expect(bl.findings[0]?.message).toMatch(/zen\.spamhaus\.org/);
    expect(bl.findings[0]?.fix).toMatch(/--ip <ip>.*smtp-probe blocklist <ip>/);
    // What needs no IP still runs: the SPF record and the DMARC policy of the MAIL FROM domain.
    expect(r.checks.find((c) => c.check === 'spf')).toMatchObject({ subject: 'sender.test', result: null, details: { recordStatus: 'valid' } });
    expect(r.checks.find((c) => c.check === 'dmarc')).toMatchObject({ subject: 'sender.test', result: 'found' });
    expect(r.checks.map((c) => c.check)).not.toContain('dkim'); // the words point at the IP, not at DKIM
    expect(r.verdict.cause).toMatch(/^not determined: the checks the reply points at could not run: blocklist; reverse DNS \(the sending IP is unknown: give it with --ip\)/);
    expect(r.checks.find((c) => c.check === 'spf')?.findings.find((f) => f.code === 'spf.no-ip')?.message).toMatch(/not evaluated for the sending IP: the sending IP is unknown: .*who-am-I lookup failed/);
  });

  it('with --ip the named zone is checked (first), and nothing is skipped', async () => {
    const r = await probe('refuse.test', refuser.port, { ip: '203.0.113.9' });
    expect(r.sendingIp).toMatchObject({ ip: '203.0.113.9', source: 'flag' });
    expect(r.checks.filter((c) => c.result === 'skipped')).toEqual([]);
    const bl = r.checks.find((c) => c.check === 'dnsbl')!;
    expect(bl).toMatchObject({ status: 'fail', result: 'listed' });
    expect((bl.details as { zones: { zone: string }[] }).zones[0]?.zone).toBe('zen.spamhaus.org');
  });

  it('a null sender whose HELO is an address literal: SPF and DMARC are skipped with the reason', async () => {
    const r = await probe('refuse.test', refuser.port, { when: 'always', helo: '[192.0.2.1]', ip: '203.0.113.9' }, '');
    const spf = r.checks.find((c) => c.check === 'spf');
    expect(spf).toMatchObject({ result: 'skipped' });
    expect(spf?.findings[0]?.message).toMatch(/\[192\.0\.2\.1\] is an address literal/);
    expect(dns.queries.map((q) => q.name).filter((n) => n.includes('['))).toEqual([]);
  });

  it('searchSendingIp keeps every source\'s reason', async () => {
    const failing: Resolve = async (name) => { throw Object.assign(new Error(`query for ${name} refused`), { dnsCode: 'EREFUSED' }); };
    const s = await searchSendingIp({ sessions: [], whoami: { resolve: failing, resolverAt: () => failing } });
    expect(s.found).toBeUndefined();
    expect(s.misses.join(' | ')).toMatch(/no server named the client address.*who-am-I lookup failed \(.*query for ns1\.google\.com refused.*query for resolver1\.opendns\.com refused\).*no connection was made/);
  });
});

describe('a relay denial is about the server\'s role, not the sender', () => {
  it('host target: "does not take mail for", a hint to probe the domain or --rcpt, no SPF/DKIM/DMARC blame, exit 5', async () => {
    const r = await probe('mx1.relay.test', relay.port);
    expect(r.verdict.kind).toBe('not-for-this-server');
    expect(r.verdict.line).toMatch(/mx1\.relay\.test does not take mail for mx1\.relay\.test/);
    expect(r.verdict.line).toMatch(/not your IP, SPF, DKIM or DMARC/);
    expect(r.verdict.line).toMatch(/--rcpt/);
    expect(r.verdict.cause).toBeUndefined();
    expect(r.checks).toEqual([]); // nothing about the sender to check
    expect(exitCodeForVerdict(r.verdict.kind)).toBe(5);
  });

  it('even with --checks always no cause is blamed, and no empty p= appears', async () => {
    const r = await probe('mx1.relay.test', relay.port, { when: 'always', ip: '192.0.2.1' });
    expect(r.verdict.kind).toBe('not-for-this-server');
    expect(r.verdict.cause).toBeUndefined();
    expect(JSON.stringify(r.checks)).not.toMatch(/p=(?:undefined|null|[\s;.,)"]|$)/);
  });
});

describe('a backup MX that accepts unknown users', () => {
  it('is flagged when the primary refuses the same recipient as unknown', async () => {
    const r = await probe('nobody@bk.test', primary.port);
    expect(r.verdict).toMatchObject({ kind: 'no-such-user', host: 'mx1.bk.test' });
    expect(r.verdict.warnings.join('\n')).toMatch(/mx2\.bk\.test.*\(MX 20\) accepts nobody@bk\.test, which mx1\.bk\.test.* refuses as unknown: .*backscatter.*unreliable/);
  });

  it('is not flagged when the recipient exists', async () => {
    const r = await probe('bob@bk.test', primary.port);
    expect(r.verdict.kind).toBe('accepted');
    expect(r.verdict.warnings.join('\n')).not.toMatch(/backscatter/);
  });
});

describe('a domain that does not exist is a fact about the recipient, not a network failure', () => {
  it('NXDOMAIN: no-such-domain, exit 6 (as verify)', async () => {
    const r = await probe('bob@does-not-exist.test', relay.port);
    expect(r.verdict.kind).toBe('no-such-domain');
    expect(r.verdict.line).toMatch(/does not exist/);
    expect(exitCodeForVerdict(r.verdict.kind)).toBe(6);
  });

  it('a domain with neither MX nor address: exit 6 too', async () => {
    const r = await probe('nomail.test', relay.port);
    expect(r.verdict.kind).toBe('no-such-domain');
    expect(exitCodeForVerdict(r.verdict.kind)).toBe(6);
  });
});

/** Port 587 needs root (ports under 1024); elsewhere the pure verdict tests cover it. */
async function canBind(address: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = net.createServer();
    s.once('error', () => done(false));
    s.listen(port, address, () => s.close(() => done(true)));
  });
}

describe('a submission port that asks for AUTH is healthy', async () => {
  const SUB = '127.0.0.65';
  const ok = await canBind(SUB, 587);
  it.skipIf(!ok)('587 with AUTH offered and RCPT refused without AUTH (554 5.7.1 relay wording): exit 0, no checks', async () => {
    const sub = await startScriptServer({
      hostname: 'submit.sub.test', extensions: ['AUTH PLAIN LOGIN', 'PIPELINING'],
      rules: [{ match: '^RCPT TO:', reply: { lines: ['554 5.7.1 <bob@sub.test>: Relay access denied'] } }],
    }, { address: SUB, port: 587 });
    servers.push(sub);
    dns.setZone({ ...ZONE, 'submit.sub.test': { A: [SUB] } });
    const r = await probe('submit.sub.test', 587, {}, 'me@sender.test', ['bob@sub.test']);
    expect(r.verdict.kind).toBe('auth-required');
    expect(r.verdict.line).toMatch(/submission requires authentication \(as it should\)/);
    expect(r.checks).toEqual([]);
    expect(exitCodeForVerdict(r.verdict.kind)).toBe(0);
  });
});
