// Human rendering of a domain's transport security (MTA-STS, TLS-RPT, DANE) under the probe:
// one status line per mechanism (per MX host for DANE), then its findings (errors and warnings; everything with
// --verbose) with what to do. Every DNS- or HTTP-supplied value goes through printable().
import type { ChalkInstance } from 'chalk';
import type { Lang } from '../catalog/data.js';
import { localize, t } from '../catalog/messages.js';
import type { Finding } from '../checks/types.js';
import type { DomainSecurity } from '../probe/domain-security.js';
import { MATCHING_NAMES, SELECTOR_NAMES, USAGE_NAMES } from '../checks/dane.js';
import { printable as p, printableLines as pl } from './printable.js';
import { wrap } from './wrap.js';

export interface SecurityRenderOptions { chalk: ChalkInstance; width: number; verbose: boolean; lang?: Lang }

function findingLines(findings: readonly Finding[], o: SecurityRenderOptions): string[] {
  return findings
    .filter((f) => f.level === 'error' || f.level === 'warn' || o.verbose)
    .map((f) => wrap(`${f.level === 'error' ? '✗' : f.level === 'warn' ? '!' : '·'} ${pl(localize(o.lang ?? 'en', f.message))}${f.fix ? ` → ${pl(localize(o.lang ?? 'en', f.fix))}` : ''}`, o.width, '     '));
}

export function renderSecurity(s: DomainSecurity, o: SecurityRenderOptions): string[] {
  const c = o.chalk;
  const colour = (st: string): ((x: string) => string) => (st === 'ok' ? c.green : st === 'fail' ? c.red : st === 'warn' || st === 'error' ? c.yellow : c.dim);
  const m = s.mtaSts;
  const lang = o.lang ?? 'en';
  // Status words and the core's summaries in the report's language (data/messages.json).
  const word = (st: string): string => t(lang, ['ok', 'warn', 'error', 'testing'].includes(st) ? `word.${st}` : `security.status.${st}`);
  const out = [c.bold(t(lang, 'security.heading'))];
  out.push(colour(m.status)(wrap(`MTA-STS ${p(m.domain)}: ${word(m.status)} — ${pl(localize(lang, m.summary))}`, o.width, '     ').replace(/^ {2}/, '')));
  if (m.policy.fetched && (o.verbose || m.status !== 'none')) {
    const facts = [m.txt.id ? `id ${p(m.txt.id)}` : t(lang, 'security.no-valid-id'), `mode ${p(m.policy.mode ?? '?')}`, `max_age ${m.policy.maxAge ?? '?'}`, `mx ${m.policy.mx.map(p).join(', ') || t(lang, 'common.none')}`];
    out.push(c.dim(wrap(facts.join(' · '), o.width, '     ')));
  }
  out.push(...findingLines(m.findings, o));
  const r = s.tlsRpt;
  out.push(colour(r.status)(wrap(`TLS-RPT ${p(r.name)}: ${word(r.status)} — ${pl(localize(lang, r.summary))}`, o.width, '     ').replace(/^ {2}/, '')));
  out.push(...findingLines(r.findings, o));
  out.push(...renderDane(s.dane, o, colour, word));
  return out;
}

function renderDane(d: DomainSecurity['dane'] | undefined, o: SecurityRenderOptions, colour: (st: string) => (x: string) => string, word: (st: string) => string): string[] {
  if (!d) return [];
  const c = o.chalk;
  const lang = o.lang ?? 'en';
  const line = (st: string, text: string): string => colour(st)(wrap(text, o.width, '     ').replace(/^ {2}/, ''));
  // Hosts without TLSA records fold into one line unless --verbose.
  if (!o.verbose && d.hosts.every((h) => h.status === 'none')) return [line(d.status, `DANE: ${word(d.status)} — ${pl(localize(lang, d.summary))}`)];
  const out: string[] = [];
  for (const h of d.hosts) {
    if (h.status === 'none' && !o.verbose) continue;
    out.push(line(h.status, `DANE ${p(h.name)}: ${word(h.status)} — ${pl(localize(lang, h.summary))}`));
    if (o.verbose) {
      for (const r of h.records) out.push(c.dim(wrap(`TLSA ${p(r.text)}${r.usage !== undefined ? ` (${[`usage ${USAGE_NAMES[r.usage] ?? r.usage}`, `selector ${SELECTOR_NAMES[r.selector ?? -1] ?? r.selector}`, `matching ${MATCHING_NAMES[r.matchingType ?? -1] ?? r.matchingType}`].join(', ')})` : ''}${r.usable ? '' : ` — unusable: ${pl(localize(lang, r.unusable ?? ''))}`}`, o.width, '       ')));
    }
    out.push(...findingLines(h.findings, o));
  }
  return out;
}
