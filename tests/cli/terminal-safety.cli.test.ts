// Nothing from the network reaches a terminal raw: a hostile demo world (an MX name with an
// escape sequence, SPF/DMARC/DNSBL TXT records with escapes and bidi overrides, a hostile PTR,
// replies carrying escapes and bidi characters) run through every command of the built bin.
// stdout and stderr must hold no control, escape, bidi or invisible format character (NO_COLOR,
// so not even our own colours); --json keeps the raw value, escaped by JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../src/demo/smtp-script-server.js';
import { reverseName } from '../../src/checks/rdns.js';
import { runBin } from '../helpers/cli.js';
import { expectNoMessageSent } from '../helpers/smtp.js';

// Every character a terminal could act on ('\n' and nothing else allowed between lines).
const DANGEROUS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]|\udb40[\udc00-\udc7f]/;
const HOSTILE_MX = 'mx\u001b]0;pwned\u0007.hostile.test'; // sets the window title
const BIDI = '\u202Egnp.exe\u202C \u2066isolated\u2069 \u200Fmark';

let dns: ZoneServer;
let mx: ScriptServer;
let dnsArgs: string[];
beforeAll(async () => {
  mx = await startScriptServer({
    hostname: 'mx.hostile.test',
    banner: { lines: [`220 mx.hostile.test ESMTP \u001b[2J\u001b[H${BIDI}`] },
    users: ['bob'],
    rules: [{ match: '^RCPT TO:<policy@', reply: { lines: [`550-5.7.1 \u001b]8;;http://evil.test/\u0007click\u001b]8;;\u0007 ${BIDI}`, '550 5.7.1 blocked using bl.hostile.test; see \u009b31mred'] } }],
  });
  dns = await startZoneServer({
    'hostile.test': { MX: [{ exchange: HOSTILE_MX, priority: 10 }], TXT: [`v=spf1 ip4:192.0.2.1 \u001b[1A\u001b[2Kexp=x ${BIDI} -all`] },
    [HOSTILE_MX]: { A: ['127.0.0.1'] },
    '_dmarc.hostile.test': { TXT: [`v=DMARC1; p=reject\u001b[2J; rua=mailto:a\u202Eb@hostile.test`] },
    [reverseName('192.0.2.1')]: { PTR: ['ptr\u001b[31m.hostile.test'] },
    'ptr\u001b[31m.hostile.test': { A: ['192.0.2.1'] },
    '1.2.0.192.bl.hostile.test': { A: ['127.0.0.2'], TXT: [`\u001b]0;title\u0007listed ${BIDI}`] },
  });
  dnsArgs = ['--resolver', `${dns.address}:${dns.port}`, '--dns-timeout', '5s'];
});
afterAll(async () => {
  expectNoMessageSent(mx);
  await Promise.all([dns.close(), mx.close()]);
});

function expectClean(r: { stdout: string; stderr: string }): void {
  const bad = (s: string): string | undefined => DANGEROUS.exec(s)?.[0];
  expect(bad(r.stdout), `stdout: ${JSON.stringify(r.stdout.slice(0, 3000))}`).toBeUndefined();
  expect(bad(r.stderr), `stderr: ${JSON.stringify(r.stderr)}`).toBeUndefined();
}

describe('hostile DNS and SMTP text never reaches the terminal raw', () => {
  it('probe: MX name, banner, rejection, Checks (SPF/DMARC/PTR/DNSBL text), verdict', async () => {
    const probe = ['policy@hostile.test', ...dnsArgs, '--port', String(mx.port), '--helo', 'probe.example.net', '--checks', 'always', '--ip', '192.0.2.1'];
    const r = await runBin(probe, { timeoutMs: 40_000 });
    expectClean(r);
    expect(r.status).toBe(5);
    expect(r.stdout).toContain('mx?]0;pwned?.hostile.test'); // the MX line and the session header
    expect(r.stdout).toMatch(/^MX hostile\.test: 10 mx\?\]0;pwned\?\.hostile\.test/m);
    expect(r.stdout).toContain('?gnp.exe?');
    expect(r.stdout).toMatch(/Checks/);
    const v = await runBin([...probe, '--verbose'], { timeoutMs: 40_000 });
    expectClean(v);
    // JSON keeps the raw values (JSON's own escapes), still with nothing raw on the terminal.
    const j = await runBin([...probe, '--json'], { timeoutMs: 40_000 });
    expectClean(j);
    const o = JSON.parse(j.stdout) as { mailHosts: { hosts: { name: string }[] }; checks: unknown[] };
    expect(o.mailHosts.hosts[0]?.name).toBe(HOSTILE_MX);
    expect(JSON.stringify(o.checks)).toContain('\u202E'); // the SPF record, raw
  }, 130_000);

  it('auth: SPF and DMARC records, PTR names', async () => {
    for (const extra of [[], ['--verbose'], ['--json']]) {
      const r = await runBin(['auth', 'hostile.test', '--ip', '192.0.2.1', ...dnsArgs, ...extra]);
      expectClean(r);
      if (extra[0] === '--json') expect(JSON.stringify(JSON.parse(r.stdout))).toContain('p=reject\\u001b[2J');
      else expect(r.stdout).toContain('p=reject?[2J');
    }
  }, 60_000);

  it('blocklist: a listing TXT with escapes and bidi', async () => {
    for (const extra of [[], ['--verbose'], ['--json']]) {
      const r = await runBin(['blocklist', '192.0.2.1', '--zones-only', '--zone', 'bl.hostile.test', ...dnsArgs, ...extra]);
      expectClean(r);
      expect(r.status).toBe(8);
    }
  }, 60_000);

  it('verify: MX name and the server\'s words', async () => {
    for (const extra of [[], ['--verbose'], ['--json']]) {
      const r = await runBin(['verify', 'policy@hostile.test', 'bob@hostile.test', ...dnsArgs, '--port', String(mx.port), '--helo', 'verify.example.net', ...extra]);
      expectClean(r);
    }
  }, 60_000);

  it('explain: a pasted reply and stdin lines with escapes and bidi characters', async () => {
    const line = `550 5.7.1 \u001b]0;t\u0007 ${BIDI} blocked using zen.spamhaus.org \u009b2J`;
    expectClean(await runBin(['explain', line]));
    const s = await runBin(['explain', '-'], { input: `${line}\n421 4.7.0 \u001b[5mtry later\u202E\n` });
    expectClean(s);
    expect(s.stdout.trim().split('\n')).toHaveLength(2);
    const j = await runBin(['explain', '-', '--json'], { input: `${line}\n` });
    expectClean(j);
    expect((JSON.parse(j.stdout) as { input: string }).input).toBe(line);
  }, 60_000);

  it('errors that embed peer or user text are cleaned too', async () => {
    const r = await runBin(['auth', 'bad\u001b[2Jdomain\u202E.test', ...dnsArgs]);
    expectClean(r);
    expect(r.status).toBe(2);
  });
});
