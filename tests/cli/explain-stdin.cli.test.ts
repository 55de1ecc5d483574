// `smtp-probe explain -` (reply lines from stdin, one classification per reply, JSON Lines with
// --json) and the recognition fields of `explain "<reply text>"`, through the built bin.
import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';

const LOG = [
  '550-5.1.1 The email account that you tried to reach does not exist. Please try',
  '550-5.1.1 double-checking the recipient\'s email address for typos or',
  '550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser',
  '554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.5',
  '',
  'Oct  8 19:16:18 mx postfix/smtpd[1991]: NOQUEUE: reject: RCPT from cpe.example.net[192.0.2.3]: 450 4.2.0 <kas@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html',
  '550 5.7.1 Message rejected',
].join('\n');

describe('smtp-probe explain - (built bin)', () => {
  it('prints one classification per reply, joining a multi-line reply', async () => {
    const r = await runBin(['explain', '-'], { input: `${LOG}\n` });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\s+1\s+userunknown\s+Gmail\s+550 5\.1\.1/);
    expect(lines[1]).toMatch(/^\s+4\s+blocked\s+Spamhaus\s+554 5\.7\.1\s+blocklist zen\.spamhaus\.org · IP 203\.0\.113\.5/);
    expect(lines[2]).toMatch(/^\s+6\s+greylisted\s+Postgrey\s+450 4\.2\.0/);
    expect(lines[3]).toMatch(/^\s+7\s+securityerror\s+-\s+550 5\.7\.1\s+Message rejected \(inferred from the code only\)$/);
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });

  it('prints JSON Lines with --json', async () => {
    const r = await runBin(['explain', '-', '--json'], { input: LOG });
    expect(r.status).toBe(0);
    const objs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs).toHaveLength(4);
    expect(objs[0]).toMatchObject({ schemaVersion: 1, line: 1, code: 550, enhanced: '5.1.1', reason: 'userunknown', provider: 'Gmail', inferred: false, permanent: true });
    expect((objs[0]?.input as string).split('\n')).toHaveLength(3);
    expect(objs[1]).toMatchObject({ line: 4, reason: 'blocked', provider: 'Spamhaus', facts: { zones: ['zen.spamhaus.org'], ips: ['203.0.113.5'] } });
    expect(objs[2]).toMatchObject({ line: 6, code: 450, stage: 'rcpt', reason: 'greylisted', permanent: false });
    expect(objs[3]).toMatchObject({ line: 7, reason: 'securityerror', inferred: true });
    for (const o of objs) for (const k of ['meaning', 'action', 'title']) expect(typeof o[k]).toBe('string');
  });

  it('streams a large log and applies --stage', async () => {
    const n = 20_000;
    const input = Array.from({ length: n }, (_, i) => `550 5.1.1 <user${i}@example.com>... User unknown`).join('\n');
    const r = await runBin(['explain', '-', '--json', '--stage', 'mail'], { input, timeoutMs: 60_000 });
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(n);
    expect(JSON.parse(lines[n - 1] as string)).toMatchObject({ line: n, stage: 'mail', reason: 'rejected', facts: { addresses: [`user${n - 1}@example.com`] } });
  });

  it('prints nothing for empty input and refuses misuse with exit 2', async () => {
    const empty = await runBin(['explain', '-'], { input: '' });
    expect(empty).toMatchObject({ status: 0, stdout: '', stderr: '' });
    for (const args of [['explain', '-', '550'], ['explain', '-', '--stage', 'bogus'], ['explain', '550', '--stage', 'rcpt']]) {
      const r = await runBin(args, { input: '550 x\n' });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^smtp-probe: /);
    }
  });
});

describe('smtp-probe explain "<reply text>" shows the recognition', () => {
  const text = '550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from this list please visit https://sender.office.com/ and follow the directions. (AS16012609)';

  it('in human output: reason, provider, facts, meaning and fix', async () => {
    const r = await runBin(['explain', text]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Reason: Sending IP or host blocked \(blocked\)/);
    expect(r.stdout).toMatch(/Provider: Microsoft 365 — https:\/\/sender\.office\.com\//);
    expect(r.stdout).toMatch(/Found in the text:\n\s+IP 192\.0\.2\.1 · code AS16012609/);
    expect(r.stdout).toMatch(/delist portal/);
  });

  it('in --json: reason, provider and facts', async () => {
    const j = JSON.parse((await runBin(['explain', text, '--json'])).stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ kind: 'reply', code: 550, enhanced: '5.7.606', provider: 'Microsoft 365', reason: 'blocked', recognition: { inferred: false }, facts: { ips: ['192.0.2.1'], providerCodes: ['AS16012609'] } });
    expect((j.recognition as { evidence: { decidedBy: string } }).evidence.decidedBy).toBe('pattern');
  });

  it('says when the reason comes from the code only', async () => {
    const r = await runBin(['explain', '550 5.1.1 Requested action not taken']);
    expect(r.stdout).toMatch(/Reason: No such recipient \(userunknown\) \(inferred from the code only\)/);
  });
});

describe('explain - on real mail logs: one line is one item', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { ROOT } = await import('../helpers/cli.js');
  const Ajv2020 = (await import('ajv/dist/2020.js')).default;
  const schema = JSON.parse(readFileSync(join(ROOT, 'data', 'schema', 'explanation.schema.json'), 'utf8')) as object;
  const validate = new Ajv2020.default({ allErrors: true, strict: true, strictTypes: false, strictRequired: false }).compile(schema);

  // Three Postfix bounce lines as the README's pipeline leaves them (sed 's/.*said: //'): the first
  // carries Gmail's whole multi-line reply on one line, the third is Outlook's S3150.
  const BOUNCES = [
    "550-5.7.26 This mail has been blocked because the sender is unauthenticated. 550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. 550-5.7.26 550-5.7.26 Authentication results: 550-5.7.26 DKIM = did not pass 550-5.7.26 SPF [example.com] with ip: [192.0.2.1] = did not pass 550 5.7.26 https://support.google.com/mail/answer/81126#authentication a1si - gsmtp (in reply to end of DATA command)",
    '550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)',
    "550 5.7.1 Unfortunately, messages from [192.0.2.9] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [DB5EUR03FT030.eop-EUR03.prod.protection.outlook.com] (in reply to MAIL FROM command)",
  ];

  it('gives three rows for three bounce lines, each credited to its own provider', async () => {
    const r = await runBin(['explain', '-', '--json'], { input: `${BOUNCES.join('\n')}\n` });
    expect(r.status).toBe(0);
    const objs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => o.line)).toEqual([1, 2, 3]);
    expect(objs[0]).toMatchObject({ code: 550, enhanced: '5.7.26', reason: 'authfailure', provider: 'Gmail', stage: 'data' });
    expect(objs[1]).toMatchObject({ code: 550, enhanced: '5.1.1', reason: 'userunknown', stage: 'rcpt' });
    expect(objs[2]).toMatchObject({ code: 550, reason: 'blocked', facts: { providerCodes: ['S3150'] } });
    expect(objs[2]?.provider).not.toBe('Gmail');
    expect(String(objs[2]?.provider)).toMatch(/Outlook|Microsoft/);
  });

  it('joins only the continuation lines of one reply (same code, NNN- then NNN )', async () => {
    const input = ['550-5.1.1 first line of one reply', '550-5.1.1 second line', '550 5.1.1 last line: User unknown', '550-5.7.1 an unfinished reply', '451 4.7.1 Greylisted, try again in 5 minutes', '550-5.2.2 a reply 550 5.2.2 mailbox full', '550 5.2.2 next log line: mailbox full'].join('\n');
    const objs = (await runBin(['explain', '-', '--json'], { input })).stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => o.line)).toEqual([1, 4, 5, 6, 7]);
    expect(String(objs[0]?.input).split('\n')).toHaveLength(3);
    expect(objs[2]).toMatchObject({ reason: 'greylisted', code: 451 });
  });

  it('prints JSON Lines that validate against the shipped explanation.schema.json, with one type per field', async () => {
    const input = [...BOUNCES, ...LOG.split('\n'), '421', 'temporary failure', '250 2.0.0 Ok: queued as 4AB12'].join('\n');
    const lines = (await runBin(['explain', '-', '--json'], { input })).stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(8);
    for (const l of lines) {
      const o = JSON.parse(l) as Record<string, unknown>;
      expect(validate(o) ? [] : validate.errors, l.slice(0, 80)).toEqual([]);
      expect(o.kind).toBe('line');
      if ('code' in o) expect(typeof o.code).toBe('number');
      if ('enhanced' in o) expect(typeof o.enhanced).toBe('string');
      expect(typeof o.reason).toBe('string');
    }
    expect(validate({ ...(JSON.parse(lines[0] as string) as object), code: '550' })).toBe(false);
  });
});
