// `smtp-probe --auth`, `--quit-after`, `--relay-test` and `--vrfy` end to end (the built bin):
// the password only from SMTP_PROBE_PASSWORD, refused on argv without being echoed, and never in
// any output — human, --verbose, JSON or stderr — in any of its forms (plain, base64, the PLAIN
// blob, SCRAM proof); an open relay is exit 8 with its evidence, a closed one a finding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { runBin, ROOT, type CliRun } from '../helpers/cli.js';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../src/demo/smtp-script-server.js';
import { secretForms } from '../../src/smtp/sasl.js';
import { expectNoMessageSent, TLS } from '../helpers/smtp.js';

const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(
  JSON.parse(readFileSync(`${ROOT}/data/schema/probe-result.schema.json`, 'utf8')) as object,
);
const PASSWORD = 'Tr0ub4dor&3-horse';
const USERS = { alice: PASSWORD };

let dns: ZoneServer;
let tlsServer: ScriptServer;
let plainServer: ScriptServer;
let openRelay: ScriptServer;
let closedRelay: ScriptServer;
let args: (server: ScriptServer, ...more: string[]) => string[];

beforeAll(async () => {
  tlsServer = await startScriptServer({ hostname: 'sub.cli.test', users: ['bob'], auth: { mechanisms: ['PLAIN', 'LOGIN', 'SCRAM-SHA-256'], users: USERS, tlsOnly: true } }, { tls: TLS });
  plainServer = await startScriptServer({ hostname: 'plain.cli.test', users: ['bob'], auth: { mechanisms: ['PLAIN', 'LOGIN'], users: USERS } });
  openRelay = await startScriptServer({ hostname: 'relay.cli.test', catchAll: true, rules: [{ match: '^VRFY', reply: { lines: ['250 2.0.0 Bob <bob@sub.cli.test>'] } }] });
  closedRelay = await startScriptServer({ hostname: 'mx.cli.test', users: ['bob'], rules: [
    { match: 'RCPT TO:.*example\\.net', reply: { lines: ['554 5.7.1 Relay access denied'] } },
    { match: '^VRFY', reply: { lines: ['252 2.0.0 Cannot VRFY user'] } },
  ] });
  dns = await startZoneServer({ 'sub.cli.test': { A: ['127.0.0.1'] } });
  args = (server, ...more) => ['sub.cli.test', '--resolver', `${dns.address}:${dns.port}`, '--port', String(server.port), '--helo', 'probe.example.net', '--checks', 'never', '--no-mta-sts', '--rcpt', 'bob@sub.cli.test', ...more];
});
afterAll(async () => {
  expectNoMessageSent(tlsServer);
  expectNoMessageSent(plainServer);
  expectNoMessageSent(openRelay);
  expectNoMessageSent(closedRelay);
  await Promise.all([dns.close(), tlsServer.close(), plainServer.close(), openRelay.close(), closedRelay.close()]);
});

function expectNoCredential(r: CliRun, password = PASSWORD): void {
  const all = `${r.stdout}\n${r.stderr}`;
  for (const f of [...secretForms({ user: 'alice', password }), password]) expect(all).not.toContain(f);
}

describe('smtp-probe --auth', () => {
  it('logs in (SCRAM-SHA-256 chosen), shows AUTH redacted, and no form of the password appears anywhere', async () => {
    const env = { SMTP_PROBE_PASSWORD: PASSWORD };
    const human = await runBin(args(tlsServer, '--auth', 'alice', '--verbose'), { env });
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^~> AUTH SCRAM-SHA-256 <redacted>$/m);
    expect(human.stdout).toMatch(/AUTH: offered PLAIN LOGIN SCRAM-SHA-256 · used SCRAM-SHA-256 as alice ·\s+logged in \(235/);
    expect(human.stdout).toMatch(/server signature verified/);
    expectNoCredential(human);

    for (const mech of ['PLAIN', 'LOGIN']) {
      const json = await runBin(args(tlsServer, '--auth', 'alice', '--auth-mech', mech, '--json'), { env });
      expect(json.status, json.stderr).toBe(0);
      const result = JSON.parse(json.stdout) as { sessions: { auth?: { status: string; mechanism: string }; steps: { sent?: string }[] }[]; envelope: { authUser?: string } };
      expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
      expect(result.sessions[0]?.auth).toMatchObject({ status: 'ok', mechanism: mech });
      expect(result.envelope.authUser).toBe('alice');
      expectNoCredential(json);
    }
  });

  it('a wrong password is an explained 535 failure, exit 5, with no credential in the output', async () => {
    const wrong = 'not-the-Password-42';
    for (const mech of ['PLAIN', 'SCRAM-SHA-256']) {
      const r = await runBin(args(tlsServer, '--auth', 'alice', '--auth-mech', mech), { env: { SMTP_PROBE_PASSWORD: wrong } });
      expect(r.status).toBe(5);
      expect(r.stdout).toMatch(/authentication failed: .*535.*wrong/s);
      expectNoCredential(r, wrong);
    }
    const j = await runBin(args(tlsServer, '--auth', 'alice', '--json'), { env: { SMTP_PROBE_PASSWORD: wrong } });
    expect(j.status).toBe(5);
    expect(JSON.parse(j.stdout).verdict.kind).toBe('auth-failed');
    expectNoCredential(j, wrong);
  });

  it('refuses to send credentials in plaintext (exit 3, said why); --auth-plaintext sends them', async () => {
    const env = { SMTP_PROBE_PASSWORD: PASSWORD };
    const before = plainServer.received.length;
    const r = await runBin(args(plainServer, '--auth', 'alice'), { env });
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/not encrypted, so the credentials were not sent/);
    expect(plainServer.received.slice(before).some((l) => /^AUTH/i.test(l))).toBe(false);
    const forced = await runBin(args(plainServer, '--auth', 'alice', '--auth-plaintext', '--auth-mech', 'LOGIN'), { env });
    expect(forced.status).toBe(0);
    expect(forced.stdout).toMatch(/^-> AUTH LOGIN$/m);
    expect(forced.stdout).toMatch(/^-> <redacted>$/m);
    expectNoCredential(forced);
  });

  it('never takes a password from argv, and never echoes one', async () => {
    for (const argv of [['--password', PASSWORD], [`--password=${PASSWORD}`], ['--auth', `alice:${PASSWORD}`], ['--auth-pass', PASSWORD]]) {
      const r = await runBin(args(tlsServer, ...argv), { env: {} });
      expect(r.status, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/SMTP_PROBE_PASSWORD/);
      expectNoCredential(r);
    }
    // The password itself given as an argument while it is also in the environment.
    const dup = await runBin(args(tlsServer, '--auth', 'alice', PASSWORD), { env: { SMTP_PROBE_PASSWORD: PASSWORD } });
    expect(dup.status).toBe(2);
    expectNoCredential(dup);
    // No password and no terminal to ask on.
    const none = await runBin(args(tlsServer, '--auth', 'alice'), { env: {} });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no password: set the environment variable SMTP_PROBE_PASSWORD/);
  });
});

describe('smtp-probe --quit-after', () => {
  it('stops at the stage (QUIT right after it), verdict stage-reached with exit 0; auth needs --auth', async () => {
    const before = tlsServer.received.length;
    const r = await runBin(args(tlsServer, '--quit-after', 'ehlo', '--json'));
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
    expect(result.verdict.kind).toBe('stage-reached');
    expect(result.sessions[0].stoppedAfter).toBe('ehlo');
    expect(tlsServer.received.slice(before)).toEqual(['EHLO probe.example.net', 'STARTTLS', 'EHLO probe.example.net', 'QUIT']);
    const bad = await runBin(args(tlsServer, '--quit-after', 'auth'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--quit-after auth needs --auth/);
  });
});

describe('smtp-probe --relay-test --vrfy', () => {
  it('an open relay: exit 8, verdict open-relay with the evidence, each variant reported; VRFY 250 is a leak', async () => {
    const r = await runBin(args(openRelay, '--relay-test', '--vrfy', 'bob', '--json'));
    expect(r.status, r.stderr).toBe(8);
    const result = JSON.parse(r.stdout);
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
    expect(result.verdict.kind).toBe('open-relay');
    expect(result.verdict.line).toMatch(/OPEN RELAY.*MAIL FROM:<relay-test@example\.org> → 250/);
    expect(result.verdict.warnings[0]).toMatch(/^the dialogue itself: .*accepts mail for bob@sub\.cli\.test/);
    expect(result.sessions[0].relayTest.status).toBe('open');
    const codes = result.findings.map((f: { code: string; level: string }) => `${f.code}:${f.level}`);
    expect(codes).toEqual(expect.arrayContaining(['relay.open:error', 'vrfy.leaks:warn']));
    expect(openRelay.received.some((l) => /^(DATA|BDAT)/i.test(l))).toBe(false);

    const human = await runBin(args(openRelay, '--relay-test'));
    expect(human.status).toBe(8);
    expect(human.stdout).toMatch(/── relay test \(--relay-test\)/);
    expect(human.stdout).toMatch(/relay test: OPEN RELAY/);
    expect(human.stdout).toMatch(/percent-hack: ACCEPTED \(MAIL 250 · RCPT 250\) <relay-test@example\.org> →\s+<relay-test%example\.net@sub\.cli\.test>/);
    expect(human.stdout).toMatch(/Findings \(AUTH, relay, VRFY\/EXPN\)\n {3}✗ .*OPEN RELAY/);
    expect(human.stdout).toMatch(/→ restrict relaying/);
  });

  it('a closed relay: exit as the dialogue decides (0), relay.closed and vrfy.cannot-verify findings; --quit-after excludes it', async () => {
    const r = await runBin(args(closedRelay, '--relay-test', '--vrfy', 'bob', '--json'));
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
    expect(result.verdict.kind).toBe('accepted');
    expect(result.findings.map((f: { code: string }) => f.code)).toEqual(['vrfy.cannot-verify', 'relay.closed']);
    const both = await runBin(args(closedRelay, '--relay-test', '--quit-after', 'ehlo'));
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--quit-after stops the dialogue before --relay-test/);
  });
});
