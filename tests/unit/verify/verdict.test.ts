// The verdict table: which replies mean "no such mailbox", which are refusals for other
// reasons (unknown, never undeliverable), greylisting and its hint, full or disabled
// mailboxes, catch-all, DNS outcomes; and the single-address exit codes built on them.
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../../src/smtp/reply-parser.js';
import { decideDns, decideMail, decideRcpt, decideSession, decideSyntax, isTooManyRecipients } from '../../../src/verify/verdict.js';
import { resultOf } from '../../../src/verify/run-verify.js';
import { exitCodeForResult } from '../../../src/cli/commands/verify.js';

const reply = (code: number, text: string, enhanced?: string): Reply => ({ code, text, lines: [text], ...(enhanced ? { enhanced } : {}) });
const flags = { role: false, disposable: false, free: false };
const exit = (d: ReturnType<typeof decideRcpt>): number => exitCodeForResult(resultOf('bob@example.com', undefined, d, flags));

describe('decideRcpt', () => {
  const TABLE: [Reply, string, string, number][] = [
    [reply(250, 'Ok', '2.1.5'), 'deliverable', 'accepted', 0],
    [reply(550, '<x@example.com>: Recipient address rejected: User unknown in local recipient table', '5.1.1'), 'undeliverable', 'userunknown', 6],
    [reply(550, 'No such user here'), 'undeliverable', 'userunknown', 6],
    [reply(554, "delivery error: dd This user doesn't have a yahoo.com account"), 'undeliverable', 'userunknown', 6],
    [reply(551, 'User has moved', '5.1.6'), 'undeliverable', 'hasmoved', 6],
    [reply(550, 'Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org', '5.7.1'), 'unknown', 'blocked', 5],
    [reply(550, 'Message rejected due to local policy', '5.7.1'), 'unknown', 'policyviolation', 5],
    [reply(554, 'Relay access denied', '5.7.1'), 'unknown', 'norelaying', 5],
    [reply(451, 'Greylisted, please try again in 300 seconds', '4.7.1'), 'unknown', 'greylisted', 7],
    [reply(450, 'Rate limit exceeded, slow down', '4.7.1'), 'unknown', 'speeding', 7],
    [reply(452, 'Mailbox full', '4.2.2'), 'risky', 'mailboxfull', 7],
    [reply(552, 'Mailbox full', '5.2.2'), 'risky', 'mailboxfull', 5],
    [reply(550, 'The email account that you tried to reach is disabled.', '5.2.1'), 'risky', 'suspend', 5],
  ];
  for (const [r, verdict, reason, code] of TABLE) {
    it(`${r.code} ${r.enhanced ?? ''} "${r.text.slice(0, 40)}" → ${verdict} (${reason}), exit ${code}`, () => {
      const d = decideRcpt(r, false, 'mx.example.com');
      expect(d).toMatchObject({ verdict, reason, mx: 'mx.example.com', stage: 'rcpt', reply: { code: r.code, text: r.text } });
      expect(d.temporary).toBe(r.code >= 400 && r.code < 500);
      expect(exit(d)).toBe(code);
    });
  }
  it('no 5xx that is not about the mailbox is ever undeliverable', () => {
    for (const text of ['Access denied', 'Sender address rejected', 'SPF check failed', 'Your IP has a poor reputation', 'Rejected', '']) {
      const d = decideRcpt(reply(550, text, '5.7.1'), null, 'mx');
      expect(d.verdict, text).not.toBe('undeliverable');
    }
  });
  it('greylisting carries the retry hint', () => {
    expect(decideRcpt(reply(451, 'Greylisted, please try again in 300 seconds', '4.7.1'), null, 'mx')).toMatchObject({ retryAfterSeconds: 300 });
  });
  it('an accepted recipient at a catch-all domain is risky (exit 0: the server said yes)', () => {
    const d = decideRcpt(reply(250, 'Ok'), true, 'mx');
    expect(d).toMatchObject({ verdict: 'risky', reason: 'catchall', catchAll: true });
    expect(exit(d)).toBe(0);
    expect(decideRcpt(reply(250, 'Ok'), null, 'mx')).toMatchObject({ verdict: 'deliverable', catchAll: null });
  });
});

describe('other decisions', () => {
  it('MAIL FROM refused: unknown, nothing about the recipient', () => {
    expect(decideMail(reply(550, 'Sender rejected', '5.7.1'), 'mx', '')).toMatchObject({ verdict: 'unknown', stage: 'mail', temporary: false });
    expect(decideMail(reply(451, 'try later', '4.3.0'), 'mx', '')).toMatchObject({ verdict: 'unknown', temporary: true });
  });
  it('no server answered: network (3) or timeout (4), or the refusal of the greeting (5/7)', () => {
    const net = decideSession({ kind: 'network', stage: 'connect', message: 'connection refused' }, null, 2);
    expect(net).toMatchObject({ verdict: 'unknown', reason: 'networkerror', stage: 'connect', temporary: true });
    expect(net.message).toMatch(/port 25/);
    expect(exit(net)).toBe(3);
    expect(exit(decideSession({ kind: 'timeout', stage: 'banner', message: 'timed out' }, 'mx', 1))).toBe(4);
    const banner = decideSession({ kind: 'rejected', stage: 'banner', message: 'refused to talk', reply: reply(554, 'Your IP is listed', '5.7.1') }, 'mx', 1);
    expect(banner).toMatchObject({ verdict: 'unknown', temporary: false, reply: { code: 554 } });
    expect(exit(banner)).toBe(5);
    expect(exit(decideSession({ kind: 'deferred', stage: 'banner', message: 'busy', reply: reply(421, 'Too many connections', '4.7.0') }, 'mx', 1))).toBe(7);
  });
  it('DNS: null MX (exit 5), NXDOMAIN (6), SERVFAIL (3)', () => {
    const base = { domain: 'example.com', hosts: [], omittedHosts: 0, limits: { maxHosts: 10, maxAddressesPerHost: 5 }, notes: [] };
    const nullMx = decideDns({ ...base, kind: 'null-mx' });
    expect(nullMx).toMatchObject({ verdict: 'undeliverable', reason: 'notaccept' });
    expect(exit(nullMx)).toBe(5);
    const nx = decideDns({ ...base, kind: 'dns-error', error: { code: 'ENOTFOUND', message: 'the domain example.com does not exist (NXDOMAIN)' } });
    expect(nx).toMatchObject({ verdict: 'undeliverable', reason: 'hostunknown' });
    expect(exit(nx)).toBe(6);
    const sf = decideDns({ ...base, kind: 'dns-error', error: { code: 'ESERVFAIL', message: 'SERVFAIL' } });
    expect(sf).toMatchObject({ verdict: 'unknown', reason: 'networkerror', temporary: true });
    expect(exit(sf)).toBe(3);
  });
  it('syntax: undeliverable, exit 2', () => {
    expect(exit(decideSyntax('bad'))).toBe(2);
  });
  it('isTooManyRecipients: 452 4.5.3 or its words, never a full mailbox', () => {
    expect(isTooManyRecipients(reply(452, 'Too many recipients', '4.5.3'))).toBe(true);
    expect(isTooManyRecipients(reply(452, 'Error: too many recipients'))).toBe(true);
    expect(isTooManyRecipients(reply(452, 'Mailbox full', '4.2.2'))).toBe(false);
    expect(isTooManyRecipients(reply(550, 'too many recipients'))).toBe(false);
  });
});
