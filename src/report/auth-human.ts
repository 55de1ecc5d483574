// Human rendering of the `auth` report: one section per check (SPF, DKIM, DMARC, reverse
// DNS) with its findings and fixes, then the verdict. Pure: data in, string out; colours from
// the Chalk instance handed in. Everything that came from DNS goes through printable(), so a
// TXT record cannot put escape sequences on the terminal. No network, no process.*.
import type { ChalkInstance } from 'chalk';
import type { AuthResult } from '../checks/auth.js';
import type { CheckStatus, CheckSummary, Finding } from '../checks/types.js';
import { printable } from './printable.js';
import { wrap } from './wrap.js';

export interface AuthRenderOptions { chalk: ChalkInstance; width: number; verbose?: boolean; quiet?: boolean }

const p = (s: string | null | undefined): string => printable(s ?? '');

function statusMark(c: ChalkInstance, s: CheckStatus): string {
  switch (s) {
    case 'pass': return c.green('✓ pass');
    case 'warn': return c.yellow('! warn');
    case 'fail': return c.red.bold('✗ FAIL');
    case 'error': return c.magenta('? error');
    case 'info': return c.cyan('i info');
  }
}

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
    const text = wrap(p(f.message), o.width, `${indent}  `).replace(new RegExp(`^${indent}  `), `${indent}${levelMark(o.chalk, f.level)} `);
    out.push(text);
    if (f.fix) out.push(o.chalk.dim(wrap(`fix: ${p(f.fix)}`, o.width, `${indent}    `)));
  }
  return out;
}

function header(o: AuthRenderOptions, title: string, c: Pick<CheckSummary, 'status' | 'result'> | { status: CheckStatus; result: string }): string {
  return `${o.chalk.bold(title.padEnd(12))} ${statusMark(o.chalk, c.status)}  ${o.chalk.dim(`(${p(c.result)})`)}`;
}

function kv(o: AuthRenderOptions, key: string, value: string): string {
  return wrap(`${o.chalk.dim(`${key}:`)} ${value}`, o.width, '    ').replace(/^ {4}/, '  ');
}

function queryLines(o: AuthRenderOptions, c: CheckSummary | undefined): string[] {
  if (!o.verbose || !c || c.queries.length === 0) return [];
  return [o.chalk.dim(`  DNS (${c.queries.length} lookups):`), ...c.queries.map((q) => o.chalk.dim(`    ${q.type.padEnd(5)} ${p(q.name)} → ${q.result} ${q.ms} ms`))];
}

export function renderAuth(r: AuthResult, o: AuthRenderOptions): string {
  const c = o.chalk;
  const verdictColour = r.verdict.status === 'fail' || r.verdict.status === 'no-such-domain' ? c.red.bold : r.verdict.status === 'error' ? c.magenta : r.verdict.status === 'warn' ? c.yellow : c.green;
  const verdict = verdictColour(wrap(p(r.verdict.line), o.width));
  if (o.quiet) return `${verdict}\n`;
  const check = (name: string): CheckSummary | undefined => r.checks.find((x) => x.check === name);
  const out: string[] = [];
  const context = [
    r.ip ? `IP ${r.ip}` : 'no --ip: SPF record and DMARC policy only, no evaluation',
    r.from !== undefined ? `MAIL FROM <${p(r.from ?? '')}>` : '',
    r.helo ? `HELO ${p(r.helo)}` : '',
  ].filter(Boolean).join(' · ');
  out.push(`${c.bold(`Sender authentication for ${p(r.domain)}`)}  ${c.dim(context)}`, '');

  // SPF
  // Without an IP there is no SPF result: the header shows the record's own status.
  out.push(header(o, 'SPF', { status: r.spf.status, result: r.spf.result ?? `record ${r.spf.recordStatus}, no IP evaluated` }));
  out.push(wrap(p(r.spf.summary), o.width, '  '));
  if (r.spf.record) out.push(kv(o, 'record', p(r.spf.record)));
  if (r.spf.sender) out.push(kv(o, 'sender', p(r.spf.sender)));
  if (r.spf.explanation) out.push(kv(o, 'explanation (exp=)', p(r.spf.explanation)));
  out.push(...findingLines(o, r.spf.findings), ...queryLines(o, check('spf')), '');

  // DKIM
  const dkim = check('dkim');
  out.push(header(o, 'DKIM', dkim ?? { status: 'info', result: 'none' }));
  if (dkim && !dkim.findings.some((f) => f.code === 'dkim.none-found')) out.push(wrap(p(dkim.summary), o.width, '  '));
  if (r.dkim.length > 0) {
    for (const s of r.dkim) {
      const key = s.keyType ? `${s.keyType} ${s.keyBits} bits` : '';
      const colour = s.status === 'ok' ? c.green : s.status === 'weak' || s.status === 'testing' ? c.yellow : s.status === 'revoked' ? c.dim : c.red;
      out.push(`  ${p(s.selector).padEnd(16)} ${colour(s.status.padEnd(9))} ${key}${s.requested ? c.dim('  (given)') : ''}`);
    }
  }
  out.push(...findingLines(o, (dkim?.findings ?? []).filter((f) => f.code !== 'dkim.key-ok')), ...queryLines(o, dkim), '');

  // DMARC
  const dm = r.dmarc;
  out.push(header(o, 'DMARC', dm));
  out.push(wrap(p(dm.summary), o.width, '  '));
  if (dm.record) out.push(kv(o, `record at _dmarc.${p(dm.recordDomain)}`, p(dm.record)));
  if (dm.policy) {
    const pol = dm.effectivePolicy && dm.effectivePolicy !== dm.policy ? `${p(dm.policy)} (test mode: receivers apply ${p(dm.effectivePolicy)})` : p(dm.policy);
    out.push(kv(o, 'policy for this domain', `${pol}${dm.subdomainPolicy ? ` · subdomains without a record: ${p(dm.subdomainPolicy)}` : ''}`));
    out.push(kv(o, 'alignment', `DKIM ${dm.adkim === 's' ? 'strict' : 'relaxed'}, SPF ${dm.aspf === 's' ? 'strict' : 'relaxed'}`));
  }
  out.push(kv(o, 'organizational domain', `${p(dm.orgDomain)} ${c.dim(`(${dm.mode === 'rfc9989' ? 'RFC 9989 DNS tree walk' : 'Public Suffix List, RFC 7489'}${dm.orgDomainPsl !== dm.orgDomain ? `; the PSL says ${p(dm.orgDomainPsl)}` : ''})`)}`));
  const reports = [...dm.rua.map((u) => ['rua', u] as const), ...dm.ruf.map((u) => ['ruf', u] as const)];
  for (const [tag, u] of reports) {
    const auth = u.external ? (u.authorized ? c.green(' (external, authorized)') : u.authorized === false ? c.yellow(' (external, NOT authorized)') : c.dim(' (external, unknown)')) : '';
    out.push(kv(o, tag, `${p(u.address ?? u.uri)}${auth}`));
  }
  if (dm.alignment) {
    const a = dm.alignment.spf;
    const cand = a.candidates[0];
    if (cand) out.push(kv(o, 'SPF alignment', `${p(cand.domain)} (SPF ${p(cand.result)}) → ${a.aligned ? c.green('aligned') : c.yellow('not aligned')} (${a.mode})`));
  }
  out.push(...findingLines(o, dm.findings.filter((f) => f.code !== 'dmarc.ok')), ...queryLines(o, check('dmarc')), '');

  // Reverse DNS
  if (r.rdns) {
    const rd = r.rdns;
    out.push(header(o, 'Reverse DNS', rd));
    out.push(wrap(p(rd.summary), o.width, '  '));
    if (rd.ptr.length > 0) out.push(kv(o, 'PTR', rd.ptr.map(p).join(', ')));
    out.push(...findingLines(o, rd.findings.filter((f) => f.code !== 'rdns.fcrdns')), ...queryLines(o, check('rdns')), '');
  } else {
    out.push(c.dim('Reverse DNS: give the sending IP with --ip to check its PTR record (Gmail and Outlook refuse IPs without one).'), '');
  }

  out.push(verdict);
  return `${out.join('\n')}\n`;
}
