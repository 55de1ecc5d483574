// The whole probe (runProbe) against the project's real Postfix: MX lookup through the
// project's zone DNS server on loopback, then the sessions, the explanations and the verdict.
// Like postfix.test.ts: skipped without the peer, failing without it when SMTP_PROBE_INTEROP=1.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { portSpec } from '../../src/probe/run-probe.js';
import { interopSkipped, POSTFIX_ADDR, POSTFIX_HOST } from './peer.js';
import { interopProbe } from './probe-harness.js';

const harness = interopProbe();
const probe = harness.probe;

describe.skipIf(interopSkipped(inject('interopPeer')))('runProbe against the real Postfix', () => {
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  it('alice@interop.test: MX → mx.interop.test, STARTTLS, mailbox exists', async () => {
    const r = await probe('alice@interop.test');
    expect(r.sessions).toHaveLength(1);
    const s = r.sessions[0];
    expect(s).toMatchObject({ host: POSTFIX_HOST, address: POSTFIX_ADDR, port: 25, tlsMode: 'starttls' });
    expect(s?.tls).toMatchObject({ trusted: true, nameMatches: true });
    expect(r.verdict).toMatchObject({ kind: 'accepted', host: POSTFIX_HOST, port: 25 });
    expect(r.verdict.recipients).toEqual([expect.objectContaining({ address: 'alice@interop.test', status: 'accepted' })]);
    // Every reply Postfix gave is explained.
    for (const step of s?.steps ?? []) if (step.reply) expect(step.explanation?.code).toBe(step.reply.code);
  });

  it('nobody@interop.test: Postfix\'s 550 5.1.1 is "no such user"', async () => {
    const r = await probe('nobody@interop.test');
    expect(r.verdict.kind).toBe('no-such-user');
    expect(r.verdict.recipients[0]).toMatchObject({ status: 'no-such-user', reply: { code: 550, enhanced: '5.1.1' } });
    expect(r.sessions[0]?.outcome.reason).toBe('userunknown');
  });

  it('all three ports: 25 accepts, 587 and 465 refuse RCPT without AUTH', async () => {
    const r = await probe('alice@interop.test', { ports: [portSpec(25), portSpec(587), portSpec(465)] });
    const byPort = new Map(r.sessions.map((s) => [s.port, s]));
    expect([...byPort.keys()].sort()).toEqual([25, 465, 587]);
    expect(byPort.get(25)?.outcome.kind).toBe('ok');
    expect(byPort.get(587)).toMatchObject({ tlsMode: 'starttls', outcome: { stage: 'rcpt', reply: { code: 554, enhanced: '5.7.1' } } });
    expect(byPort.get(465)).toMatchObject({ tlsMode: 'implicit', outcome: { stage: 'rcpt', reply: { code: 554, enhanced: '5.7.1' } } });
  });
});
