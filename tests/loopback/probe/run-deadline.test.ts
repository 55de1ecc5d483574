// One deadline for the whole probe, follow-up checks included: a rejection that points at SPF
// sends the checks into a 44-deep include chain on a slow DNS server; the run must end near its
// deadline (not after every lookup) and say what the deadline cut. And one AbortSignal serving
// many probes keeps no listener behind (issue 13 item 4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getEventListeners } from 'node:events';
import { startZoneServer, type Zone, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../../src/demo/smtp-script-server.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { DEADLINE_REASON, type Resolve } from '../../../src/dns/resolver.js';
import { RUN_TIMEOUT_MS, runProbe, type ProbeOptions } from '../../../src/probe/run-probe.js';
import { runFollowUp } from '../../../src/probe/follow-up.js';
import { connectTransport } from '../../../src/smtp/transport.js';
import { expectNoMessageSent } from '../../helpers/smtp.js';

const SLOW_MS = 2_500;
let fast: ZoneServer;
let slow: ZoneServer;
let mx: ScriptServer;
let resolve: Resolve;
beforeAll(async () => {
  mx = await startScriptServer({
    hostname: 'mx.dl.test',
    users: ['bob'],
    rules: [{ match: '^RCPT TO:<spf@', reply: { lines: ['550 5.7.23 SPF validation failed for the sender'] } }],
  });
  fast = await startZoneServer({ 'dl.test': { MX: [{ exchange: 'mx.dl.test', priority: 10 }] }, 'mx.dl.test': { A: ['127.0.0.1'] } });
  // The sender's domain: an SPF include chain 44 deep, each answer 2.5 s late.
  const chain: Zone = { 'sender.test': { TXT: ['v=spf1 include:i1.sender.test -all'] } };
  for (let i = 1; i < 44; i++) chain[`i${i}.sender.test`] = { TXT: [`v=spf1 include:i${i + 1}.sender.test -all`] };
  chain['i44.sender.test'] = { TXT: ['v=spf1 -all'] };
  slow = await startZoneServer(chain, { delayMs: SLOW_MS });
  const f = createDns2Resolver({ servers: [{ address: fast.address, port: fast.port }], timeoutMs: 5_000 });
  const s = createDns2Resolver({ servers: [{ address: slow.address, port: slow.port }], timeoutMs: 5_000 });
  resolve = (name, type) => (/(^|\.)sender\.test\.?$/i.test(name) ? s(name, type) : f(name, type));
});
afterAll(async () => {
  expectNoMessageSent(mx);
  await Promise.all([fast.close(), slow.close(), mx.close()]);
});

const options = (rcpt: string, timeoutScale: number): ProbeOptions => ({
  ports: [{ port: mx.port, implicitTls: false }], tlsMode: 'auto', tlsVerify: false, helo: 'probe.sender.test',
  from: 'me@sender.test', rcpts: [rcpt], timeoutScale, lang: 'en',
});

describe('the run deadline covers the follow-up checks', () => {
  it('a deep SPF chain on a slow DNS server: the probe ends near its deadline and names what was cut', async () => {
    const scale = 0.05; // a 12 s run deadline; the chain alone would take 11 × 2.5 s
    const t0 = Date.now();
    const r = await runProbe('dl.test', options('spf@dl.test', scale), {
      resolve, connect: connectTransport, now: () => Date.now(),
      followUp: (sessions, ctx) => runFollowUp(sessions, { when: 'auto', from: 'me@sender.test', helo: 'probe.sender.test', ip: '192.0.2.1' }, { resolve: ctx.resolve }),
    });
    const ms = Date.now() - t0;
    expect(r.verdict.kind).toBe('rejected'); // the SMTP outcome still decides
    expect(ms).toBeLessThan(RUN_TIMEOUT_MS * scale + 6_000);
    expect(ms).toBeGreaterThan(RUN_TIMEOUT_MS * scale - 1_000); // it did wait for the checks up to then
    expect(r.warnings.join('\n')).toContain(DEADLINE_REASON);
    // The SPF check ran and reports what it could not finish, with the reason.
    const spf = r.checks.find((c) => c.check === 'spf');
    expect(spf).toBeDefined();
    expect(JSON.stringify(spf)).toContain(DEADLINE_REASON);
  }, 40_000);

  it('a follow-up that fails is a warning beside the SMTP outcome, not a crash', async () => {
    const r = await runProbe('dl.test', options('spf@dl.test', 1), {
      resolve, connect: connectTransport, now: () => Date.now(),
      followUp: async () => { throw new Error('not reached'); },
    });
    expect(r.warnings).toContain('the sender-side checks failed: not reached'); // a failing follow-up is a warning, not a crash
    expect(r.verdict.kind).toBe('rejected');
  });
});

describe('one AbortSignal for many probes', () => {
  it('leaves no abort listener behind', async () => {
    const ac = new AbortController();
    for (let i = 0; i < 5; i++) {
      const r = await runProbe('dl.test', options('bob@dl.test', 1), { resolve, connect: connectTransport, now: () => Date.now(), signal: ac.signal });
      expect(r.verdict.kind).toBe('accepted');
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    }
  });
});
