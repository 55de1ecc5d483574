// --relay-test, --vrfy and --quit-after against the project's real Postfix (its relay rules,
// its VRFY, its QUIT handling): closed relay for every variant, Postfix's default VRFY (252 for
// a user, 550 for a name that cannot exist) found discriminating, QUIT right after each stop.
// Like postfix.test.ts: skipped without the peer, failing without it when SMTP_PROBE_INTEROP=1.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { interopSkipped } from './peer.js';
import { interopProbe } from './probe-harness.js';

const harness = interopProbe();
const probe = harness.probe;

describe.skipIf(interopSkipped(inject('interopPeer')))('posture checks against the real Postfix', () => {
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  it('--relay-test: every variant refused (closed), RSET after each; --vrfy: Postfix tells users apart', async () => {
    const r = await probe('alice@interop.test', { relayTest: true, vrfy: ['alice'] });
    const s = r.sessions[0]!;
    expect(s.outcome.kind).toBe('ok');
    expect(s.relayTest?.status).toBe('closed');
    expect(s.relayTest?.variants.every((v) => v.result === 'refused' || v.result === 'sender-refused')).toBe(true);
    expect(s.relayTest?.variants.some((v) => v.rcptReply?.code === 554)).toBe(true);
    const relaySteps = s.steps.filter((x) => x.part === 'relay-test').map((x) => x.sent);
    expect(relaySteps.filter((x) => x === 'RSET').length).toBe(1 + (s.relayTest?.variants.length ?? 0));
    expect(s.exposure?.[0]).toMatchObject({ command: 'VRFY', argument: 'alice', result: 'discriminates' });
    expect(r.verdict.kind).toBe('accepted');
    expect(r.findings?.map((f) => f.code)).toEqual(['vrfy.discriminates', 'relay.closed']);
  });

  it('--quit-after: the dialogue ends with QUIT at each stage, verdict stage-reached', async () => {
    for (const [q, last] of [['banner', undefined], ['tls', 'STARTTLS'], ['ehlo', 'EHLO probe.example.net'], ['mail', 'MAIL FROM:<>']] as const) {
      const r = await probe('alice@interop.test', { quitAfter: q });
      const sent = r.sessions[0]!.steps.map((x) => x.sent).filter((x): x is string => x !== undefined);
      expect(sent.at(-1), q).toBe('QUIT');
      expect(sent.at(-2), q).toBe(last);
      expect(r.verdict.kind, q).toBe('stage-reached');
      expect(r.sessions[0]!.steps.at(-1)?.reply?.code, q).toBe(221);
    }
  });
});
