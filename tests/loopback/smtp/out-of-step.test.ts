// Replies out of step, against scripted misbehaving servers (issue 10 items 1-5): a stray
// reply at every position (after the banner, between EHLO lines, before/inside/after a
// pipelined flight, delayed until after our next write), with and without PIPELINING; a
// flood while idle; 354 to MAIL/RCPT; 421 at STARTTLS and at the first of several RCPTs;
// malformed multi-line replies. Each asserts the bytes on the wire and the outcome, and
// that a refused recipient is never reported accepted. No DATA/BDAT ever reaches a server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../../src/smtp/session.js';
import { connectTransport, IDLE_BYTES_CAP } from '../../../src/smtp/transport.js';
import { runProbe, type ProbeOptions } from '../../../src/probe/run-probe.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import type { SmtpScript } from '../../../src/demo/smtp-script-server.js';
import { exitCodeForVerdict } from '../../../src/cli/exit-codes.js';
import { session, sessionOptions, TLS, withServer } from '../../helpers/smtp.js';

const NO_PIPELINING = ['SIZE 10240000', '8BITMIME', 'ENHANCEDSTATUSCODES'];
const RCPTS = ['nobody@script.test', 'bob@script.test'];
/** The server received these lines in this order, possibly fewer (a stray caught before a write stops it). */
const sentPrefixOf = (received: string[], full: string[]): void => {
  expect(received.length).toBeLessThanOrEqual(full.length);
  expect(received).toEqual(full.slice(0, received.length));
};
/** What a session must never say for a recipient the server refused. */
const noneAccepted = (rcpts: { address: string; accepted: boolean }[]): void => {
  expect(rcpts.filter((r) => r.address === 'nobody@script.test' && r.accepted)).toEqual([]);
};

describe('a reply nobody asked for ends the session as a protocol error naming the stage', () => {
  it('a stray reply in the same packet as the banner: nothing is sent at all', async () => {
    await withServer({ users: ['bob'], banner: { raw: '220 mx.script.test ESMTP\r\n250 2.0.0 stray\r\n' } }, {}, async (s) => {
      const r = await session(s, { rcpts: RCPTS });
      expect(r.outcome).toMatchObject({ kind: 'protocol', stage: 'ehlo', stray: { code: 250 } });
      expect(r.outcome.message).toMatch(/sent a reply nobody asked for, after the banner: "250 2\.0\.0 stray"/);
      expect(s.received).toEqual([]);
      expect(r.rcpts).toEqual([]);
      // The stray is shown in the transcript, flagged.
      expect(r.steps.find((x) => x.unsolicited)?.reply?.code).toBe(250);
    });
  });

  it('a second 220 arriving after our EHLO was written: EHLO cannot get 220', async () => {
    await withServer({ users: ['bob'], banner: { lines: ['220 mx.script.test ESMTP'], then: { lines: ['220 mx.script.test ESMTP again'], delayMs: 80 } } }, {}, async (s) => {
      const r = await session(s, { rcpts: RCPTS });
      expect(r.outcome).toMatchObject({ kind: 'protocol', stage: 'ehlo', stray: { code: 220 } });
      // Read as EHLO's reply when it came after our write; caught at the write when the machine was slower.
      expect(r.outcome.message).toMatch(/answered EHLO with 220, a reply EHLO cannot get|nobody asked for, after the banner/);
      sentPrefixOf(s.received, ['EHLO probe.example.net']);
    });
  });

  for (const pipelining of [true, false]) {
    const ext = pipelining ? undefined : NO_PIPELINING;
    const tag = pipelining ? 'with PIPELINING' : 'one command at a time';

    it(`a delayed stray 250 after the banner shifts every later reply; caught, never "accepted" (${tag})`, async () => {
      const script: SmtpScript = { users: ['bob'], ...(ext ? { extensions: ext } : {}), banner: { lines: ['220 mx.script.test ESMTP'], then: { lines: ['250 2.0.0 stray'], delayMs: 80 } } };
      await withServer(script, {}, async (s) => {
        const r = await session(s, { rcpts: RCPTS });
        expect(r.outcome.kind).toBe('protocol');
        noneAccepted(r.rcpts);
        expect(r.rcpts.every((x) => !x.accepted)).toBe(true);
        sentPrefixOf(s.received, ['EHLO probe.example.net', 'MAIL FROM:<>', ...RCPTS.map((a) => `RCPT TO:<${a}>`), 'RSET', 'QUIT']);
      });
    });

    it(`a stray reply inside the MAIL/RCPT flight: the refused recipient is not reported accepted (${tag})`, async () => {
      const script: SmtpScript = {
        users: ['bob'], ...(ext ? { extensions: ext } : {}),
        rules: [{ match: '^MAIL', reply: { lines: ['250 2.1.0 Ok'], then: { lines: ['250 2.1.5 stray'] } } }],
      };
      await withServer(script, {}, async (s) => {
        const r = await session(s, { rcpts: RCPTS });
        expect(r.outcome.kind).toBe('protocol');
        expect(r.outcome.message).toMatch(/nobody asked for|cannot get/);
        noneAccepted(r.rcpts);
        sentPrefixOf(s.received, ['EHLO probe.example.net', 'MAIL FROM:<>', ...RCPTS.map((a) => `RCPT TO:<${a}>`), 'RSET', 'QUIT']);
        expect(s.received.slice(0, 2)).toEqual(['EHLO probe.example.net', 'MAIL FROM:<>']);
      });
    });

    it(`a stray reply before the flight, arriving after it was written (${tag})`, async () => {
      const script: SmtpScript = {
        users: ['bob'], ...(ext ? { extensions: ext } : {}),
        rules: [{ match: '^EHLO', reply: { lines: ['250-mx.script.test', ...(ext ?? ['PIPELINING']).slice(0, -1).map((e) => `250-${e}`), `250 ${(ext ?? ['PIPELINING']).at(-1)}`], then: { lines: ['250 2.0.0 stray'], delayMs: 80 } } }],
      };
      await withServer(script, {}, async (s) => {
        const r = await session(s, { rcpts: RCPTS });
        expect(r.outcome.kind).toBe('protocol');
        noneAccepted(r.rcpts);
        expect(r.rcpts.every((x) => !x.accepted)).toBe(true);
        sentPrefixOf(s.received, ['EHLO probe.example.net', 'MAIL FROM:<>', ...RCPTS.map((a) => `RCPT TO:<${a}>`), 'RSET', 'QUIT']);
      });
    });

    it(`a stray reply after the flight is caught before the farewell is trusted (${tag})`, async () => {
      const script: SmtpScript = {
        users: ['bob'], ...(ext ? { extensions: ext } : {}),
        rules: [{ match: '^RCPT TO:<bob', reply: { lines: ['250 2.1.5 Ok'], then: { lines: ['250 2.0.0 stray'] } } }],
      };
      await withServer(script, {}, async (s) => {
        const r = await session(s, { rcpts: RCPTS });
        expect(r.outcome.kind).toBe('protocol');
        noneAccepted(r.rcpts);
        sentPrefixOf(s.received, ['EHLO probe.example.net', 'MAIL FROM:<>', ...RCPTS.map((a) => `RCPT TO:<${a}>`), 'RSET', 'QUIT']);
        expect(s.received.length).toBeGreaterThanOrEqual(4);
      });
    });
  }

  it('a stray line between EHLO lines: the EHLO reply is malformed, shown, and the session ends', async () => {
    await withServer({ rules: [{ match: '^EHLO', reply: { raw: '250-mx.script.test\r\n220 stray\r\n250-PIPELINING\r\n250 8BITMIME\r\n' } }] }, {}, async (s) => {
      const r = await session(s);
      expect(r.outcome).toMatchObject({ kind: 'protocol', stage: 'ehlo' });
      expect(r.outcome.message).toMatch(/malformed reply to EHLO \(line 2 carried code 220 instead of 250\)/);
      const ehlo = r.steps.find((x) => x.stage === 'ehlo');
      expect(ehlo?.reply).toMatchObject({ code: 250, malformed: true, lines: ['mx.script.test', 'stray'] });
      expect(s.received).toEqual(['EHLO probe.example.net']);
    });
  });

  it('an open session (verify) that got a stray reply while idle is no longer usable, and says why', async () => {
    await withServer({ users: ['bob'], rules: [{ match: '^RCPT', reply: { lines: ['250 2.1.5 Ok'], then: { lines: ['250 2.0.0 stray'], delayMs: 30 } } }] }, {}, async (s) => {
      const sess = await openSession(sessionOptions(s), { connect: connectTransport, now: () => Date.now() });
      const tx = await sess.transaction('', ['bob@script.test']);
      expect(tx.outcome.kind).toBe('ok');
      await new Promise((r) => setTimeout(r, 300));
      expect(sess.usable).toBe(false);
      const next = await sess.transaction('', ['bob@script.test']);
      expect(next.outcome).toMatchObject({ kind: 'protocol', stray: { code: 250 } });
      expect(next.outcome.message).toMatch(/nobody asked for, after RCPT TO/);
      await sess.close();
      // Nothing after the stray: no second MAIL, no farewell into a broken stream.
      expect(s.received).toEqual(['EHLO probe.example.net', 'MAIL FROM:<>', 'RCPT TO:<bob@script.test>']);
    });
  });

  it('an unasked 421 while idle is the server going away: deferred, with the 421 kept', async () => {
    await withServer({ users: ['bob'], banner: { raw: '220 mx.script.test ESMTP\r\n421 4.4.2 idle timeout\r\n', close: 'end' } }, {}, async (s) => {
      const r = await session(s);
      expect(r.outcome).toMatchObject({ kind: 'deferred', reply: { code: 421 } });
      expect(s.received).toEqual([]);
    });
  });
});

describe('a flood while nothing is outstanding is cut at a few KiB', () => {
  it('the session ends (limit) and the server sees the connection closed', async () => {
    await withServer({ users: ['bob'], rules: [{ match: '^RCPT', reply: { lines: ['250 2.1.5 Ok'], then: { endless: '250-flood flood flood flood flood flood flood flood', delayMs: 20 } } }] }, {}, async (s) => {
      const sess = await openSession(sessionOptions(s), { connect: connectTransport, now: () => Date.now() });
      const tx = await sess.transaction('', ['bob@script.test']);
      expect(tx.outcome.kind).toBe('ok');
      const t0 = Date.now();
      while (s.closedConnections === 0 && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 20));
      // The client hung up on the flood by itself, long before any deadline.
      expect(s.closedConnections).toBe(1);
      expect(sess.usable).toBe(false);
      await sess.close();
      expect(sess.result.outcome.kind).toBe('limit');
      expect(sess.result.outcome.message).toMatch(new RegExp(`more than ${IDLE_BYTES_CAP} bytes while no reply was expected`));
      expect(sess.result.outcome.message).toMatch(/after RCPT TO/);
      expect(s.received).toEqual(['EHLO probe.example.net', 'MAIL FROM:<>', 'RCPT TO:<bob@script.test>']);
    });
  });
});

describe('codes a command cannot get', () => {
  for (const verb of ['MAIL', 'RCPT'] as const) {
    it(`354 to ${verb} is a protocol violation, never acceptance`, async () => {
      await withServer({ users: ['bob'], rules: [{ match: `^${verb}`, reply: { lines: ['354 End data with <CR><LF>.<CR><LF>'] } }] }, {}, async (s) => {
        const r = await session(s, { rcpts: ['bob@script.test'] });
        expect(r.outcome).toMatchObject({ kind: 'protocol', stage: verb === 'MAIL' ? 'mail' : 'rcpt', stray: { code: 354 } });
        expect(r.outcome.message).toMatch(/354 .*only DATA can get: a protocol violation, not an acceptance/);
        expect(r.rcpts.some((x) => x.accepted)).toBe(false);
        expect(s.received.slice(0, 3)).toEqual(['EHLO probe.example.net', 'MAIL FROM:<>', 'RCPT TO:<bob@script.test>']);
      });
    });
  }

  for (const [verb, code] of [['RCPT', 221], ['RCPT', 220], ['MAIL', 251], ['RCPT', 252]] as const) {
    it(`${code} to ${verb} is out of step`, async () => {
      await withServer({ users: ['bob'], rules: [{ match: `^${verb}`, reply: { lines: [`${code} 2.0.0 odd`] } }] }, {}, async (s) => {
        const r = await session(s, { rcpts: ['bob@script.test'] });
        expect(r.outcome).toMatchObject({ kind: 'protocol', stray: { code } });
        expect(r.outcome.message).toMatch(new RegExp(`answered ${verb === 'MAIL' ? 'MAIL FROM' : 'RCPT TO'} with ${code}, a reply`));
        expect(r.rcpts.some((x) => x.accepted)).toBe(false);
      });
    });
  }

  it('a 550 to RSET at the farewell voids the session (the replies were shifted)', async () => {
    await withServer({ users: ['bob'], rules: [{ match: '^RSET', reply: { lines: ['550 5.1.1 what'] } }] }, {}, async (s) => {
      const r = await session(s, { rcpts: ['bob@script.test'] });
      expect(r.outcome).toMatchObject({ kind: 'protocol', stage: 'rset' });
      expect(r.outcome.message).toMatch(/cannot be trusted/);
      expect(r.rcpts).toEqual([{ address: 'bob@script.test', accepted: false }]);
    });
  });

  it('a 250 to QUIT is out of step too', async () => {
    await withServer({ users: ['bob'], rules: [{ match: '^QUIT', reply: { lines: ['250 2.0.0 ok'], close: 'end' } }] }, {}, async (s) => {
      const r = await session(s, { rcpts: ['bob@script.test'] });
      expect(r.outcome).toMatchObject({ kind: 'protocol', stage: 'quit' });
      expect(r.rcpts.some((x) => x.accepted)).toBe(false);
      expect(s.received.slice(-2)).toEqual(['RSET', 'QUIT']);
    });
  });
});

describe('421 is "closing, try later" at every stage', () => {
  it('421 in answer to STARTTLS: deferred, the 421 shown, nothing sent after it', async () => {
    await withServer({ users: ['bob'], rules: [{ match: '^STARTTLS', reply: { lines: ['421 4.7.0 Too busy for TLS now'], close: 'end' } }] }, { tls: TLS }, async (s) => {
      const r = await session(s);
      expect(r.outcome).toMatchObject({ kind: 'deferred', stage: 'starttls', reply: { code: 421, enhanced: '4.7.0' } });
      expect(r.outcome.message).toMatch(/closing the connection \(421 4\.7\.0\) in answer to STARTTLS/);
      expect(s.received).toEqual(['EHLO probe.example.net', 'STARTTLS']);
      expect(r.notes.join(' ')).not.toMatch(/continued without TLS/);
    });
  });

  for (const pipelining of [true, false]) {
    it(`421 and close at the first of several RCPTs: deferred, earlier replies kept (${pipelining ? 'PIPELINING' : 'one by one'})`, async () => {
      const script: SmtpScript = {
        users: ['bob', 'carol'], ...(pipelining ? {} : { extensions: NO_PIPELINING }),
        rules: [{ match: '^RCPT TO:<bob', reply: { lines: ['421 4.3.2 Service shutting down'], close: 'end' } }],
      };
      await withServer(script, {}, async (s) => {
        const sess = await openSession(sessionOptions(s), { connect: connectTransport, now: () => Date.now() });
        const tx = await sess.transaction('', ['bob@script.test', 'carol@script.test', 'dave@script.test']);
        await sess.close();
        expect(tx.outcome).toMatchObject({ kind: 'deferred', stage: 'rcpt', reply: { code: 421, enhanced: '4.3.2' } });
        expect(tx.mail?.code).toBe(250);
        expect(tx.rcpts).toEqual([{ address: 'bob@script.test', accepted: false, reply: expect.objectContaining({ code: 421 }) }]);
        if (pipelining) expect(s.received.slice(1)).toEqual(['MAIL FROM:<>', 'RCPT TO:<bob@script.test>', 'RCPT TO:<carol@script.test>', 'RCPT TO:<dave@script.test>']);
        else expect(s.received.slice(1)).toEqual(['MAIL FROM:<>', 'RCPT TO:<bob@script.test>']);
      });
    });
  }
});

describe('the probe: exit codes for these outcomes', () => {
  let dns: ZoneServer;
  beforeAll(async () => { dns = await startZoneServer({}); });
  afterAll(async () => { await dns.close(); });
  const probe = (port: number, over: Partial<ProbeOptions> = {}) => runProbe('127.0.0.1', {
    ports: [{ port, implicitTls: false }], tlsMode: 'auto', tlsVerify: false, ca: TLS.ca,
    helo: 'probe.example.net', from: '', timeoutScale: 1, lang: 'en', rcpts: ['nobody@script.test', 'bob@script.test'], ...over,
  }, { resolve: createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 5_000 }), connect: connectTransport, now: () => Date.now() });

  it('354 to RCPT: protocol, exit 3 (never 0)', async () => {
    await withServer({ users: ['bob'], rules: [{ match: '^RCPT', reply: { lines: ['354 go ahead'] } }] }, {}, async (s) => {
      const r = await probe(s.port);
      expect(r.verdict.kind).toBe('protocol');
      expect(exitCodeForVerdict(r.verdict.kind)).toBe(3);
    });
  });

  it('421 at the first RCPT: deferred, exit 7, the 421 in the outcome', async () => {
    await withServer({ users: ['bob'], rules: [{ match: '^RCPT', reply: { lines: ['421 4.3.2 shutting down'], close: 'end' } }] }, {}, async (s) => {
      const r = await probe(s.port);
      expect(r.verdict.kind).toBe('deferred');
      expect(exitCodeForVerdict(r.verdict.kind)).toBe(7);
      expect(r.sessions[0]?.outcome.reply?.code).toBe(421);
    });
  });

  it('421 in answer to STARTTLS: deferred, exit 7, the 421 shown in the transcript', async () => {
    await withServer({ users: ['bob'], rules: [{ match: '^STARTTLS', reply: { lines: ['421 4.7.0 Try again later'], close: 'end' } }] }, { tls: TLS }, async (s) => {
      const r = await probe(s.port);
      expect(r.verdict.kind).toBe('deferred');
      expect(exitCodeForVerdict(r.verdict.kind)).toBe(7);
      expect(r.sessions[0]?.outcome).toMatchObject({ stage: 'starttls', reply: { code: 421 } });
      expect(r.sessions[0]?.steps.find((x) => x.stage === 'starttls')?.reply?.code).toBe(421);
      expect(s.received).toEqual(['EHLO probe.example.net', 'STARTTLS']);
    });
  });

  it('a stray reply inside the flight: never exit 0', async () => {
    await withServer({ users: ['bob'], rules: [{ match: '^MAIL', reply: { lines: ['250 2.1.0 Ok'], then: { lines: ['250 2.1.5 stray'] } } }] }, {}, async (s) => {
      const r = await probe(s.port);
      expect(r.verdict.kind).toBe('protocol');
      expect(exitCodeForVerdict(r.verdict.kind)).not.toBe(0);
      expect(r.verdict.recipients.find((x) => x.address === 'nobody@script.test')?.status).not.toBe('accepted');
    });
  });
});

describe('the transcript shows a stray reply once', () => {
  it('one unsolicited step, flagged, whatever noticed it first', async () => {
    await withServer({ users: ['bob'], rules: [{ match: '^EHLO', reply: { lines: ['250-mx.script.test', '250 PIPELINING'], then: { lines: ['250 2.0.0 stray'] } } }] }, {}, async (s) => {
      const r = await session(s);
      expect(r.outcome.kind).toBe('protocol');
      expect(r.steps.filter((x) => x.unsolicited)).toHaveLength(1);
      sentPrefixOf(s.received, ['EHLO probe.example.net', 'MAIL FROM:<>', 'RCPT TO:<bob@script.test>', 'RSET', 'QUIT']);
    });
  });
});
