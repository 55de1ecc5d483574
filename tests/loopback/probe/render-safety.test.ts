// The probe renderer with hostile certificate names: a real probe result (loopback servers) is
// given TLS facts whose subject, issuer, SANs, trust error and checked name carry escape
// sequences and bidi overrides (as a peer's certificate can), then rendered plain and verbose.
// No control, escape or bidi character may come out; the text stays visible as '?'.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { startZoneServer, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../../src/demo/smtp-script-server.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { runProbe } from '../../../src/probe/run-probe.js';
import { renderProbe } from '../../../src/report/probe-human.js';
import { connectTransport } from '../../../src/smtp/transport.js';
import type { TlsFacts } from '../../../src/smtp/tls-facts.js';
import { expectNoMessageSent } from '../../helpers/smtp.js';

const DANGEROUS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/;
const EVIL = '\u001b]0;owned\u0007\u202Emoc.knab\u202C';

let dns: ZoneServer;
let mx: ScriptServer;
beforeAll(async () => {
  mx = await startScriptServer({ hostname: 'mx.cert.test', users: ['bob'] });
  dns = await startZoneServer({ 'cert.test': { MX: [{ exchange: 'mx.cert.test', priority: 10 }] }, 'mx.cert.test': { A: ['127.0.0.1'] } });
});
afterAll(async () => {
  expectNoMessageSent(mx);
  await Promise.all([dns.close(), mx.close()]);
});

describe('certificate names from a peer are rendered printable', () => {
  it('subject, issuer, SANs, chain, trust error and checked name', async () => {
    const r = await runProbe('cert.test', {
      ports: [{ port: mx.port, implicitTls: false }], tlsMode: 'auto', tlsVerify: false, helo: 'probe.example.net', from: '', rcpts: ['bob@cert.test'], timeoutScale: 1, lang: 'en',
    }, { resolve: createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }] }), connect: connectTransport, now: () => Date.now() });
    const s = r.sessions[0];
    if (!s) throw new Error('no session');
    const cert = { subject: `CN=${EVIL}, O=x`, issuer: `CN=Evil CA ${EVIL}`, subjectAltNames: [`DNS:${EVIL}`], validFrom: '2026-01-01T00:00:00.000Z', validTo: '2027-01-01T00:00:00.000Z', daysLeft: 5, fingerprint256: 'AA', selfSigned: false };
    const tls: TlsFacts = { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', chain: [cert, cert], trusted: false, trustError: `unable to verify ${EVIL}`, checkedName: `mx.${EVIL}`, nameMatches: false, expired: false };
    s.tls = tls;
    s.steps.splice(1, 0, { stage: 'tls-handshake', tls: true, startedAt: 0, ms: 1 } as (typeof s.steps)[number]);
    for (const verbose of [false, true]) {
      const out = renderProbe(r, { chalk: new Chalk({ level: 0 }), width: 100, lang: 'en', verbose, quiet: false });
      expect(out).toContain('certificate ?]0;owned??moc.knab?');
      expect(DANGEROUS.exec(out)?.[0]).toBeUndefined();
    }
  });
});
