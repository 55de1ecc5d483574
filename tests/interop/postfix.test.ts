// Interoperability with a real Postfix (Debian's package) on its own loopback address, set up by
// .ci/setup-peers.sh: 25 with STARTTLS, 587 submission (STARTTLS required, no AUTH), 465
// implicit TLS, mailbox alice@interop.test. The replies asserted are Postfix's own words.
// Skipped (one line from the interop reporter) when the peer is absent, unless SMTP_PROBE_INTEROP=1:
// then every test fails with the reason, so CI cannot pass without them.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runSession, type SessionOptions, type SessionResult } from '../../src/smtp/session.js';
import { connectTransport } from '../../src/smtp/transport.js';
import { TLS } from '../helpers/smtp.js';
import {
  countsKey, expectedCounts, type CommandCounts, interopSkipped, loggedSessions, logOffset, POSTFIX_ADDR, POSTFIX_HOST, requirePostfix, startRelay, type Relay,
} from './peer.js';

const ALICE = 'alice@interop.test';
const sessions: SessionResult[] = [];
let offset = 0;
let banner = '';

async function run(over: Partial<SessionOptions> = {}): Promise<SessionResult> {
  const o: SessionOptions = {
    host: POSTFIX_HOST,
    address: POSTFIX_ADDR,
    port: 25,
    implicitTls: false,
    tlsMode: 'auto',
    tlsVerify: false,
    tls: { ca: TLS.ca },
    helo: 'probe.example.net',
    from: '',
    rcpts: [ALICE],
    timeoutScale: 0.5,
    runDeadline: Date.now() + 30_000,
    ...over,
  };
  const r = await runSession(o, { connect: connectTransport, now: () => Date.now() });
  sessions.push(r);
  return r;
}

const sent = (r: SessionResult): string[] => r.steps.flatMap((s) => (s.sent ? [s.sent] : []));
const stages = (r: SessionResult): string[] => r.steps.map((s) => s.stage);

let peerError: Error | undefined;
function interop(name: string, fn: () => Promise<void>): void {
  it(name, async () => {
    if (peerError) throw peerError;
    await fn();
  });
}

describe.skipIf(interopSkipped(inject('interopPeer')))(`real Postfix on ${POSTFIX_ADDR}`, () => {
  // Required but absent: every test fails with the reason and how to start the peer.
  beforeAll(async () => {
    try {
      // The offset first: requirePostfix's own session must fall inside the part we read.
      let logError: unknown;
      try {
        offset = logOffset();
      } catch (e) {
        logError = e;
      }
      banner = await requirePostfix();
      if (logError) throw logError;
    } catch (e) {
      peerError = e instanceof Error ? e : new Error(String(e));
    }
  });

  interop('port 25 without TLS (--tls none): the whole dialogue, alice accepted', async () => {
    expect(banner).toMatch(/^220 mx\.interop\.test ESMTP Postfix/);
    const r = await run({ tlsMode: 'none' });
    expect(r.outcome).toMatchObject({ kind: 'ok', stage: 'rcpt' });
    expect(r.tlsMode).toBe('none');
    expect(r.tls).toBeUndefined();
    expect(r.localAddress).toMatch(/^127\./);
    expect(r.extensions).toMatchObject({ greeting: 'mx.interop.test', starttls: true, pipelining: true, enhancedStatusCodes: true, auth: [] });
    expect(stages(r)).toEqual(['connect', 'banner', 'ehlo', 'mail', 'rcpt', 'rset', 'quit']);
    expect(r.steps.some((s) => s.tls)).toBe(false);
    expect(r.rcpts).toEqual([{ address: ALICE, accepted: true, reply: expect.objectContaining({ code: 250, enhanced: '2.1.5' }) }]);
    expect(r.steps.find((s) => s.stage === 'quit')?.reply).toMatchObject({ code: 221, enhanced: '2.0.0' });
  });

  interop('port 25 with STARTTLS: TLS 1.2+, chain trusted through the test CA, name matches', async () => {
    const r = await run({ tlsVerify: true });
    expect(r.outcome.kind).toBe('ok');
    expect(r.tlsMode).toBe('starttls');
    expect(r.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(r.tls).toMatchObject({ trusted: true, checkedName: 'mx.interop.test', nameMatches: true, expired: false });
    expect(r.tls?.chain[0]?.subjectAltNames).toContain('DNS:mx.interop.test');
    expect(r.tls?.chain[0]?.issuer).toMatch(/smtp-probe test CA/);
    expect(stages(r)).toEqual(['connect', 'banner', 'ehlo', 'starttls', 'tls-handshake', 'ehlo', 'mail', 'rcpt', 'rset', 'quit']);
    expect(r.steps.filter((s) => s.tls).map((s) => s.stage)).toEqual(['tls-handshake', 'ehlo', 'mail', 'rcpt', 'rset', 'quit']);
    expect(r.steps.find((s) => s.stage === 'starttls')?.reply).toMatchObject({ code: 220, enhanced: '2.0.0' });
    // The EHLO inside TLS is the one kept, and Postfix no longer offers STARTTLS there.
    expect(r.extensions?.starttls).toBe(false);
    expect(r.rcpts[0]).toMatchObject({ accepted: true, reply: { code: 250 } });
  });

  interop('port 25 STARTTLS certificate problems are findings, not failures', async () => {
    const untrusted = await run({ tls: {} });
    expect(untrusted.outcome.kind).toBe('ok');
    expect(untrusted.tlsMode).toBe('starttls');
    expect(untrusted.tls).toMatchObject({ trusted: false, nameMatches: true });
    expect(untrusted.tls?.trustError).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/i);
    const wrongName = await run({ host: 'mx.elsewhere.test' });
    expect(wrongName.outcome.kind).toBe('ok');
    expect(wrongName.tls).toMatchObject({ checkedName: 'mx.elsewhere.test', nameMatches: false });
    expect(wrongName.tls?.nameError).toMatch(/mx\.elsewhere\.test/);
    const verify = await run({ host: 'mx.elsewhere.test', tlsVerify: true });
    expect(verify.outcome).toMatchObject({ kind: 'tls', stage: 'tls-handshake' });
    expect(sent(verify)).not.toContain(`RCPT TO:<${ALICE}>`);
  });

  interop('port 465: implicit TLS from the first byte; RCPT without AUTH refused', async () => {
    const r = await run({ port: 465, implicitTls: true, tlsVerify: true });
    expect(r.tlsMode).toBe('implicit');
    expect(r.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(r.tls).toMatchObject({ trusted: true, nameMatches: true });
    expect(r.steps.every((s) => s.tls)).toBe(true);
    expect(stages(r)).toEqual(['connect', 'banner', 'ehlo', 'mail', 'rcpt', 'rset', 'quit']);
    expect(r.extensions?.starttls).toBe(false); // already inside TLS
    expect(r.outcome).toMatchObject({ kind: 'rejected', stage: 'rcpt' });
    expect(r.outcome.reply).toMatchObject({ code: 554, enhanced: '5.7.1' });
    expect(r.outcome.reply?.text).toMatch(/<alice@interop\.test>: Recipient address rejected: Access denied/);
  });

  interop('port 587 requires STARTTLS: MAIL in plaintext gets 530 5.7.0', async () => {
    const r = await run({ port: 587, tlsMode: 'none' });
    expect(r.extensions).toMatchObject({ starttls: true, auth: [] });
    expect(r.outcome).toMatchObject({ kind: 'rejected', stage: 'mail' });
    expect(r.outcome.reply).toMatchObject({ code: 530, enhanced: '5.7.0' });
    expect(r.outcome.reply?.text).toMatch(/Must issue a STARTTLS command first/);
    expect(r.rcpts.map((x) => x.accepted)).not.toContain(true);
  });

  interop('port 587 after STARTTLS: RCPT without AUTH refused (554 5.7.1)', async () => {
    const r = await run({ port: 587, tlsMode: 'require', tlsVerify: true });
    expect(r.tlsMode).toBe('starttls');
    expect(r.tls).toMatchObject({ trusted: true, nameMatches: true });
    expect(r.extensions?.auth).toEqual([]); // no SASL configured: nothing to authenticate with
    expect(r.steps.find((s) => s.stage === 'mail')?.reply).toMatchObject({ code: 250 });
    expect(r.outcome).toMatchObject({ kind: 'rejected', stage: 'rcpt' });
    expect(r.outcome.reply).toMatchObject({ code: 554, enhanced: '5.7.1' });
    expect(r.outcome.reply?.text).toMatch(/<alice@interop\.test>: Recipient address rejected: Access denied/);
    expect(r.rcpts).toEqual([expect.objectContaining({ address: ALICE, accepted: false })]);
  });

  interop('an unknown recipient is rejected with 550 5.1.1, the existing one accepted', async () => {
    const r = await run({ rcpts: ['nobody@interop.test', ALICE] });
    expect(r.rcpts.map((x) => [x.address, x.accepted, x.reply?.code, x.reply?.enhanced])).toEqual([
      ['nobody@interop.test', false, 550, '5.1.1'],
      [ALICE, true, 250, '2.1.5'],
    ]);
    expect(r.rcpts[0]?.reply?.text).toMatch(/User unknown in local recipient table/);
    expect(['rejected', 'no-such-user']).toContain(r.outcome.kind);
    expect(r.outcome).toMatchObject({ stage: 'rcpt', reply: { code: 550, enhanced: '5.1.1' } });
  });

  interop('relaying to another domain is refused (554 5.7.1 Relay access denied)', async () => {
    const r = await run({ rcpts: ['bob@example.org'] });
    expect(r.outcome).toMatchObject({ kind: 'rejected', stage: 'rcpt' });
    expect(r.outcome.reply).toMatchObject({ code: 554, enhanced: '5.7.1' });
    expect(r.outcome.reply?.text).toMatch(/<bob@example\.org>: Relay access denied/);
  });

  describe('PIPELINING on the wire (through a recording relay, plaintext)', () => {
    let relay: Relay;
    beforeAll(async () => {
      relay = await startRelay();
    });
    afterAll(async () => {
      await relay.close();
    });

    interop('MAIL and every RCPT go in one flight when Postfix offers PIPELINING', async () => {
      relay.chunks.length = 0;
      const rcpts = [ALICE, 'nobody@interop.test', 'postmaster@interop.test'];
      const r = await run({ address: '127.0.0.1', port: relay.port, tlsMode: 'none', rcpts });
      expect(r.extensions?.pipelining).toBe(true);
      const flight = ['MAIL FROM:<>', ...rcpts.map((a) => `RCPT TO:<${a}>`)].map((l) => `${l}\r\n`).join('');
      expect(relay.chunks).toContain(flight);
      const mail = r.steps.find((s) => s.stage === 'mail');
      const rcptSteps = r.steps.filter((s) => s.stage === 'rcpt');
      expect(rcptSteps).toHaveLength(3);
      for (const s of rcptSteps) expect(s.startedAt).toBe(mail?.startedAt);
      // Postfix answers each pipelined command in order.
      expect(r.rcpts.map((x) => x.reply?.code)).toEqual([250, 550, 250]);
    });

    interop('without PIPELINING each command waits for its reply', async () => {
      relay.chunks.length = 0;
      const r = await run({ address: '127.0.0.1', port: relay.port, tlsMode: 'none', pipelining: false, rcpts: [ALICE, 'postmaster@interop.test'] });
      expect(r.outcome.kind).toBe('ok');
      expect(relay.chunks).toEqual(['EHLO probe.example.net\r\n', 'MAIL FROM:<>\r\n', `RCPT TO:<${ALICE}>\r\n`, 'RCPT TO:<postmaster@interop.test>\r\n', 'RSET\r\n', 'QUIT\r\n']);
    });
  });

  // Last: every session above, as Postfix itself counted it. Other interop files may talk to
  // the same Postfix meanwhile, so ours must be among the logged sessions, not all of them.
  interop('no DATA or BDAT ever reached Postfix, and it counted exactly the commands we sent', async () => {
    expect(sessions.length).toBeGreaterThanOrEqual(10);
    for (const r of sessions) for (const line of sent(r)) expect(line).not.toMatch(/^(DATA|BDAT)\b/i);
    // requirePostfix's own connection: banner, QUIT.
    const expected = [...sessions.map(expectedCounts), { quit: '1', commands: '1' }].map(countsKey).sort();
    // Postfix logs "disconnect" after the session ends; give the log a moment to catch up.
    let missing = expected;
    let logged: CommandCounts[] = [];
    for (let i = 0; i < 50; i++) {
      logged = loggedSessions(offset);
      missing = notLogged(expected, logged.map(countsKey));
      if (missing.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const c of logged) {
      expect(c).not.toHaveProperty('data');
      expect(c).not.toHaveProperty('bdat');
    }
    expect(missing, `sessions Postfix did not log as we counted them; it logged:\n${logged.map(countsKey).join('\n')}`).toEqual([]);
  });
});

/** The entries of `expected` (a multiset) that `logged` does not account for. */
function notLogged(expected: string[], logged: string[]): string[] {
  const pool = [...logged];
  return expected.filter((e) => {
    const i = pool.indexOf(e);
    if (i < 0) return true;
    pool.splice(i, 1);
    return false;
  });
}
