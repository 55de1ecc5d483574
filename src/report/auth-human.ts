// Human rendering of the `auth` report: one section per check (SPF, DKIM, DMARC, reverse
// DNS) with its findings and fixes, then the verdict. Pure: data in, string out; colours from
// the Chalk instance handed in. Everything that came from DNS goes through printable(), so a
// TXT record cannot put escape sequences on the terminal. No network, no process.*.
import type { ChalkInstance } from 'chalk';
import type { Lang } from '../catalog/data.js';
import { localize, MESSAGES, t } from '../catalog/messages.js';
import { CHECK_NAMES, type AuthResult } from '../checks/auth.js';
import type { CheckStatus, CheckSummary, Finding } from '../checks/types.js';
import { printable } from './printable.js';
import { wrap } from './wrap.js';

export interface AuthRenderOptions { chalk: ChalkInstance; width: number; verbose?: boolean; quiet?: boolean; lang?: Lang }

const p = (s: string | null | undefined): string => printable(s ?? '');

function statusMark(c: ChalkInstance, s: CheckStatus, lang: Lang): string {
  switch (s) {
    case 'pass': return c.green(`✓ ${t(lang, 'auth.mark.pass')}`);
    case 'warn': return c.yellow(`! ${t(lang, 'word.warn')}`);
    case 'fail': return c.red.bold(`✗ ${t(lang, 'auth.mark.fail')}`);
    case 'error': return c.magenta(`? ${t(lang, 'word.error')}`);
    case 'info': return c.cyan(`i ${t(lang, 'auth.mark.info')}`);
  }
}

const L = (o: AuthRenderOptions): Lang => o.lang ?? 'en';
/** A sentence of the core in the report's language, made printable. */
const lp = (o: AuthRenderOptions, s: string | null | undefined): string => p(localize(L(o), s ?? ''));

function levelMark(c: ChalkInstance, l: Finding['level']): string {
  switch (l) {
    case 'ok': return c.green('✓');
    case 'info': return c.cyan('·');
    case 'warn': return c.yellow('!');
    case 'error': return c.red('✗');
  }
}

function findingLines(o: AuthRenderOptions, findings: readonly Finding[], indent = '  '): string[] {
  const out: string[] = [];
  for (const f of findings) {
    if (f.level === 'info' && !o.verbose && /^(dkim\.notes|dmarc\.(uri-size|fo-without-ruf|ri-historic|rf-historic))$/.test(f.code)) continue;
    const text = wrap(lp(o, f.message), o.width, `${indent}  `).replace(new RegExp(`^${indent}  `), `${indent}${levelMark(o.chalk, f.level)} `);
    out.push(text);
    if (f.fix) out.push(o.chalk.dim(wrap(t(L(o), 'auth.fix', { fix: lp(o, f.fix) }), o.width, `${indent}    `)));
  }
  return out;
}

function header(o: AuthRenderOptions, title: string, c: Pick<CheckSummary, 'status' | 'result'> | { status: CheckStatus; result: string }): string {
  return `${o.chalk.bold(title.padEnd(12))} ${statusMark(o.chalk, c.status, L(o))}  ${o.chalk.dim(`(${p(c.result === null ? c.result : resultWord(o, c.result))})`)}`;
}

/** A check's result: RFC 8601 words (pass, fail, none…) as they are; the other result values
 *  (found, valid…) in the user's language. */
function resultWord(o: AuthRenderOptions, result: string): string {
  return L(o) !== 'en' && MESSAGES[`auth.result.${result}`] ? t(L(o), `auth.result.${result}`) : result;
}

function kv(o: AuthRenderOptions, key: string, value: string): string {
  // French typography: a space before the colon.
  return wrap(`${o.chalk.dim(`${key}${L(o) === 'fr' ? ' :' : ':'}`)} ${value}`, o.width, '    ').replace(/^ {4}/, '  ');
}

function queryLines(o: AuthRenderOptions, c: CheckSummary | undefined): string[] {
  if (!o.verbose || !c || c.queries.length === 0) return [];
  return [o.chalk.dim(`  ${t(L(o), 'auth.dns-lookups', { n: c.queries.length })}`), ...c.queries.map((q) => o.chalk.dim(`    ${q.type.padEnd(5)} ${p(q.name)} → ${q.result} ${q.ms} ms`))];
}

/**
 * The verdict in the reader's language. A failing verdict joins every failing check's summary
 * into one long line; read back whole, a template can span two of them ("SPF … for {ip}: …"
 * taking "192.0.2.7 at bad.test" as the IP), so it is rebuilt from each check's own summary.
 */
function verdictLine(r: AuthResult, o: AuthRenderOptions): string {
  const lang = L(o);
  if (lang === 'en' || r.verdict.status !== 'fail') return lp(o, r.verdict.line);
  const failing = r.verdict.problems.map((name) => r.checks.find((x) => x.check === name));
  if (failing.some((x) => x === undefined)) return lp(o, r.verdict.line);
  const items = (failing as CheckSummary[]).map((x) => t(lang, 'common.subject-text', { subjectMsg: CHECK_NAMES[x.check], textMsg: x.summary })).join(' · ');
  // The items are in `lang` already: a placeholder keeps them from being read back again.
  const HOLE = '\u0000';
  return p(t(lang, failing.length === 1 ? 'auth.verdict.problem' : 'auth.verdict.problems', { n: failing.length, itemsMsg: HOLE }).replace(HOLE, items));
}

export function renderAuth(r: AuthResult, o: AuthRenderOptions): string {
  const c = o.chalk;
  const verdictColour = r.verdict.status === 'fail' || r.verdict.status === 'no-such-domain' ? c.red.bold : r.verdict.status === 'error' ? c.magenta : r.verdict.status === 'warn' ? c.yellow : c.green;
  const verdict = verdictColour(wrap(verdictLine(r, o), o.width));
  if (o.quiet) return `${verdict}\n`;
  const check = (name: string): CheckSummary | undefined => r.checks.find((x) => x.check === name);
  const out: string[] = [];
  const context = [
    r.ip ? `IP ${r.ip}` : t(L(o), 'auth.context.no-ip'),
    r.from !== undefined ? `MAIL FROM <${p(r.from ?? '')}>` : '',
    r.helo ? `HELO ${p(r.helo)}` : '',
  ].filter(Boolean).join(' · ');
  out.push(`${c.bold(t(L(o), 'auth.title', { domain: p(r.domain) }))}  ${c.dim(context)}`, '');

  // SPF
  // Without an IP there is no SPF result: the header shows the record's own status.
  out.push(header(o, 'SPF', { status: r.spf.status, result: r.spf.result ?? t(L(o), 'auth.spf-record-status', { status: resultWord(o, r.spf.recordStatus) }) }));
  out.push(wrap(lp(o, r.spf.summary), o.width, '  '));
  if (r.spf.record) out.push(kv(o, t(L(o), 'auth.kv.record'), p(r.spf.record)));
  if (r.spf.sender) out.push(kv(o, t(L(o), 'auth.kv.sender'), p(r.spf.sender)));
  if (r.spf.explanation) out.push(kv(o, t(L(o), 'auth.kv.explanation'), p(r.spf.explanation)));
  out.push(...findingLines(o, r.spf.findings), ...queryLines(o, check('spf')), '');

  // DKIM
  const dkim = check('dkim');
  out.push(header(o, 'DKIM', dkim ?? { status: 'info', result: 'none' }));
  if (dkim && !dkim.findings.some((f) => f.code === 'dkim.none-found')) out.push(wrap(lp(o, dkim.summary), o.width, '  '));
  if (r.dkim.length > 0) {
    for (const s of r.dkim) {
      const key = s.keyType ? t(L(o), 'auth.dkim.bits', { type: s.keyType, bits: s.keyBits ?? 0 }) : '';
      const colour = s.status === 'ok' ? c.green : s.status === 'weak' || s.status === 'testing' ? c.yellow : s.status === 'revoked' ? c.dim : c.red;
      out.push(`  ${p(s.selector).padEnd(16)} ${colour(t(L(o), ['ok', 'testing'].includes(s.status) ? `word.${s.status}` : s.status === 'error' ? 'word.error' : `auth.dkim.status.${s.status}`).padEnd(9))} ${key}${s.requested ? c.dim(`  ${t(L(o), 'auth.dkim.given')}`) : ''}`);
    }
  }
  out.push(...findingLines(o, (dkim?.findings ?? []).filter((f) => f.code !== 'dkim.key-ok')), ...queryLines(o, dkim), '');

  // DMARC
  const dm = r.dmarc;
  out.push(header(o, 'DMARC', dm));
  out.push(wrap(lp(o, dm.summary), o.width, '  '));
  if (dm.record) out.push(kv(o, t(L(o), 'auth.kv.record-at', { domain: p(dm.recordDomain) }), p(dm.record)));
  if (dm.policy) {
    const pol = dm.effectivePolicy && dm.effectivePolicy !== dm.policy ? t(L(o), 'auth.dmarc.test-mode', { policy: p(dm.policy), effective: p(dm.effectivePolicy) }) : p(dm.policy);
    out.push(kv(o, t(L(o), 'auth.kv.policy'), `${pol}${dm.subdomainPolicy ? t(L(o), 'auth.dmarc.subdomains', { policy: p(dm.subdomainPolicy) }) : ''}`));
    const mode = (m: string | null | undefined): string => t(L(o), m === 's' ? 'auth.alignment.strict' : 'auth.alignment.relaxed');
    out.push(kv(o, t(L(o), 'auth.kv.alignment'), t(L(o), 'auth.alignment.modes', { dkim: mode(dm.adkim), spf: mode(dm.aspf) })));
  }
  out.push(kv(o, t(L(o), 'auth.kv.org-domain'), `${p(dm.orgDomain)} ${c.dim(`(${t(L(o), dm.mode === 'rfc9989' ? 'auth.org.tree-walk' : 'auth.org.psl')}${dm.orgDomainPsl !== dm.orgDomain ? t(L(o), 'auth.org.psl-says', { domain: p(dm.orgDomainPsl) }) : ''})`)}`));
  const reports = [...dm.rua.map((u) => ['rua', u] as const), ...dm.ruf.map((u) => ['ruf', u] as const)];
  for (const [tag, u] of reports) {
    const auth = u.external ? (u.authorized ? c.green(` ${t(L(o), 'auth.report.authorized')}`) : u.authorized === false ? c.yellow(` ${t(L(o), 'auth.report.not-authorized')}`) : c.dim(` ${t(L(o), 'auth.report.unknown')}`)) : '';
    out.push(kv(o, tag, `${p(u.address ?? u.uri)}${auth}`));
  }
  if (dm.alignment) {
    const a = dm.alignment.spf;
    const cand = a.candidates[0];
    if (cand) out.push(kv(o, t(L(o), 'auth.kv.spf-alignment'), `${p(cand.domain)} (SPF ${p(cand.result)}) → ${a.aligned ? c.green(t(L(o), 'auth.aligned')) : c.yellow(t(L(o), 'auth.not-aligned'))} (${t(L(o), a.mode === 'strict' ? 'auth.alignment.strict' : 'auth.alignment.relaxed')})`));
  }
  out.push(...findingLines(o, dm.findings.filter((f) => f.code !== 'dmarc.ok')), ...queryLines(o, check('dmarc')), '');

  // Reverse DNS
  if (r.rdns) {
    const rd = r.rdns;
    out.push(header(o, t(L(o), 'auth.rdns.heading'), rd));
    out.push(wrap(lp(o, rd.summary), o.width, '  '));
    if (rd.ptr.length > 0) out.push(kv(o, 'PTR', rd.ptr.map(p).join(', ')));
    out.push(...findingLines(o, rd.findings.filter((f) => f.code !== 'rdns.fcrdns')), ...queryLines(o, check('rdns')), '');
  } else {
    out.push(c.dim(t(L(o), 'auth.rdns.hint')), '');
  }

  out.push(verdict);
  return `${out.join('\n')}\n`;
}
