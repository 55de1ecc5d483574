// Outcome judging as pure functions: the expected-reply table, one reply against its
// command, a whole MAIL/RCPT flight (a shifted reply voids the flight), the farewell sync.
import { describe, expect, it } from 'vitest';
import { EXPECTED_REPLIES, fitReply } from '../../../src/smtp/expected-replies.js';
import { judgeFarewell, judgeFlight, replyOutcome, type Read } from '../../../src/smtp/judge.js';
import type { Reply } from '../../../src/smtp/reply-parser.js';

const reply = (code: number, text = 'x', extra: Partial<Reply> = {}): Reply => ({ code, lines: [text], text, ...extra });
const peer = 'mx.test[127.0.0.1]:25';
const mail = (code: number): Read => ({ stage: 'mail', expecting: 'MAIL', reply: reply(code) });
const rcpt = (address: string, code?: number, failure?: Read['failure']): Read => ({ stage: 'rcpt', expecting: 'RCPT', address, ...(code ? { reply: reply(code) } : {}), ...(failure ? { failure } : {}) });

describe('the expected-reply table', () => {
  it('every entry names its RFC section, and 421 fits every command as "closing"', () => {
    for (const [k, e] of Object.entries(EXPECTED_REPLIES)) {
      expect(e.source, k).toMatch(/RFC \d+ §/);
      expect(fitReply(k as keyof typeof EXPECTED_REPLIES, { code: 421 })).toBe('closing');
    }
  });
  it('positive codes are strict; 3xx never fits MAIL, RCPT, EHLO; sync commands are strict on refusals too', () => {
    expect(fitReply('RCPT', { code: 250 })).toBe('success');
    expect(fitReply('RCPT', { code: 251 })).toBe('success');
    for (const c of [220, 221, 252, 354, 334]) expect(fitReply('RCPT', { code: c }), String(c)).toBe('impossible');
    expect(fitReply('MAIL', { code: 354 })).toBe('impossible');
    expect(fitReply('STARTTLS', { code: 250 })).toBe('impossible');
    expect(fitReply('RCPT', { code: 554 })).toBe('refusal');
    expect(fitReply('RCPT', { code: 599 })).toBe('refusal'); // unknown 5xx: first digit (RFC 5321 §4.2.1)
    expect(fitReply('RSET', { code: 550 })).toBe('impossible');
    expect(fitReply('QUIT', { code: 250 })).toBe('impossible');
    expect(fitReply('NOOP', { code: 452 })).toBe('impossible');
    expect(fitReply('RCPT', { code: 250, untrusted: true })).toBe('malformed');
  });
});

describe('replyOutcome', () => {
  it('354 to RCPT says protocol violation, never acceptance', () => {
    const o = replyOutcome(peer, 'rcpt', 'RCPT', reply(354), 'the recipient <a@b>');
    expect(o).toMatchObject({ kind: 'protocol', stage: 'rcpt', stray: { code: 354 } });
    expect(o?.message).toMatch(/not an acceptance/);
  });
  it('421 is deferred with the reply kept', () => {
    expect(replyOutcome(peer, 'starttls', 'STARTTLS', reply(421, 'busy'), 'STARTTLS')).toMatchObject({ kind: 'deferred', reply: { code: 421 } });
  });
  it('a malformed reply is a protocol error that quotes the problem', () => {
    const o = replyOutcome(peer, 'ehlo', 'EHLO', reply(250, 'x', { malformed: true, untrusted: true, problem: 'line 2 carried code 220 instead of 250' }), 'EHLO');
    expect(o?.message).toMatch(/malformed reply to EHLO \(line 2 carried code 220/);
  });
});

describe('judgeFlight', () => {
  it('all accepted: ok; a refusal: rejected at that recipient', () => {
    expect(judgeFlight({ peer, port: 25, from: '', reads: [mail(250), rcpt('a@b', 250), rcpt('c@d', 250)] }).outcome).toMatchObject({ kind: 'ok', message: expect.stringMatching(/accepted all 2/) });
    const j = judgeFlight({ peer, port: 25, from: '', reads: [mail(250), rcpt('a@b', 550), rcpt('c@d', 250)] });
    expect(j.outcome).toMatchObject({ kind: 'rejected', stage: 'rcpt' });
    expect(j.rcpts.map((r) => r.accepted)).toEqual([false, true]);
    expect(j.transactionOpen).toBe(true);
  });
  it('a reply its command cannot get anywhere in the flight voids every answer of it', () => {
    const j = judgeFlight({ peer, port: 25, from: '', reads: [mail(250), rcpt('a@b', 250), rcpt('c@d', 221)] });
    expect(j.desync).toBe(true);
    expect(j.rcpts).toEqual([]);
    expect(j.mail).toBeUndefined();
    expect(j.outcome.kind).toBe('protocol');
  });
  it('one reply too many after the flight voids it as well', () => {
    const j = judgeFlight({ peer, port: 25, from: '', reads: [mail(250), rcpt('a@b', 250)], after: { kind: 'protocol', message: 'the server sent a reply nobody asked for', unsolicited: reply(550), idle: true }, before: 'ehlo' });
    expect(j).toMatchObject({ desync: true, rcpts: [], outcome: { kind: 'protocol' } });
    expect(j.outcome.message).toMatch(/nobody asked for, after RCPT TO: "550 x"/);
  });
  it('421 at the first RCPT: deferred, MAIL and the 421 kept', () => {
    const j = judgeFlight({ peer, port: 25, from: '', reads: [mail(250), rcpt('a@b', 421), rcpt('c@d')] });
    expect(j.outcome).toMatchObject({ kind: 'deferred', stage: 'rcpt', reply: { code: 421 } });
    expect(j.mail?.code).toBe(250);
    expect(j.rcpts).toEqual([{ address: 'a@b', accepted: false, reply: reply(421) }]);
  });
  it('a refused MAIL stays the verdict when the RCPT replies never come', () => {
    const j = judgeFlight({ peer, port: 25, from: 'x@y', reads: [mail(550), rcpt('a@b', undefined, { kind: 'closed', message: 'closed' })] });
    expect(j.outcome).toMatchObject({ kind: 'rejected', stage: 'mail' });
    expect(j.transactionOpen).toBe(false);
  });
  it('a refusal then a close: the refusal, with the close said', () => {
    const j = judgeFlight({ peer, port: 25, from: '', reads: [mail(250), rcpt('a@b', 550), rcpt('c@d', undefined, { kind: 'closed', message: 'closed' })] });
    expect(j.outcome).toMatchObject({ kind: 'rejected', stage: 'rcpt' });
    expect(j.outcome.message).toMatch(/then the connection closed/);
  });
  it('a timeout with nothing refused is a timeout of that stage', () => {
    expect(judgeFlight({ peer, port: 25, from: '', reads: [mail(250), rcpt('a@b', undefined, { kind: 'timeout', message: 't' })] }).outcome).toMatchObject({ kind: 'timeout', stage: 'rcpt' });
  });
});

describe('judgeFarewell', () => {
  it('221 to QUIT and 250 to RSET are in step; timeouts and closes are fine', () => {
    expect(judgeFarewell(peer, 25, [{ stage: 'rset', expecting: 'RSET', reply: reply(250) }, { stage: 'quit', expecting: 'QUIT', reply: reply(221) }])).toBeUndefined();
    expect(judgeFarewell(peer, 25, [{ stage: 'quit', expecting: 'QUIT', failure: { kind: 'closed', message: 'c' } }])).toBeUndefined();
  });
  it('a shifted reply shows as a code QUIT or RSET cannot get', () => {
    expect(judgeFarewell(peer, 25, [{ stage: 'rset', expecting: 'RSET', reply: reply(250) }, { stage: 'quit', expecting: 'QUIT', reply: reply(250) }])).toMatchObject({ kind: 'protocol', stage: 'quit' });
    expect(judgeFarewell(peer, 25, [{ stage: 'rset', expecting: 'RSET', reply: reply(550) }])?.message).toMatch(/cannot be trusted/);
  });
});
