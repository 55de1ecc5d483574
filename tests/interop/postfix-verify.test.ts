// verify() against the project's real Postfix (.ci/setup-peers.sh): alice@interop.test
// exists, every other local part gets Postfix's own 550 5.1.1; the catch-all probe is refused,
// so catchAll is false. A list with more unknown users than Postfix's smtpd_hard_error_limit
// (20) makes Postfix say 421 and hang up mid-batch: verify reconnects and loses nothing.
// Postfix's log proves that no DATA or BDAT was ever sent. Skipped without the peer unless
// SMTP_PROBE_INTEROP=1, which makes it fail instead.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { createDns2Resolver } from '../../src/dns/dns2-resolver.js';
import { verify, type VerifyOptions } from '../../src/verify/run-verify.js';
import type { VerifyResult } from '../../src/verify/verdict.js';
import { TLS } from '../helpers/smtp.js';
import { interopSkipped, loggedSessions, logOffset, POSTFIX_ADDR, POSTFIX_HOST, requirePostfix } from './peer.js';

let dns: ZoneServer | undefined;
let peerError: Error | undefined;
let offset = 0;

async function run(addresses: string[], over: Partial<VerifyOptions> = {}): Promise<{ results: Record<string, VerifyResult>; connections: number }> {
  if (peerError) throw peerError;
  if (!dns) throw new Error('the zone DNS server did not start');
  const r = verify(addresses, {
    helo: 'verify.example.net', ca: TLS.ca, timeoutScale: 0.5,
    resolve: createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 2_000 }),
    ...over,
  });
  const results: Record<string, VerifyResult> = {};
  for await (const x of r) {
    expect(results[x.address], `${x.address} answered once`).toBeUndefined();
    results[x.address] = x;
  }
  return { results, connections: r.stats.connections };
}

describe.skipIf(interopSkipped(inject('interopPeer')))('verify against the real Postfix', () => {
  beforeAll(async () => {
    dns = await startZoneServer({
      'interop.test': { MX: [{ exchange: POSTFIX_HOST, priority: 10 }] },
      [POSTFIX_HOST]: { A: [POSTFIX_ADDR] },
    });
    try {
      offset = logOffset();
      await requirePostfix();
    } catch (e) {
      peerError = e instanceof Error ? e : new Error(String(e));
    }
  });
  afterAll(async () => {
    await dns?.close();
  });

  it('alice exists (deliverable, not a catch-all); nobody does not (Postfix\'s own 550 5.1.1)', async () => {
    const { results } = await run(['alice@interop.test', 'nobody@interop.test']);
    expect(results['alice@interop.test']).toMatchObject({ verdict: 'deliverable', reason: 'accepted', catchAll: false, mx: POSTFIX_HOST, reply: { code: 250, enhanced: '2.1.5' } });
    expect(results['nobody@interop.test']).toMatchObject({ verdict: 'undeliverable', reason: 'userunknown', mx: POSTFIX_HOST, reply: { code: 550, enhanced: '5.1.1' } });
    expect(results['nobody@interop.test']!.reply!.text).toMatch(/Recipient address rejected: User unknown in local recipient table/);
  });

  it('alone, alice gets the catch-all probe; Postfix refuses it, so catchAll is false; postmaster is a role account', async () => {
    const { results } = await run(['alice@interop.test', 'postmaster@interop.test']);
    expect(results['alice@interop.test']).toMatchObject({ verdict: 'deliverable', catchAll: false, flags: { role: false } });
    expect(results['postmaster@interop.test']).toMatchObject({ verdict: 'deliverable', flags: { role: true } });
  });

  it('more unknown users than smtpd_hard_error_limit: Postfix hangs up (421), verify reconnects, all answered', async () => {
    const list = [...Array.from({ length: 45 }, (_, i) => `ghost${i}@interop.test`), 'alice@interop.test'];
    const { results, connections } = await run(list, { perHost: 1 });
    expect(Object.keys(results)).toHaveLength(46);
    for (let i = 0; i < 45; i++) expect(results[`ghost${i}@interop.test`], `ghost${i}`).toMatchObject({ verdict: 'undeliverable', reason: 'userunknown' });
    expect(results['alice@interop.test']).toMatchObject({ verdict: 'deliverable' });
    expect(connections).toBeGreaterThanOrEqual(2); // Postfix's 421 after 20 errors
    expect(connections).toBeLessThanOrEqual(4);
  });

  it('Postfix\'s log: no DATA, no BDAT, in any session of this file', async () => {
    if (peerError) throw peerError;
    await new Promise((r) => setTimeout(r, 300)); // postlogd writes asynchronously
    const sessions = loggedSessions(offset);
    expect(sessions.length).toBeGreaterThanOrEqual(4);
    for (const s of sessions) {
      expect(s.data).toBeUndefined();
      expect(s.bdat).toBeUndefined();
    }
  });
});
