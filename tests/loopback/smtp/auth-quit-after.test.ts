// SMTP AUTH (PLAIN, LOGIN, SCRAM-SHA-1/256) and --quit-after against the scripted server over
// real loopback sockets: right and wrong passwords, 535/538, plaintext refusal, a server that
// cannot prove it knows the password, and the last command before QUIT at every stage.
import { describe, expect, it } from 'vitest';
import type { ScriptAuth } from '../../../src/demo/sasl-server.js';
import { saslClient, secretForms } from '../../../src/smtp/sasl.js';
import type { QuitAfter, SessionResult } from '../../../src/smtp/session-types.js';
import { session, TLS, withServer } from '../../helpers/smtp.js';

const PASSWORD = 'S3cr3t-p4ss:word';
const AUTH: ScriptAuth = { mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN', 'LOGIN'], users: { alice: PASSWORD } };

/** Every form of the secret that must never appear in a result. */
function expectNoSecret(r: SessionResult, password = PASSWORD): void {
  const text = JSON.stringify(r);
  for (const f of [...secretForms({ user: 'alice', password }), password]) expect(text).not.toContain(f);
}

describe('SMTP AUTH', () => {
  for (const mechanism of ['PLAIN', 'LOGIN', 'SCRAM-SHA-256', 'SCRAM-SHA-1']) {
    it(`${mechanism}: the right password logs in, the wrong one is a 535 failure; nothing secret is kept`, async () => {
      await withServer({ users: ['bob'], auth: AUTH }, { tls: TLS }, async (s) => {
        const ok = await session(s, { auth: { user: 'alice', password: PASSWORD, mechanism } });
        expect(ok.auth).toMatchObject({ status: 'ok', mechanism, offered: AUTH.mechanisms });
        expect(ok.outcome.kind).toBe('ok');
        if (mechanism.startsWith('SCRAM')) expect(ok.auth?.serverVerified).toBe(true);
        const authLines = ok.steps.filter((x) => x.stage === 'auth').map((x) => x.sent);
        expect(authLines[0]).toMatch(new RegExp(`^AUTH ${mechanism}( <redacted>)?$`));
        for (const l of authLines.slice(1)) expect(l).toMatch(/^(<redacted>|)$/);
        expectNoSecret(ok);
        // MAIL follows a successful AUTH, inside TLS.
        expect(s.received.slice(-4)).toEqual(['MAIL FROM:<>', 'RCPT TO:<bob@script.test>', 'RSET', 'QUIT']);

        const bad = await session(s, { auth: { user: 'alice', password: 'wrong-password', mechanism } });
        expect(bad.auth?.status).toBe('failed');
        expect(bad.outcome).toMatchObject({ kind: 'rejected', stage: 'auth' });
        expect(bad.outcome.reply?.code).toBe(535);
        expect(bad.outcome.message).toMatch(/wrong/);
        expectNoSecret(bad, 'wrong-password');
        expect(s.received.at(-1)).toBe('QUIT');
        expect(s.received.slice(-4)).not.toContain('MAIL FROM:<>');
      });
    });
  }

  it('chooses the strongest mechanism offered (SCRAM-SHA-256 before PLAIN and LOGIN)', async () => {
    await withServer({ auth: { ...AUTH, mechanisms: ['LOGIN', 'PLAIN', 'SCRAM-SHA-256'] } }, { tls: TLS }, async (s) => {
      const r = await session(s, { auth: { user: 'alice', password: PASSWORD } });
      expect(r.auth).toMatchObject({ mechanism: 'SCRAM-SHA-256', status: 'ok', serverVerified: true });
    });
  });

  it('a SCRAM server whose signature is wrong is caught: the exchange is cancelled with *', async () => {
    await withServer({ auth: { ...AUTH, badServerSignature: true } }, { tls: TLS }, async (s) => {
      const r = await session(s, { auth: { user: 'alice', password: PASSWORD, mechanism: 'SCRAM-SHA-256' } });
      expect(r.auth).toMatchObject({ status: 'server-not-verified', serverVerified: false });
      expect(r.outcome).toMatchObject({ kind: 'protocol', stage: 'auth' });
      expect(s.received).toContain('*');
      expect(s.received).not.toContain('MAIL FROM:<>');
    });
  });

  it('refuses to send credentials over plaintext unless allowed; 538 is explained', async () => {
    await withServer({ auth: { ...AUTH, plaintext538: true } }, {}, async (s) => {
      const r = await session(s, { auth: { user: 'alice', password: PASSWORD } });
      expect(r.auth?.status).toBe('plaintext-refused');
      expect(r.outcome).toMatchObject({ kind: 'tls', stage: 'auth' });
      expect(r.outcome.message).toMatch(/not encrypted.*--auth-plaintext/);
      expect(s.received.some((l) => /^AUTH/i.test(l))).toBe(false);

      const forced = await session(s, { auth: { user: 'alice', password: PASSWORD, allowPlaintext: true, mechanism: 'PLAIN' } });
      expect(forced.auth?.status).toBe('encryption-required');
      expect(forced.outcome).toMatchObject({ kind: 'rejected', stage: 'auth' });
      expect(forced.outcome.reply?.code).toBe(538);
      expect(forced.outcome.message).toMatch(/encrypted session/);
      expectNoSecret(forced);
    });
  });

  it('AUTH offered only after STARTTLS: sent inside TLS; none offered at all is said', async () => {
    await withServer({ auth: { ...AUTH, tlsOnly: true } }, { tls: TLS }, async (s) => {
      const r = await session(s, { auth: { user: 'alice', password: PASSWORD, mechanism: 'LOGIN' } });
      expect(r.auth?.status).toBe('ok');
      expect(r.steps.filter((x) => x.stage === 'auth').every((x) => x.tls)).toBe(true);
    });
    await withServer({ users: ['bob'] }, { tls: TLS }, async (s) => {
      const r = await session(s, { auth: { user: 'alice', password: PASSWORD } });
      expect(r.auth?.status).toBe('not-offered');
      expect(r.outcome).toMatchObject({ kind: 'rejected', stage: 'auth' });
      expect(s.received.some((l) => /^AUTH/i.test(l))).toBe(false);
      // Optional (port 25 under --port all): said in the notes, and the dialogue goes on.
      const o = await session(s, { auth: { user: 'alice', password: PASSWORD, optional: true } });
      expect(o.auth?.status).toBe('not-offered');
      expect(o.outcome).toMatchObject({ kind: 'ok', stage: 'rcpt' });
      expect(o.notes.join(' ')).toMatch(/does not offer AUTH/);
    });
  });

  it('a server echoing the password in its reply has it scrubbed', async () => {
    const echo = Buffer.from(`\0alice\0${PASSWORD}`).toString('base64');
    await withServer({ auth: AUTH, rules: [{ match: '^AUTH PLAIN', reply: { lines: [`535 5.7.8 bad credentials ${echo} (${PASSWORD})`] } }] }, { tls: TLS }, async (s) => {
      const r = await session(s, { auth: { user: 'alice', password: PASSWORD, mechanism: 'PLAIN' } });
      expect(r.auth?.status).toBe('failed');
      expectNoSecret(r);
      expect(r.outcome.reply?.text).toContain('<redacted>');
    });
  });

  it('hostile AUTH servers: endless 334 challenges are cancelled, a code AUTH cannot get is a protocol error, a drop mid-exchange is said', async () => {
    await withServer({ auth: AUTH, rules: [{ match: '.*', tls: true, reply: { lines: ['334 VXNlcm5hbWU6'] } }] }, { tls: TLS }, async (s) => {
      // Every line inside TLS gets 334, even EHLO: the session cannot even start.
      const r = await session(s, { auth: { user: 'alice', password: PASSWORD, mechanism: 'LOGIN' } });
      expect(r.outcome.kind).toBe('protocol');
      expectNoSecret(r);
    });
    await withServer({ auth: AUTH, rules: [{ match: '^(AUTH|[A-Za-z0-9+/=]+$)', tls: true, reply: { lines: ['334 UGFzc3dvcmQ6'] } }] }, { tls: TLS }, async (s) => {
      const r = await session(s, { auth: { user: 'alice', password: PASSWORD, mechanism: 'LOGIN' } });
      expect(r.auth?.status).toBe('error');
      expect(r.outcome).toMatchObject({ kind: 'protocol', stage: 'auth' });
      expect(r.outcome.message).toMatch(/asked for more/);
      expect(s.received.filter((l) => l === '*').length).toBe(1);
      expect(s.received.filter((l) => !/^(EHLO|STARTTLS|AUTH|\*)/.test(l)).length).toBe(2); // user name and password lines only
      expectNoSecret(r);
    });
    await withServer({ auth: AUTH, rules: [{ match: '^AUTH', reply: { lines: ['250 2.0.0 fine'] } }] }, { tls: TLS }, async (s) => {
      const r = await session(s, { auth: { user: 'alice', password: PASSWORD, mechanism: 'PLAIN' } });
      expect(r.outcome).toMatchObject({ kind: 'protocol', stage: 'auth' });
      expect(r.outcome.message).toMatch(/cannot get/);
      expectNoSecret(r);
    });
    await withServer({ auth: AUTH, rules: [{ match: '^AUTH', reply: { lines: ['334 '], close: 'end' } }] }, { tls: TLS }, async (s) => {
      const r = await session(s, { auth: { user: 'alice', password: PASSWORD, mechanism: 'LOGIN' } });
      expect(r.outcome).toMatchObject({ kind: 'network', stage: 'auth' });
      expect(r.auth?.status).toBe('error');
      expectNoSecret(r);
    });
  });

  it('SCRAM client: refuses a nonce that does not extend its own and an absurd iteration count', () => {
    const c = saslClient('SCRAM-SHA-256', { user: 'a', password: 'b' }, { nonce: 'abc' });
    c.initial();
    const bad = c.challenge(Buffer.from('r=xyz123,s=c2FsdA==,i=4096').toString('base64'));
    expect(bad).toMatchObject({ cancel: expect.stringMatching(/nonce/) });
    const c2 = saslClient('SCRAM-SHA-256', { user: 'a', password: 'b' }, { nonce: 'abc' });
    expect(c2.challenge(Buffer.from('r=abc123,s=c2FsdA==,i=99999999').toString('base64'))).toMatchObject({ cancel: expect.stringMatching(/iterations/) });
  });

  it('SCRAM-SHA-256 matches the RFC 7677 §3 test vector', () => {
    const c = saslClient('SCRAM-SHA-256', { user: 'user', password: 'pencil' }, { nonce: 'rOprNGfwEbeRWgbNEkqO' });
    expect(Buffer.from(c.initial() ?? '', 'base64').toString()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
    const step = c.challenge(Buffer.from(serverFirst).toString('base64'));
    expect('send' in step && Buffer.from(step.send, 'base64').toString()).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    const fin = c.challenge(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=').toString('base64'));
    expect(fin).toEqual({ send: '' });
    expect(c.serverVerified).toBe(true);
  });
});

describe('--quit-after', () => {
  const cases: [QuitAfter, string, string][] = [
    ['connect', 'banner', ''],
    ['banner', 'banner', ''],
    ['tls', 'tls-handshake', 'STARTTLS'],
    ['ehlo', 'ehlo', 'EHLO probe.example.net'],
    ['auth', 'auth', '<auth>'],
    ['mail', 'mail', 'MAIL FROM:<>'],
    ['rcpt', 'rcpt', 'RCPT TO:<bob@script.test>'],
  ];
  for (const [q, stage, lastBeforeQuit] of cases) {
    it(`${q}: stops at ${stage} and sends QUIT right after ${lastBeforeQuit || 'the banner'}`, async () => {
      await withServer({ users: ['bob'], auth: AUTH }, { tls: TLS }, async (s) => {
        const r = await session(s, { quitAfter: q, ...(q === 'auth' ? { auth: { user: 'alice', password: PASSWORD, mechanism: 'PLAIN' } } : {}) });
        expect(r.stoppedAfter).toBe(q);
        expect(r.outcome).toMatchObject({ kind: 'ok', stage });
        expect(s.received.at(-1)).toBe('QUIT');
        const before = s.received.at(-2);
        if (lastBeforeQuit === '') expect(s.received).toEqual(['QUIT']);
        else if (lastBeforeQuit === '<auth>') expect(before).toMatch(/^AUTH PLAIN /);
        else expect(before).toBe(lastBeforeQuit);
        expect(s.received).not.toContain('RSET');
      });
    });
  }

  it('a refusal before the stop still decides: a refused MAIL with --quit-after rcpt is rejected at mail', async () => {
    await withServer({ rules: [{ match: '^MAIL', reply: { lines: ['550 5.7.1 sender refused'] } }] }, {}, async (s) => {
      const r = await session(s, { quitAfter: 'rcpt' });
      expect(r.outcome).toMatchObject({ kind: 'rejected', stage: 'mail' });
      expect(s.received.at(-1)).toBe('QUIT');
    });
  });
});
