// The auth verdict (exit-code source) and the human renderer, without DNS: fail beats
// everything, "error" only when every check failed on DNS, and the renderer is pure,
// prints DNS text through printable() and honours --quiet.
import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { authVerdict, type AuthResult } from '../../../src/checks/auth.js';
import { renderAuth } from '../../../src/report/auth-human.js';
import type { CheckStatus, CheckSummary } from '../../../src/checks/types.js';

const c = (check: CheckSummary['check'], status: CheckStatus, summary = `${check} ${status}`): CheckSummary =>
  ({ check, status, result: status, subject: 'example.com', summary, findings: [], details: {}, queries: [] });

describe('authVerdict', () => {
  it('fails when any check fails, naming every failing check', () => {
    const v = authVerdict('example.com', [c('spf', 'fail'), c('dkim', 'pass'), c('dmarc', 'fail'), c('rdns', 'error')]);
    expect(v).toMatchObject({ status: 'fail', problems: ['spf', 'dmarc'] });
    expect(v.line).toMatch(/^2 problems: SPF: spf fail · DMARC: dmarc fail$/);
  });
  it('is an error only when every check failed on DNS', () => {
    expect(authVerdict('example.com', [c('spf', 'error'), c('dkim', 'error'), c('dmarc', 'error')]).status).toBe('error');
    expect(authVerdict('example.com', [c('spf', 'error'), c('dkim', 'info'), c('dmarc', 'pass')]).status).toBe('warn');
  });
  it('warns, or passes', () => {
    expect(authVerdict('example.com', [c('spf', 'pass'), c('dkim', 'warn'), c('dmarc', 'pass')]).status).toBe('warn');
    expect(authVerdict('example.com', [c('spf', 'pass'), c('dkim', 'info'), c('dmarc', 'pass')])).toMatchObject({ status: 'pass', line: 'SPF, DKIM, DMARC look right for example.com.' });
  });
});

const align = { mode: 'relaxed' as const, strict: false, aligned: false, candidates: [] };
const result = (txt: string): AuthResult => ({
  schemaVersion: 1,
  domain: 'example.com',
  spf: { result: 'none', recordStatus: 'none', status: 'fail', summary: 'no SPF', explanation: null, record: null, sender: 'postmaster@example.com', domain: 'example.com', findings: [] },
  dkim: [{ selector: 'x', status: 'invalid', keyType: null, keyBits: null, requested: true, record: txt, findings: [] }],
  dmarc: {
    mode: 'rfc9989', status: 'warn', result: 'found', summary: 'DMARC policy for example.com: none.', record: txt, recordDomain: 'example.com', inherited: false,
    policy: 'none', effectivePolicy: 'none', subdomainPolicy: 'none', orgDomain: 'example.com', orgDomainPsl: 'example.com', orgDomainTreeWalk: 'example.com',
    adkim: 'r', aspf: 'r', pct: null, testing: false, rua: [], ruf: [], alignment: { spf: align, dkim: align }, brokenRecords: [],
    findings: [{ level: 'warn', code: 'dmarc.p-none', message: `evil ${txt}`, fix: 'do it' }],
  },
  checks: [c('spf', 'fail'), c('dkim', 'fail'), c('dmarc', 'warn')],
  verdict: { status: 'fail', problems: ['spf', 'dkim'], line: 'Problem: SPF' },
});

describe('renderAuth', () => {
  const o = { chalk: new Chalk({ level: 0 }), width: 80 };
  it('renders a section per check, findings with fixes, and the verdict last', () => {
    const out = renderAuth(result('v=DMARC1; p=none'), o);
    expect(out).toMatch(/^SPF +✗ FAIL/m);
    expect(out).toMatch(/^DKIM +/m);
    expect(out).toMatch(/^DMARC +! warn/m);
    expect(out).toMatch(/fix: do it/);
    expect(out).toMatch(/give the sending IP with --ip/);
    expect(out.trim().split('\n').at(-1)).toBe('Problem: SPF');
  });
  it('never lets DNS text put control characters on the terminal', () => {
    const out = renderAuth(result('v=DMARC1; p=none\u001b]0;pwned\u0007\r\n'), o);
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain('p=none?]0;pwned???');
  });
  it('prints only the verdict with --quiet', () => {
    expect(renderAuth(result('x'), { ...o, quiet: true })).toBe('Problem: SPF\n');
  });
});
