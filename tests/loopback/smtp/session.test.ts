import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { session, tlsMaterial, TLS, withServer } from '../../helpers/smtp.js';

describe('session against a scripted server', () => {
  it('runs the whole dialogue with STARTTLS and pipelining', async () => {
    await withServer({ users: ['bob'] }, { tls: TLS }, async (s) => {
      const r = await session(s);
      expect(r.outcome.kind).toBe('ok');
      expect(r.tlsMode).toBe('starttls');
      expect(r.tls).toMatchObject({ trusted: true, nameMatches: true, expired: false });
      expect(r.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
      expect(r.tls?.chain[0]?.subjectAltNames).toContain('DNS:mx.script.test');
      expect(r.rcpts).toEqual([expect.objectContaining({ address: 'bob@script.test', accepted: true })]);
      expect(s.received).toEqual(['EHLO probe.example.net', 'STARTTLS', 'EHLO probe.example.net', 'MAIL FROM:<>', 'RCPT TO:<bob@script.test>', 'RSET', 'QUIT']);
      expect(r.steps.map((x) => x.stage)).toEqual(['connect', 'banner', 'ehlo', 'starttls', 'tls-handshake', 'ehlo', 'mail', 'rcpt', 'rset', 'quit']);
      expect(r.steps.filter((x) => x.tls).map((x) => x.stage)).toEqual(['tls-handshake', 'ehlo', 'mail', 'rcpt', 'rset', 'quit']);
    });
  });

  it('reports an unknown recipient as rejected at RCPT', async () => {
    await withServer({ users: ['bob'] }, {}, async (s) => {
      const r = await session(s, { rcpts: ['nobody@script.test', 'bob@script.test'] });
      expect(r.outcome).toMatchObject({ kind: 'rejected', stage: 'rcpt' });
      expect(r.outcome.reply).toMatchObject({ code: 550, enhanced: '5.1.1' });
      expect(r.rcpts.map((x) => x.accepted)).toEqual([false, true]);
    });
  });

  it('sends commands one by one without PIPELINING', async () => {
    await withServer({ users: ['bob'], extensions: ['SIZE 1000'] }, {}, async (s) => {
      const r = await session(s);
      expect(r.outcome.kind).toBe('ok');
      expect(r.extensions?.pipelining).toBe(false);
    });
  });

  it('falls back to HELO when EHLO is refused', async () => {
    await withServer({ users: ['bob'], rules: [{ match: '^EHLO', reply: { lines: ['502 5.5.2 EHLO not supported'] } }] }, {}, async (s) => {
      const r = await session(s);
      expect(r.outcome.kind).toBe('ok');
      expect(s.received.slice(0, 2)).toEqual(['EHLO probe.example.net', 'HELO probe.example.net']);
      expect(r.notes.join(' ')).toMatch(/HELO/);
    });
  });

  it('reports greylisting as deferred', async () => {
    await withServer({ rules: [{ match: '^RCPT', reply: { lines: ['451 4.7.1 Greylisted, please try again in 300 seconds'] } }] }, {}, async (s) => {
      const r = await session(s);
      expect(r.outcome).toMatchObject({ kind: 'deferred', stage: 'rcpt' });
    });
  });

  it('--tls require fails when STARTTLS is not offered; auto continues in plaintext', async () => {
    await withServer({ users: ['bob'] }, {}, async (s) => {
      const r = await session(s, { tlsMode: 'require' });
      expect(r.outcome).toMatchObject({ kind: 'tls', stage: 'ehlo' });
      expect(s.received).not.toContain('MAIL FROM:<>');
      const a = await session(s, { tlsMode: 'auto' });
      expect(a.outcome.kind).toBe('ok');
      expect(a.tlsMode).toBe('none');
    });
  });

  it('a bad certificate is a finding, fatal only with --tls-verify', async () => {
    for (const name of ['expired', 'wrong-name'] as const) {
      await withServer({ users: ['bob'] }, { tls: tlsMaterial(name) }, async (s) => {
        const r = await session(s);
        expect(r.outcome.kind).toBe('ok');
        expect(r.tlsMode).toBe('starttls');
        if (name === 'expired') expect(r.tls).toMatchObject({ trusted: false, expired: true });
        else expect(r.tls).toMatchObject({ trusted: true, nameMatches: false }); // a trusted chain, the wrong name
        const v = await session(s, { tlsVerify: true });
        expect(v.outcome).toMatchObject({ kind: 'tls', stage: 'tls-handshake' });
      });
    }
  });

  it('implicit TLS on a 465-style port', async () => {
    await withServer({ users: ['bob'], implicitTls: true }, { tls: TLS }, async (s) => {
      const r = await session(s, { implicitTls: true });
      expect(r.outcome.kind).toBe('ok');
      expect(r.tlsMode).toBe('implicit');
      expect(r.steps.every((x) => x.tls)).toBe(true);
    });
  });

  it('refuses CR/LF in user input before connecting', async () => {
    await withServer({}, {}, async (s) => {
      await expect(session(s, { rcpts: ['bob@x.test\r\nDATA'] })).rejects.toThrow(/CR, LF or NUL/);
      expect(s.received.filter((l) => l.startsWith('RCPT'))).toEqual([]);
    });
  });
});

const sec = 1000;
// Hostile peers: each ends in an explained outcome within its deadline (+ slack), never a hang.
const HOSTILE: { name: string; script: Parameters<typeof withServer>[0]; tls?: boolean; kind: string; stage?: string; scale?: number; implicit?: boolean }[] = [
  { name: 'endless 250- continuation', script: { rules: [{ match: '^EHLO', reply: { endless: '250-spam' } }] }, kind: 'limit', stage: 'ehlo' },
  { name: 'a 1 MB line', script: { banner: { raw: `220 ${'A'.repeat(1024 * 1024)}` } }, kind: 'limit', stage: 'banner' },
  { name: 'one byte per second', script: { banner: { lines: ['220 slow.example ESMTP hello there'], dripMs: 1000 } }, kind: 'timeout', stage: 'banner', scale: 0.1 },
  { name: 'garbage bytes', script: { banner: { raw: Buffer.from([0xff, 0x00, 0x1b, 0x5b, 0x32, 0x4a, 0x0d, 0x0a]) } }, kind: 'protocol', stage: 'banner' },
  { name: 'an HTTP server', script: { banner: { raw: 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n', close: 'end' } }, kind: 'protocol', stage: 'banner' },
  { name: 'reset mid-reply', script: { banner: { raw: '220-first line\r\n220-sec', close: 'reset' } }, kind: 'network', stage: 'banner' },
  { name: 'TLS handshake that never completes', script: { rules: [{ match: '^STARTTLS', reply: { lines: ['220 go ahead'], hangTls: true } }] }, tls: true, kind: 'timeout', stage: 'tls-handshake', scale: 0.1 },
  { name: '421 mid-session', script: { rules: [{ match: '^MAIL', reply: { lines: ['421 4.3.2 Service shutting down'], close: 'end' } }] }, kind: 'deferred', stage: 'mail' },
  { name: '5xx banner', script: { banner: { lines: ['554 5.7.1 Your IP is listed; go away'] } }, kind: 'rejected', stage: 'banner' },
  { name: 'closes before the banner', script: { closeOnConnect: 'end' }, kind: 'network', stage: 'banner' },
  { name: 'no banner at all', script: { banner: null }, kind: 'timeout', stage: 'banner', scale: 0.05 },
];

describe('hostile peers end in an explained outcome, within the deadline', () => {
  for (const h of HOSTILE) {
    it(h.name, async () => {
      await withServer(h.script, h.tls ? { tls: TLS } : {}, async (s) => {
        const scale = h.scale ?? 1;
        const t0 = Date.now();
        const r = await session(s, { timeoutScale: scale, implicitTls: h.implicit ?? false });
        const elapsed = Date.now() - t0;
        expect(r.outcome.kind).toBe(h.kind);
        if (h.stage) expect(r.outcome.stage).toBe(h.stage);
        expect(r.outcome.message).toMatch(/mx\.script\.test\[127\.0\.0\.1\]:\d+/);
        // The longest stage deadline at this scale, plus the QUIT/RSET farewell and slack.
        expect(elapsed).toBeLessThan(30 * sec * scale + 5 * sec * scale + 10 * sec * scale + 3 * sec);
      });
    });
  }

  it('plaintext injected right after the STARTTLS reply does not survive the upgrade', async () => {
    await withServer(
      { users: ['bob'], rules: [{ match: '^STARTTLS', reply: { raw: '220 2.0.0 Ready\r\n250-SMTPUTF8 INJECTED-MARKER\r\n' } }] },
      { tls: TLS },
      async (s) => {
        const r = await session(s);
        expect(r.tlsMode).toBe('starttls');
        expect(r.outcome.kind).toBe('ok');
        expect(JSON.stringify(r.extensions)).not.toContain('INJECTED');
        expect(r.extensions?.smtputf8).toBe(false);
      },
    );
  });

  it('a refused connection is a network outcome naming the peer', async () => {
    const srv = net.createServer();
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((res) => srv.close(() => res()));
    const { runSession } = await import('../../../src/smtp/session.js');
    const { connectTransport } = await import('../../../src/smtp/transport.js');
    const r = await runSession(
      { host: 'mx.script.test', address: '127.0.0.1', port, implicitTls: false, tlsMode: 'auto', tlsVerify: false, tls: {}, helo: 'probe.example.net', from: '', rcpts: ['a@b.test'], timeoutScale: 1, runDeadline: Date.now() + 10_000 },
      { connect: connectTransport, now: () => Date.now() },
    );
    expect(r.outcome).toMatchObject({ kind: 'network', stage: 'connect' });
    expect(r.outcome.message).toMatch(/refused/);
  });
});
