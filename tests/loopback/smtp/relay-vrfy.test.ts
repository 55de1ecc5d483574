// The open-relay test and VRFY/EXPN exposure against scripted servers that record every
// command: an open relay (every variant accepted, RSET after each, never DATA), a closed one,
// one that refuses foreign senders, one that hangs up mid-test, and VRFY/EXPN answers.
import { describe, expect, it } from 'vitest';
import { relayVariants, RELAY_DATA } from '../../../src/smtp/relay-test.js';
import { session, TLS, withServer } from '../../helpers/smtp.js';

const RELAY = { relayTest: { localDomain: 'script.test' } };

/** The commands of the relay test: everything after the main transaction's RCPT. */
function relayPart(received: string[]): string[] {
  const i = received.indexOf('RCPT TO:<bob@script.test>');
  return received.slice(i + 1);
}

describe('--relay-test', () => {
  it('an open relay: every variant accepted and reported, RSET after each, never DATA, the verdict ground untouched', async () => {
    await withServer({ catchAll: true }, {}, async (s) => {
      const r = await session(s, RELAY);
      expect(r.outcome).toMatchObject({ kind: 'ok', stage: 'rcpt' });
      const rt = r.relayTest!;
      expect(rt.status).toBe('open');
      expect(rt.variants.length).toBe(RELAY_DATA.variants.length);
      expect(rt.variants.every((v) => v.result === 'accepted' && v.rcptReply?.code === 250 && v.rset?.code === 250)).toBe(true);
      const ids = rt.variants.map((v) => v.id);
      expect(ids).toEqual(expect.arrayContaining(['plain', 'null-sender', 'percent-hack', 'source-route', 'quoted-at-local', 'bang-path']));
      // The wire: RSET closing the main transaction, then MAIL, RCPT, RSET per variant, then QUIT.
      const part = relayPart(s.received);
      expect(part[0]).toBe('RSET');
      const groups = part.slice(1, -1);
      expect(part.at(-1)).toBe('QUIT');
      expect(groups.length).toBe(rt.variants.length * 3);
      rt.variants.forEach((v, i) => {
        expect(groups[i * 3]).toBe(`MAIL FROM:<${v.from}>`);
        expect(groups[i * 3 + 1]).toBe(`RCPT TO:<${v.rcpt}>`);
        expect(groups[i * 3 + 2]).toBe('RSET');
      });
      expect(s.received).toContain('RCPT TO:<relay-test%example.net@script.test>');
      expect(s.received).toContain('RCPT TO:<@script.test:relay-test@example.net>');
      expect(s.received).toContain('RCPT TO:<"relay-test@example.net"@script.test>');
      expect(s.received).toContain('RCPT TO:<example.net!relay-test@script.test>');
      expect(s.received).toContain('MAIL FROM:<>');
      // The transcript marks the relay steps as such.
      expect(r.steps.filter((x) => x.part === 'relay-test').length).toBe(1 + rt.variants.length * 3);
    });
  });

  it('a closed relay: every variant refused (554 relay access denied), status closed', async () => {
    await withServer({ users: ['bob'], rules: [{ match: 'RCPT TO:.*example\\.net', reply: { lines: ['554 5.7.1 <relay-test@example.net>: Relay access denied'] } }] }, {}, async (s) => {
      const r = await session(s, RELAY);
      expect(r.relayTest?.status).toBe('closed');
      expect(r.relayTest?.variants.every((v) => v.result === 'refused' && v.rcptReply?.code === 554)).toBe(true);
      expect(r.outcome.kind).toBe('ok');
      expect(s.received.at(-1)).toBe('QUIT');
    });
  });

  it('refused foreign senders are said (sender-refused); the variants that reach RCPT decide', async () => {
    await withServer({ users: ['bob'], rules: [
      { match: '^MAIL FROM:<relay-test@example\\.org>', reply: { lines: ['550 5.7.1 sender domain not allowed'] } },
      { match: 'RCPT TO:.*example\\.net', reply: { lines: ['550 5.7.1 relaying denied'] } },
    ] }, {}, async (s) => {
      const r = await session(s, RELAY);
      const by = Object.fromEntries(r.relayTest!.variants.map((v) => [v.id, v.result]));
      expect(by).toMatchObject({ plain: 'sender-refused', 'null-sender': 'refused', 'local-sender': 'refused', 'percent-hack': 'sender-refused' });
      expect(r.relayTest?.status).toBe('closed');
      // RSET after a refused MAIL too.
      const part = relayPart(s.received);
      expect(part.filter((l) => l === 'RSET').length).toBe(1 + r.relayTest!.variants.length);
    });
  });

  it('a server hanging up mid-test: incomplete, the rest not run, the main outcome kept', async () => {
    await withServer({ users: ['bob'], rules: [{ match: 'RCPT TO:.*example\\.net', afterPerConnection: 1, reply: { lines: ['421 4.7.0 too many errors'], close: 'end' } }, { match: 'RCPT TO:.*example\\.net', reply: { lines: ['554 5.7.1 Relay access denied'] } }] }, {}, async (s) => {
      const r = await session(s, RELAY);
      expect(r.outcome).toMatchObject({ kind: 'ok', stage: 'rcpt' });
      expect(r.relayTest?.status).toBe('incomplete');
      expect(r.relayTest?.reason).toMatch(/421/);
      expect(r.relayTest?.variants.filter((v) => v.result === 'not-run').length).toBe(RELAY_DATA.variants.length - 2);
      expect(s.received.at(-1)).not.toBe('QUIT');
    });
  });

  it('is skipped with its reason on an authenticated session or after --quit-after', async () => {
    await withServer({ users: ['bob'] }, {}, async (s) => {
      const r = await session(s, { ...RELAY, quitAfter: 'ehlo' });
      expect(r.relayTest).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/--quit-after/) });
      expect(s.received.some((l) => /relay-test/.test(l))).toBe(false);
    });
    await withServer({ catchAll: true, auth: { mechanisms: ['PLAIN'], users: { alice: 'pw-123456' } } }, { tls: TLS }, async (s) => {
      const r = await session(s, { ...RELAY, auth: { user: 'alice', password: 'pw-123456' } });
      expect(r.auth?.status).toBe('ok');
      expect(r.relayTest).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/authenticated/) });
      expect(s.received.some((l) => /relay-test/.test(l))).toBe(false);
    });
  });

  it('variants for an IP target use the address literal, without duplicates', () => {
    const v = relayVariants('[192.0.2.1]', '192.0.2.1');
    const rcpts = v.map((x) => x.rcpt);
    expect(new Set(rcpts.map((r, i) => `${v[i]!.from}|${r}`)).size).toBe(v.length);
    expect(rcpts).toContain('relay-test%example.net@[192.0.2.1]');
    expect(relayVariants('[IPv6:2001:db8::1]', '2001:db8::1').map((x) => x.rcpt)).toContain('relay-test%example.net@[IPv6:2001:db8::1]');
  });
});

describe('VRFY / EXPN exposure', () => {
  it('250/251 leak, 252 cannot verify, 502 disabled, 550 refused; never changes the outcome', async () => {
    await withServer({ users: ['bob'], rules: [
      { match: '^VRFY bob', reply: { lines: ['250 2.0.0 Bob Example <bob@script.test>'] } },
      { match: '^VRFY carol', reply: { lines: ['252 2.0.0 Cannot VRFY user, but will accept message'] } },
      { match: '^VRFY dave', reply: { lines: ['550 5.1.1 no such user'] } },
      { match: '^EXPN staff', reply: { lines: ['250-Ann <ann@script.test>', '250 Bob <bob@script.test>'] } },
    ] }, {}, async (s) => {
      const r = await session(s, { vrfy: ['bob', 'carol', 'dave', 'erin'], expn: ['staff'] });
      expect(r.exposure?.map((e) => [e.command, e.argument, e.result])).toEqual([
        ['VRFY', 'bob', 'leaks'], ['VRFY', 'carol', 'cannot-verify'], ['VRFY', 'dave', 'refused'], ['VRFY', 'erin', 'disabled'],
        ['VRFY', expect.stringMatching(/^smtp-probe-no-such-user-[0-9a-f]{10}$/), 'disabled'], ['EXPN', 'staff', 'leaks'],
      ]);
      expect(r.exposure?.filter((e) => e.control).length).toBe(1);
      expect(r.outcome.kind).toBe('ok');
      expect(s.received.filter((l) => /^(VRFY|EXPN)/.test(l))).toEqual(['VRFY bob', 'VRFY carol', 'VRFY dave', 'VRFY erin', expect.stringMatching(/^VRFY smtp-probe-no-such-user-/), 'EXPN staff']);
    });
  });

  it('252 for a known user but 550 for a name that cannot exist (Postfix\'s default) tells users apart: discriminates', async () => {
    await withServer({ users: ['bob'], rules: [
      { match: '^VRFY bob$', reply: { lines: ['252 2.0.0 bob'] } },
      { match: '^VRFY', reply: { lines: ['550 5.1.1 <x>: Recipient address rejected: User unknown in local recipient table'] } },
    ] }, {}, async (s) => {
      const r = await session(s, { vrfy: ['bob'] });
      expect(r.exposure?.[0]).toMatchObject({ argument: 'bob', result: 'discriminates', message: expect.stringMatching(/252 for bob but 550 for smtp-probe-no-such-user-/) });
    });
    await withServer({ rules: [{ match: '^VRFY', reply: { lines: ['252 2.0.0 Cannot VRFY user'] } }] }, {}, async (s) => {
      const r = await session(s, { vrfy: ['bob'] });
      expect(r.exposure?.[0]?.result).toBe('cannot-verify');
    });
  });
});

describe('relay variants data', () => {
  it('every variant can be written for a domain, an IPv4 and an IPv6 literal, and uses reserved foreign domains only', async () => {
    const { formatRawPath } = await import('../../../src/smtp/command.js');
    for (const [local, ip] of [['example.com', '192.0.2.1'], ['[192.0.2.1]', '192.0.2.1'], ['[IPv6:2001:db8::1]', '2001:db8::1']] as const) {
      for (const v of relayVariants(local, ip)) {
        expect(() => formatRawPath('MAIL', v.from), `${v.id} ${v.from}`).not.toThrow();
        expect(() => formatRawPath('RCPT', v.rcpt), `${v.id} ${v.rcpt}`).not.toThrow();
        expect(v.rcpt).toMatch(/example\.net/);
        expect(v.from === '' || /@(example\.org|example\.com|\[)/.test(v.from)).toBe(true);
      }
    }
  });
});
