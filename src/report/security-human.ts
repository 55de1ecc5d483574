// Human rendering of a domain's transport security (MTA-STS, TLS-RPT) under the probe: one
// status line per mechanism, then its findings (errors and warnings; everything with
// --verbose) with what to do. Every DNS- or HTTP-supplied value goes through printable().
import type { ChalkInstance } from 'chalk';
import type { Finding } from '../checks/types.js';
import type { DomainSecurity } from '../probe/domain-security.js';
import { printable as p, printableLines as pl } from './printable.js';
import { wrap } from './wrap.js';

export interface SecurityRenderOptions { chalk: ChalkInstance; width: number; verbose: boolean }

function findingLines(findings: readonly Finding[], o: SecurityRenderOptions): string[] {
  return findings
    .filter((f) => f.level === 'error' || f.level === 'warn' || o.verbose)
    .map((f) => wrap(`${f.level === 'error' ? '✗' : f.level === 'warn' ? '!' : '·'} ${pl(f.message)}${f.fix ? ` → ${pl(f.fix)}` : ''}`, o.width, '     '));
}

export function renderSecurity(s: DomainSecurity, o: SecurityRenderOptions): string[] {
  const c = o.chalk;
  const colour = (st: string): ((x: string) => string) => (st === 'ok' ? c.green : st === 'fail' ? c.red : st === 'warn' || st === 'error' ? c.yellow : c.dim);
  const m = s.mtaSts;
  const out = [c.bold('Transport security (MTA-STS, TLS-RPT)')];
  out.push(colour(m.status)(wrap(`MTA-STS ${p(m.domain)}: ${m.status} — ${pl(m.summary)}`, o.width, '     ').replace(/^ {2}/, '')));
  if (m.policy.fetched && (o.verbose || m.status !== 'none')) {
    const facts = [m.txt.id ? `id ${p(m.txt.id)}` : 'no valid id', `mode ${p(m.policy.mode ?? '?')}`, `max_age ${m.policy.maxAge ?? '?'}`, `mx ${m.policy.mx.map(p).join(', ') || '(none)'}`];
    out.push(c.dim(wrap(facts.join(' · '), o.width, '     ')));
  }
  out.push(...findingLines(m.findings, o));
  const t = s.tlsRpt;
  out.push(colour(t.status)(wrap(`TLS-RPT ${p(t.name)}: ${t.status} — ${pl(t.summary)}`, o.width, '     ').replace(/^ {2}/, '')));
  out.push(...findingLines(t.findings, o));
  return out;
}
