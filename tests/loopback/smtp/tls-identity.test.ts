// Which identity a certificate is checked against (issue 10 item 7) and saying when a
// session is not encrypted (item 6). An IP target's reference identity is its IP (RFC
// 6125): a CA-signed certificate without that IP fails --tls-verify unless --tls-name says
// which name to expect, which is also the SNI sent. The SNI the server saw is asserted.
import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { runProbe } from '../../../src/probe/run-probe.js';
import { renderProbe } from '../../../src/report/probe-human.js';
import { connectTransport } from '../../../src/smtp/transport.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer } from '../../../src/demo/zone-dns-server.js';
import { session, tlsMaterial, TLS, withServer } from '../../helpers/smtp.js';
import { ROOT } from '../../helpers/cli.js';

const schema = JSON.parse(readFileSync(`${ROOT}/data/schema/probe-result.schema.json`, 'utf8')) as object;
const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(schema);
const asIp = { host: '127.0.0.1' };

describe('the reference identity of an IP target is the IP (RFC 6125)', () => {
  it('a certificate with the IP in its SAN matches it; no SNI is sent for an IP', async () => {
    await withServer({ users: ['bob'] }, { tls: TLS }, async (s) => {
      const r = await session(s, { ...asIp, tlsVerify: true });
      expect(r.outcome.kind).toBe('ok');
      expect(r.tls).toMatchObject({ checkedName: '127.0.0.1', checkedAs: 'ip', identitySource: 'ip', nameMatches: true });
      expect(s.sni).toEqual(['']);
    });
  });

  it('a CA-signed certificate for other names fails --tls-verify against the IP, and says so', async () => {
    await withServer({ users: ['bob'] }, { tls: tlsMaterial('names-only') }, async (s) => {
      const found = await session(s, asIp);
      expect(found.outcome.kind).toBe('ok'); // a finding without --tls-verify
      expect(found.tls).toMatchObject({ trusted: true, checkedName: '127.0.0.1', checkedAs: 'ip', nameMatches: false });
      const before = s.received.length;
      const r = await session(s, { ...asIp, tlsVerify: true });
      expect(r.outcome).toMatchObject({ kind: 'tls', stage: 'tls-handshake' });
      expect(r.outcome.message).toMatch(/does not match the IP address 127\.0\.0\.1 .*--tls-verify stops here; use --tls-name HOST/);
      // Nothing after the handshake but the farewell: no EHLO inside TLS, no MAIL.
      expect(s.received.slice(before)).toEqual(['EHLO probe.example.net', 'STARTTLS', 'QUIT']);
    });
  });

  it('--tls-name names the identity to check and is the SNI sent', async () => {
    await withServer({ users: ['bob'] }, { tls: tlsMaterial('names-only') }, async (s) => {
      const r = await session(s, { ...asIp, tlsVerify: true, tls: { ca: TLS.ca, servername: 'mx.script.test' } });
      expect(r.outcome.kind).toBe('ok');
      expect(r.tls).toMatchObject({ checkedName: 'mx.script.test', checkedAs: 'dns', identitySource: 'tls-name', nameMatches: true });
      expect(s.sni).toEqual(['mx.script.test']);
      const wrong = await session(s, { ...asIp, tlsVerify: true, tls: { ca: TLS.ca, servername: 'other.script.test' } });
      expect(wrong.outcome).toMatchObject({ kind: 'tls', stage: 'tls-handshake' });
      expect(s.sni.at(-1)).toBe('other.script.test');
    });
  });

  it('implicit TLS (465) checks the IP too', async () => {
    await withServer({ users: ['bob'], implicitTls: true }, { tls: tlsMaterial('names-only') }, async (s) => {
      const r = await session(s, { ...asIp, implicitTls: true, tlsVerify: true });
      expect(r.outcome.kind).toBe('tls');
      expect(r.tls).toMatchObject({ checkedName: '127.0.0.1', checkedAs: 'ip', nameMatches: false });
      expect(s.received).toEqual([]);
    });
  });
});

describe('a session that is not encrypted says so', () => {
  const chalk = new Chalk({ level: 0 });
  const render = (r: Awaited<ReturnType<typeof runProbe>>): string => renderProbe(r, { chalk, width: 100, lang: 'en', verbose: false, quiet: false });

  it('plaintext: encrypted false in JSON (schema-valid) and one line in the transcript; STARTTLS: encrypted true, no such line', async () => {
    const dns = await startZoneServer({});
    try {
      const deps = { resolve: createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 5_000 }), connect: connectTransport, now: () => Date.now() };
      const opts = (port: number) => ({ ports: [{ port, implicitTls: false }], tlsMode: 'auto' as const, tlsVerify: false, ca: TLS.ca, helo: 'probe.example.net', from: '', timeoutScale: 1, lang: 'en' as const, rcpts: ['bob@script.test'] });
      await withServer({ users: ['bob'] }, {}, async (s) => {
        const r = await runProbe('127.0.0.1', opts(s.port), deps);
        expect(r.sessions[0]).toMatchObject({ encrypted: false, tlsMode: 'none' });
        expect(validate(JSON.parse(JSON.stringify(r))) ? [] : validate.errors).toEqual([]);
        expect(render(r)).toMatch(/^ {3}not encrypted: this session ran in plaintext/m);
      });
      await withServer({ users: ['bob'] }, { tls: TLS }, async (s) => {
        const r = await runProbe('127.0.0.1', opts(s.port), deps);
        expect(r.sessions[0]).toMatchObject({ encrypted: true, tlsMode: 'starttls' });
        expect(validate(JSON.parse(JSON.stringify(r))) ? [] : validate.errors).toEqual([]);
        const out = render(r);
        expect(out).not.toMatch(/not encrypted/);
        expect(out).toMatch(/matches the IP address 127\.0\.0\.1/);
      });
    } finally {
      await dns.close();
    }
  });

  it('--tls auto on port 587 without STARTTLS: a finding, named in the session notes', async () => {
    // Port 587 on a loopback address of its own (we run as root in CI and here).
    await withServer({ users: ['bob'] }, { address: '127.0.0.61', port: 587 }, async (s) => {
      const r = await session(s);
      expect(r.encrypted).toBe(false);
      expect(r.notes.join('\n')).toMatch(/does not offer STARTTLS on port 587: mail to it travels unencrypted/);
      const none = await session(s, { tlsMode: 'none' });
      expect(none.notes.join('\n')).not.toMatch(/STARTTLS/); // the user chose plaintext
    });
  });
});
