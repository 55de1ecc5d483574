// `smtp-probe <target>` and `smtp-probe demo` end to end: the built bin, spawned like a
// user runs it, against loopback servers reached through --resolver and --port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { runBin, ROOT } from '../helpers/cli.js';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../src/demo/smtp-script-server.js';
import { expectNoMessageSent } from '../helpers/smtp.js';

const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(
  JSON.parse(readFileSync(`${ROOT}/data/schema/probe-result.schema.json`, 'utf8')) as object,
);

let dns: ZoneServer;
let mx: ScriptServer;
let blocked: ScriptServer;
let args: (target: string, ...more: string[]) => string[];
beforeAll(async () => {
  mx = await startScriptServer({
    hostname: 'mx.cli.test',
    users: ['bob'],
    rules: [
      { match: '^RCPT TO:<grey@', reply: { lines: ['451 4.7.1 Greylisted, please try again later'] } },
      { match: '^RCPT TO:<policy@', reply: { lines: ['550 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org'] } },
    ],
  });
  blocked = await startScriptServer({ banner: { lines: ['554 5.7.1 Access denied'] } });
  dns = await startZoneServer({
    'cli.test': { MX: [{ exchange: 'mx.cli.test', priority: 10 }] },
    'mx.cli.test': { A: ['127.0.0.1'] },
    'nullmx.test': { MX: [{ exchange: '.', priority: 0 }] },
  });
  args = (target, ...more) => [target, '--resolver', `${dns.address}:${dns.port}`, '--port', String(mx.port), '--helo', 'probe.example.net', '--checks', 'never', ...more];
});
afterAll(async () => {
  expectNoMessageSent(mx);
  await Promise.all([dns.close(), mx.close(), blocked.close()]);
});

describe('smtp-probe <target>', () => {
  it('an existing recipient: transcript, explanations, verdict, exit 0', async () => {
    const r = await runBin(args('bob@cli.test'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^-> EHLO probe\.example\.net$/m);
    expect(r.stdout).toMatch(/^<- 220 /m);
    expect(r.stdout).toMatch(/220 Service Ready/);
    expect(r.stdout).toMatch(/^-> RCPT TO:<bob@cli\.test>$/m);
    expect(r.stdout.trim().split('\n').pop()).toMatch(/^bob@cli\.test: the server accepts mail for this address \(250 2\.1\.5 on mx\.cli\.test\[127\.0\.0\.1\]:\d+\)/);
  });

  it('exit codes follow the outcome: 6 no such user, 7 greylisted, 5 policy, 5 null MX', async () => {
    expect((await runBin(args('nobody@cli.test'))).status).toBe(6);
    expect((await runBin(args('grey@cli.test'))).status).toBe(7);
    const policy = await runBin(args('policy@cli.test'));
    expect(policy.status).toBe(5);
    expect(policy.stdout).toMatch(/Reason: .*\(blocked\)/);
    expect((await runBin(args('nullmx.test'))).status).toBe(5);
  });

  it('a refused connection is exit 3; --quiet prints the verdict only', async () => {
    const r = await runBin(['127.0.0.1', '--port', '1', '--quiet', '--helo', 'probe.example.net']);
    expect(r.status).toBe(3);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/refused/);
  });

  it('a 5xx banner is exit 5 and says the server refused to talk', async () => {
    const r = await runBin(['127.0.0.1', '--port', String(blocked.port), '--helo', 'probe.example.net', '--checks', 'never']);
    expect(r.status).toBe(5);
    expect(r.stdout).toMatch(/refused to talk/);
  });

  it('--json prints one object that validates against the shipped schema', async () => {
    const r = await runBin(args('bob@cli.test', '--json'));
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { schemaVersion: number; verdict: { kind: string } };
    expect(validate(j) ? [] : validate.errors).toEqual([]);
    expect(j).toMatchObject({ schemaVersion: 1, verdict: { kind: 'accepted' } });
  });

  it('bad input is one line on stderr and exit 2, before any connection', async () => {
    const before = mx.connections;
    for (const bad of [
      ['not a domain'], ['bob@cli.test', '--port', '99999'], ['bob@cli.test', '--tls', 'maybe'],
      ['bob@cli.test', '--from', 'a\rb@x.test'], ['bob@cli.test', '--timeout', 'soon'], ['bob@cli.test', '--resolver', 'dns.google'],
      ['bob@cli.test', '--no-such-flag'], ['bob@cli.test', '-4', '-6', '--resolver', '127.0.0.1:1'],
    ]) {
      const r = await runBin(bad);
      expect(r.status, bad.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), bad.join(' ')).toHaveLength(1);
      expect(r.stderr, bad.join(' ')).toMatch(/^smtp-probe: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(mx.connections).toBe(before);
  });
});

describe('smtp-probe demo', () => {
  it('runs a whole probe offline and says so', async () => {
    const r = await runBin(['demo', '--helo', 'probe.example.net']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/nothing leaves this machine/);
    expect(r.stdout).toMatch(/^~> RCPT TO:<alice@demo\.test>$/m);
    expect(r.stdout).toMatch(/TLS: TLSv1\.[23] /);
    expect(r.stdout).toMatch(/· trusted ·/);
    expect(r.stdout).toMatch(/550 5\.1\.1/);
    expect(r.stdout).toMatch(/451 4\.7\.1/);
    expect(r.stdout).toMatch(/Reason: .*\(greylisted\)/);
  });
  it('--json validates', async () => {
    const r = await runBin(['demo', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as object;
    expect(validate(j) ? [] : validate.errors).toEqual([]);
  });
});
