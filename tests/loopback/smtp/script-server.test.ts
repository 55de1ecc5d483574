// The scripted server itself (issue 13 item 4, the demo-server part): an error while
// answering (here a rule whose pattern is not a valid regular expression) reaches the test
// as an error and the client as an immediate 421, never as silence and a timeout.
import { describe, expect, it } from 'vitest';
import { startScriptServer } from '../../../src/demo/smtp-script-server.js';
import { expectNoMessageSent, expectNoServerError, session } from '../../helpers/smtp.js';

describe('scripted server errors are loud', () => {
  it('a bad rule: the client gets 421 at once, the test sees the error', async () => {
    const s = await startScriptServer({ rules: [{ match: '(', reply: { lines: ['250 never'] } }] });
    try {
      const t0 = Date.now();
      const r = await session(s);
      expect(Date.now() - t0).toBeLessThan(5_000); // the EHLO deadline is 30 s: no waiting it out
      expect(r.outcome).toMatchObject({ kind: 'deferred', stage: 'ehlo', reply: { code: 421 } });
      expect(r.outcome.reply?.text).toMatch(/scripted server error: Invalid regular expression/);
      expect(s.errors).toHaveLength(1);
      expect(() => expectNoServerError(s)).toThrow(/Invalid regular expression/);
      expectNoMessageSent(s);
    } finally {
      await s.close();
    }
  });
});
