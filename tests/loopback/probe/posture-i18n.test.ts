// The posture parts of the report (AUTH line, relay test, VRFY/EXPN, findings) in every
// language: a real loopback session against an open relay with VRFY, its findings from the
// core in English (the JSON), and the renderer's lines localised — no English sentence left.
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { LANGS } from '../../../src/catalog/data.js';
import { t } from '../../../src/catalog/messages.js';
import { annotateSession } from '../../../src/probe/annotate.js';
import { postureFindings } from '../../../src/probe/posture-findings.js';
import { partHeading, renderPostureFindings, renderSessionPosture } from '../../../src/report/posture-human.js';
import { session, TLS, withServer } from '../../helpers/smtp.js';

const plain = new Chalk({ level: 0 });

describe('posture output in five languages', () => {
  it('AUTH, the relay test and VRFY findings read in the --lang language', async () => {
    await withServer({ catchAll: true, auth: { mechanisms: ['PLAIN'], users: { alice: 'pw-123456' } }, rules: [{ match: '^VRFY', reply: { lines: ['250 2.0.0 Bob <bob@script.test>'] } }] }, { tls: TLS }, async (s) => {
      const raw = await session(s, { relayTest: { localDomain: 'script.test' }, vrfy: ['bob'] });
      const a = annotateSession(raw, 'en');
      const authed = annotateSession(await session(s, { auth: { user: 'alice', password: 'pw-123456' }, quitAfter: 'auth' }), 'en');
      const findings = postureFindings([a]);
      expect(findings.map((f) => f.code)).toEqual(['vrfy.leaks', 'relay.open']);
      expect(findings[1]?.message).toMatch(/is an OPEN RELAY/);
      for (const lang of LANGS) {
        const o = { chalk: plain, width: 100, lang, verbose: false };
        const text = [
          ...renderSessionPosture(a, o),
          ...renderSessionPosture(authed, o),
          ...partHeading(undefined, a.steps.find((x) => x.part === 'relay-test')!, o),
          ...renderPostureFindings(findings, o),
        ].join('\n');
        expect(text).toContain(t(lang, 'posture.findings.heading'));
        expect(text).toContain(t(lang, 'posture.auth.status.ok'));
        expect(text).toContain(t(lang, 'posture.auth.used', { mechanism: 'PLAIN', user: 'alice' }));
        expect(text).toContain(t(lang, 'posture.part.relay-test'));
        expect(text).toContain(t(lang, 'posture.relay.status.open'));
        expect(text).toContain(t(lang, 'posture.relay.open-fix').slice(0, 30));
        if (lang !== 'en') {
          for (const english of ['is an OPEN RELAY', 'relay test:', 'Findings', 'restrict relaying', 'confirms which users exist', 'ACCEPTED', 'logged in', 'stopped after']) expect(text, `${lang}: ${english}`).not.toContain(english);
        }
      }
    });
  });
});
