// The verdict is a pure decision over sessions: which host decides, what the other hosts and
// ports add as warnings, when every host timing out on port 25 points at the sender's own
// network, and when a submission port's 530 is health, not rejection.
import { describe, expect, it } from 'vitest';
import { decideVerdict, type VerdictInput } from '../../../src/probe/verdict.js';
import type { AnnotatedSession } from '../../../src/probe/annotate.js';
import type { MailHosts } from '../../../src/dns/mail-hosts.js';

const hosts: MailHosts = {
  domain: 'ex.test', kind: 'mx', omittedHosts: 0, limits: { maxHosts: 10, maxAddressesPerHost: 5 }, notes: [],
  hosts: [
    { name: 'mx1.ex.test', preference: 10, addresses: ['192.0.2.1'], omittedAddresses: 0, notes: [] },
    { name: 'mx2.ex.test', preference: 20, addresses: ['192.0.2.2'], omittedAddresses: 0, notes: [] },
  ],
};

function session(host: string, port: number, outcome: AnnotatedSession['outcome'], rcpts: AnnotatedSession['rcpts'] = []): AnnotatedSession {
  return { host, address: host === 'mx1.ex.test' ? '192.0.2.1' : '192.0.2.2', port, tlsMode: 'none', steps: [], rcpts, outcome, notes: [] };
}
const input = (sessions: AnnotatedSession[], ports = [25]): VerdictInput => ({
  target: { kind: 'address', input: 'bob@ex.test', address: 'bob@ex.test', local: 'bob', domain: 'ex.test' },
  mailHosts: hosts, sessions, ports: ports.map((port) => ({ port, implicitTls: port === 465 })), rcpts: ['bob@ex.test'], checks: [],
});
const timeout = (host: string) => session(host, 25, { kind: 'timeout', stage: 'connect', message: `conversation with ${host} timed out while connecting` });
const accepted = (host: string, port = 25) => session(host, port, { kind: 'ok', stage: 'rcpt', message: 'accepted' }, [{ address: 'bob@ex.test', accepted: true, reply: { code: 250, enhanced: '2.1.5', lines: ['Ok'], text: 'Ok' } }]);

describe('decideVerdict', () => {
  it('every host timing out on port 25 says outbound port 25 may be blocked', () => {
    const v = decideVerdict(input([timeout('mx1.ex.test'), timeout('mx2.ex.test')]));
    expect(v.kind).toBe('timeout');
    expect(v.warnings.join(' ')).toMatch(/block outbound port 25/);
  });

  it('an unreachable primary is skipped: the backup decides, the primary is a warning', () => {
    const v = decideVerdict(input([timeout('mx1.ex.test'), accepted('mx2.ex.test')]));
    expect(v).toMatchObject({ kind: 'accepted', host: 'mx2.ex.test' });
    expect(v.warnings).toEqual([expect.stringMatching(/^mx1\.ex\.test\[192\.0\.2\.1\]:25 \(MX 10\): .*timed out/)]);
    expect(v.warnings.join(' ')).not.toMatch(/port 25/);
  });

  it('a 530 on a submission port is a healthy service asking for authentication', () => {
    const s = session('mx1.ex.test', 587, { kind: 'rejected', stage: 'mail', message: 'rejected the sender', reply: { code: 530, enhanced: '5.7.0', lines: ['Must issue a STARTTLS command first'], text: 'Must issue a STARTTLS command first' } });
    const v = decideVerdict(input([s], [587]));
    expect(v.kind).toBe('auth-required');
    // The same reply on port 25 is a rejection.
    expect(decideVerdict(input([{ ...s, port: 25 }])).kind).toBe('rejected');
  });

  it('other ports are reported beside the verdict, not in it', () => {
    const bad465 = session('mx1.ex.test', 465, { kind: 'tls', stage: 'connect', message: 'TLS with mx1 failed while connecting' });
    const v = decideVerdict(input([accepted('mx1.ex.test'), accepted('mx2.ex.test'), bad465], [25, 465]));
    expect(v).toMatchObject({ kind: 'accepted', port: 25 });
    expect(v.warnings).toEqual([expect.stringMatching(/:465: TLS with mx1 failed/)]);
  });

  it('a null MX is a permanent "accepts no mail"', () => {
    const v = decideVerdict({ ...input([]), mailHosts: { ...hosts, kind: 'null-mx', hosts: [] } });
    expect(v.kind).toBe('null-mx');
  });

  describe('submission ports asking for AUTH are healthy (the class, not one reply)', () => {
    const refuse = (port: number, code: number, enhanced: string | undefined, text: string, auth = ['PLAIN', 'LOGIN']): AnnotatedSession => ({
      ...session('mx1.ex.test', port, { kind: 'rejected', stage: 'rcpt', message: 'refused', reply: { code, ...(enhanced ? { enhanced } : {}), lines: [text], text } }),
      extensions: { keywords: {}, pipelining: true, starttls: true, auth, smtputf8: false, eightBitMime: false } as unknown as AnnotatedSession['extensions'],
    });
    const healthy: [number, string | undefined, string][] = [
      [530, '5.7.0', 'Authentication required'],
      [530, '5.5.1', 'Authentication Required. Learn more at https://support.google.com/mail'],
      [554, '5.7.1', '<bob@ex.test>: Relay access denied'],
      [550, '5.7.1', 'Client does not have permissions to send as this sender'.replace('sender', 'sender (must authenticate)')],
      [553, '5.7.1', 'Sender must login first'],
      [550, undefined, 'SMTP AUTH is required for relaying'],
      [554, '5.7.57', 'Client not authenticated to send mail'],
    ];
    for (const [code, enh, text] of healthy) {
      it(`587 ${code} ${enh ?? ''} ${text}: auth-required, and no warning under --port all`, () => {
        expect(decideVerdict(input([refuse(587, code, enh, text)], [587])).kind).toBe('auth-required');
        const v = decideVerdict(input([accepted('mx1.ex.test'), accepted('mx2.ex.test'), refuse(587, code, enh, text)], [25, 587]));
        expect(v.warnings).toEqual([]);
      });
    }
    it('a policy refusal on 587 (blocklisted IP) is still a rejection', () => {
      expect(decideVerdict(input([refuse(587, 554, '5.7.1', 'Service unavailable; client host blocked using zen.spamhaus.org')], [587])).kind).toBe('rejected');
    });
    it('a refusal about the message\'s SPF/DKIM/DMARC on 587 is not "AUTH required"', () => {
      expect(decideVerdict(input([refuse(587, 550, '5.7.26', 'Unauthenticated email from x.test is not accepted due to domain\'s DMARC policy')], [587])).kind).toBe('rejected');
      expect(decideVerdict(input([refuse(587, 550, '5.7.23', 'SPF authentication failed for x.test')], [587])).kind).toBe('rejected');
    });
    it('Exchange\'s "Unable to relay recipient in non-accepted domain" on 25 is not-for-this-server', () => {
      expect(decideVerdict(input([refuse(25, 550, '5.7.54', 'SMTP; Unable to relay recipient in non-accepted domain', [])])).kind).toBe('not-for-this-server');
    });
    it('a failed AUTH (535) is not health', () => {
      expect(decideVerdict(input([refuse(587, 535, '5.7.8', 'Authentication credentials invalid')], [587])).kind).toBe('rejected');
    });
    it('a backup MX accepting what the primary refuses for policy is flagged too', () => {
      const p = { ...refuse(25, 554, '5.7.1', 'Recipient address rejected: Access denied', []), rcpts: [{ address: 'bob@ex.test', accepted: false, reply: { code: 554, enhanced: '5.7.1', lines: ['x'], text: 'Recipient address rejected: Access denied' } }] };
      const v = decideVerdict(input([p, accepted('mx2.ex.test')]));
      expect(v.kind).toBe('rejected');
      expect(v.warnings.join('\n')).toMatch(/mx2\.ex\.test.*\(MX 20\) accepts bob@ex\.test, which mx1\.ex\.test.* refuses \(554 5\.7\.1\): mail the primary refuses gets in through this backup MX/);
    });
    it('a blocklist check that could not decide makes the cause "not determined", never clean', () => {
      const s = { ...refuse(25, 554, '5.7.1', 'Client host blocked', []), outcome: { kind: 'rejected' as const, stage: 'rcpt' as const, message: 'refused', reason: 'blocked' as const, reply: { code: 554, enhanced: '5.7.1', lines: ['x'], text: 'Client host blocked' } } };
      const bl = { check: 'dnsbl' as const, status: 'error' as const, result: 'error', subject: '203.0.113.9', summary: 'Could not check 203.0.113.9: only 1 of 34 lists answered', findings: [], details: {}, queries: [] };
      expect(decideVerdict({ ...input([s]), checks: [bl] }).cause).toBe('not determined: Could not check 203.0.113.9: only 1 of 34 lists answered');
    });
    it('a blocklist refusal is never blamed on a failing DMARC check run for context', () => {
      const s = { ...refuse(25, 554, '5.7.1', 'Client host blocked using zen.spamhaus.org', []), outcome: { kind: 'rejected' as const, stage: 'rcpt' as const, message: 'refused', reason: 'blocked' as const, reply: { code: 554, enhanced: '5.7.1', lines: ['x'], text: 'Client host blocked using zen.spamhaus.org' } } };
      const dmarc = { check: 'dmarc' as const, status: 'fail' as const, result: 'permerror', subject: 'x', summary: 'DMARC broken', findings: [], details: {}, queries: [] };
      expect(decideVerdict({ ...input([s]), checks: [dmarc] }).cause).toBeUndefined();
      const listed = { ...dmarc, check: 'dnsbl' as const, result: 'listed', summary: 'listed on zen.spamhaus.org' };
      expect(decideVerdict({ ...input([s]), checks: [dmarc, listed] }).cause).toBe('listed on zen.spamhaus.org');
    });
    it('a relay denial on port 25 is "not for this server", exit 5, with no cause blamed', () => {
      const s = refuse(25, 554, '5.7.1', '<bob@ex.test>: Relay access denied', []);
      const v = decideVerdict({ ...input([s]), checks: [{ check: 'spf', status: 'fail', result: 'fail', subject: 'x', summary: 'SPF fail', findings: [], details: {}, queries: [] }] });
      expect(v.kind).toBe('not-for-this-server');
      expect(v.cause).toBeUndefined();
    });
  });
});
