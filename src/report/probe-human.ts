// Human rendering of a probe: the transcript (-> sent, <- received; ~> and <~ inside TLS,
// as swaks marks them), per-step milliseconds, replies coloured by class, the explanation
// under each reply (short by default, full with --verbose), TLS facts, warnings, checks and
// the verdict. Pure: data in, string out; every peer- or DNS-supplied value goes through
// printable() (p/pl below), so no name, record or reply can drive the terminal.
import type { ChalkInstance } from 'chalk';
import type { Lang } from '../catalog/data.js';
import { label } from '../catalog/i18n.js';
import { localize, t as tr } from '../catalog/messages.js';
import type { CheckSummary } from '../checks/types.js';
import type { AnnotatedSession, AnnotatedStep, StepExplanation } from '../probe/annotate.js';
import type { ProbeResult } from '../probe/run-probe.js';
import type { Verdict } from '../probe/verdict.js';
import type { TlsFacts } from '../smtp/tls-facts.js';
import { colourForClass, factItems, labelColon } from './explain-human.js';
import { renderSecurity } from './security-human.js';
import { partHeading, renderPostureFindings, renderSessionPosture } from './posture-human.js';
import { renderServerNames } from './names-human.js';
import { renderChain } from './tls-chain-human.js';
import { printable as p, printableLines as pl } from './printable.js';
import { wrap } from './wrap.js';

export interface ProbeRenderOptions { chalk: ChalkInstance; width: number; lang: Lang; verbose: boolean; quiet: boolean }

/** The first sentence, cut at a sentence end, never inside a word. */
export function firstSentence(text: string): string {
  const m = /^(.+?[.!?])(\s|$)/s.exec(text);
  return (m?.[1] ?? text).trim();
}

function verdictColour(c: ChalkInstance, v: Verdict): (s: string) => string {
  switch (v.kind) {
    case 'accepted': case 'auth-required': case 'stage-reached': return c.green;
    case 'open-relay': return c.red;
    case 'deferred': case 'timeout': return c.yellow;
    default: return c.red;
  }
}

function renderTls(t: TlsFacts, o: ProbeRenderOptions): string[] {
  const c = o.chalk;
  const leaf = t.chain[0];
  const parts = [`${t.protocol ?? 'TLS'} ${t.cipher}`];
  const lines: string[] = [];
  if (leaf) {
    const cn = p(/CN=([^,]+)/.exec(leaf.subject)?.[1] ?? leaf.subject);
    const issuer = p(/CN=([^,]+)/.exec(leaf.issuer)?.[1] ?? leaf.issuer);
    parts.push(tr(o.lang, 'probe.tls.certificate', { cn, issuer, date: leaf.validTo.slice(0, 10), days: leaf.daysLeft }));
  }
  const trust = t.trusted ? c.green(tr(o.lang, 'probe.tls.trusted')) : c.red(tr(o.lang, 'probe.tls.untrusted', { reason: p(localize(o.lang, t.trustError ?? tr(o.lang, 'probe.tls.unknown-reason'))) }));
  // Which identity was checked: the host name, the IP of an IP target (RFC 6125), or --tls-name.
  const checked = p(t.checkedName ?? '');
  const identity = `${t.checkedAs === 'ip' ? tr(o.lang, 'probe.tls.ip-identity', { ip: checked }) : checked}${t.identitySource === 'tls-name' ? ' (--tls-name)' : ''}`;
  const name = t.nameMatches === undefined ? '' : t.nameMatches ? c.green(tr(o.lang, 'probe.tls.matches', { identity })) : c.red(tr(o.lang, 'probe.tls.mismatch', { identity }));
  lines.push(wrap(label(o.lang, 'codeColon', { code: 'TLS', text: `${parts.join(' · ')} · ${trust}${name ? ` · ${name}` : ''}` }), o.width, '     '));
  if (o.verbose && leaf) {
    lines.push(c.dim(`       ${tr(o.lang, 'probe.tls.subject', { value: p(leaf.subject) })}`));
    lines.push(c.dim(`       ${tr(o.lang, 'probe.tls.names', { value: p(leaf.subjectAltNames.join(', ')) || tr(o.lang, 'common.none') })}`));
    lines.push(...renderChain(t, o));
  }
  if (t.expired) lines.push(c.red(`     ${tr(o.lang, 'probe.tls.expired')}`));
  else if (leaf && leaf.daysLeft < 14) lines.push(c.yellow(`     ${tr(o.lang, 'probe.tls.expires-soon', { days: leaf.daysLeft })}`));
  return lines;
}

function renderExplanation(x: StepExplanation, o: ProbeRenderOptions): string[] {
  const c = o.chalk;
  const paint = colourForClass(c, x.class);
  const ind = '     ';
  const out: string[] = [];
  const head = `${paint(`${x.code} ${x.name}`)}${x.enhancedExplanation ? ` · ${paint(`${x.enhancedExplanation.code} ${x.enhancedExplanation.title}`)}` : ''}`;
  const r = x.recognition;
  if (!o.verbose) {
    const text = r && r.reason !== 'undefined' && !r.inferred ? r.meaning : firstSentence(x.summary);
    out.push(wrap(label(o.lang, 'codeColon', { code: head, text }), o.width, ind));
  } else {
    out.push(`${ind}${head}`);
    if (x.stageNote) out.push(wrap(`${labelColon(o.lang, 'stageNote')} ${x.stageNote}`, o.width, `${ind}  `));
    out.push(wrap(`${labelColon(o.lang, 'description')} ${x.description}`, o.width, `${ind}  `));
    if (x.enhancedExplanation) out.push(wrap(label(o.lang, 'codeColon', { code: x.enhancedExplanation.code, text: x.enhancedExplanation.description }), o.width, `${ind}  `));
    if (x.code >= 400) out.push(wrap(`${labelColon(o.lang, 'fix')} ${x.enhancedExplanation?.fix ?? x.fix}`, o.width, `${ind}  `));
  }
  if (r && x.code >= 400) {
    const who = r.provider ? ` · ${labelColon(o.lang, 'provider')} ${p(r.provider)}` : '';
    // The reason's title in the output language, its name (the JSON's value) beside it.
    out.push(c.bold(`${ind}${labelColon(o.lang, 'reason')} ${r.title} (${r.reason})${r.inferred ? ` ${label(o.lang, 'inferred')}` : ''}${who}`));
    if (o.verbose && !r.inferred) out.push(wrap(r.meaning, o.width, `${ind}  `));
    out.push(wrap(`→ ${r.action}`, o.width, `${ind}  `));
    // The facts in the output language's words; the recipient's address is in the transcript already.
    const { addresses: _addresses, ...facts } = r.facts;
    const items = factItems(facts, { chalk: c, width: o.width, lang: o.lang });
    if (items.length > 0) out.push(c.dim(wrap(`${labelColon(o.lang, 'facts')} ${items.join(' · ')}`, o.width, `${ind}  `)));
    if (r.reference) out.push(c.dim(`${ind}  ${r.reference}`));
  }
  return out;
}

function arrow(step: AnnotatedStep, dir: 'out' | 'in'): string {
  if (dir === 'out') return step.tls ? '~>' : '->';
  return step.tls ? '<~' : '<-';
}

function ms(c: ChalkInstance, n: number): string {
  return c.dim(` ${n} ms`);
}

function renderReply(step: AnnotatedStep, o: ProbeRenderOptions): string[] {
  const c = o.chalk;
  const r = step.reply;
  if (!r) return [];
  const paint = colourForClass(c, String(r.code));
  const out = r.lines.map((l, i) => {
    const sep = i === r.lines.length - 1 ? ' ' : '-';
    const enh = i === 0 && r.enhanced ? `${p(r.enhanced)} ` : '';
    return `${arrow(step, 'in')} ${paint(`${r.code}${sep}${enh}${p(l)}`)}${i === r.lines.length - 1 ? ms(c, step.ms) : ''}`;
  });
  // Out of step or broken grammar: shown as received, and said so (issue 10 items 1, 5).
  if (step.unsolicited) out.unshift(c.red(`   ${tr(o.lang, 'probe.reply.unsolicited')}`));
  if (r.malformed) out.push(c.red(`   ${r.problem ? tr(o.lang, 'probe.reply.malformed-why', { problem: pl(localize(o.lang, r.problem)) }) : tr(o.lang, 'probe.reply.malformed')}`));
  if (r.code === 250 && step.stage === 'ehlo' && !o.verbose && r.lines.length > 4 && !r.malformed) {
    // The extension list is summarised below the EHLO reply; keep the transcript short.
    return [out[0] ?? '', c.dim(`   ${tr(o.lang, 'probe.ehlo.more', { n: r.lines.length - 2 })}`), out[out.length - 1] ?? ''];
  }
  return out;
}

function renderSession(s: AnnotatedSession, r: ProbeResult, o: ProbeRenderOptions): string[] {
  const c = o.chalk;
  const pref = r.mailHosts.hosts.find((h) => h.name === s.host)?.preference;
  const title = `${p(s.host)}${s.host === s.address ? '' : ` [${p(s.address)}]`}:${s.port}${pref !== null && pref !== undefined ? ` (MX ${pref})` : ''}${s.tlsMode === 'implicit' ? ` ${tr(o.lang, 'probe.session.implicit-tls')}` : ''}`;
  const out: string[] = [c.bold(`── ${title} ${'─'.repeat(Math.max(3, o.width - title.length - 4))}`)];
  const steps = s.steps;
  const lastEhlo = [...steps].reverse().find((x) => x.stage === 'ehlo' && x.reply?.code === 250);
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as AnnotatedStep;
    if (step.stage === 'connect') {
      out.push(step.failure
        ? c.red(`   ${tr(o.lang, 'probe.connect.failed', { error: pl(localize(o.lang, step.failure.message)) })}`)
        : c.dim(`   ${tr(o.lang, 'probe.connect.from', { address: p(s.localAddress ?? '?') })}${s.tlsMode === 'implicit' ? ` ${tr(o.lang, 'probe.connect.implicit')}` : ''}`) + ms(c, step.ms));
      if (s.tlsMode === 'implicit' && s.tls && !step.failure) out.push(...renderTls(s.tls, o));
      continue;
    }
    if (step.stage === 'tls-handshake') {
      if (step.failure) out.push(c.red(`   ${tr(o.lang, 'probe.tls.failed', { error: pl(localize(o.lang, step.failure.message.replace(/^TLS handshake failed: /, ''))) })}`));
      else if (s.tls) out.push(...renderTls(s.tls, o));
      continue;
    }
    // A pipelined flight: every command of it first, then the replies in order (RFC 2920).
    out.push(...partHeading(steps[i - 1], step, o));
    const flight: AnnotatedStep[] = [step];
    while (step.pipelined && steps[i + 1]?.pipelined) flight.push(steps[++i] as AnnotatedStep);
    for (const f of flight) if (f.sent) out.push(`${arrow(f, 'out')} ${p(f.sent)}`);
    for (const f of flight) {
      out.push(...renderReply(f, o));
      // The relay test's positive replies need no lesson each time (12 variants × 3 commands).
      const routine = f.part !== undefined && !o.verbose && f.reply !== undefined && f.reply.code < 300;
      if (f.explanation && !routine) out.push(...renderExplanation(f.explanation, o));
      if (f.failure) out.push(c.red(`   ${pl(localize(o.lang, f.failure.message))}`));
      // The extension list that counts is the last EHLO's (after STARTTLS, the plaintext one is void).
      if (f === lastEhlo && s.extensions) {
        const kw = Object.entries(s.extensions.keywords).map(([k, v]) => p(v.length ? `${k} ${v.join(' ')}` : k));
        if (kw.length > 0) out.push(c.dim(wrap(tr(o.lang, 'probe.ehlo.extensions', { list: kw.join(', ') }), o.width, '     ')));
      }
    }
  }
  out.push(...renderSessionPosture(s, o));
  for (const n of s.notes) out.push(c.yellow(`   ! ${pl(localize(o.lang, n))}`));
  // Plaintext is worth one line whenever the server was reached (issue 10 item 6).
  if (s.encrypted === false && steps.some((x) => x.stage === 'banner' && x.reply)) out.push(c.yellow(`   ${tr(o.lang, 'probe.plaintext')}`));
  const oc = s.outcome;
  const colour = oc.kind === 'ok' ? c.green : oc.kind === 'deferred' || oc.kind === 'timeout' ? c.yellow : c.red;
  out.push(colour(wrap(`=> ${pl(localize(o.lang, oc.message))}`, o.width, '   ').trimStart()));
  return out;
}

function renderCheck(ch: CheckSummary, o: ProbeRenderOptions, ipWhy?: string): string[] {
  const c = o.chalk;
  // The reason the sending IP is unknown is printed once above the checks, not in each line.
  // Localised first (the English sentence is the catalog's key), then the shared reason cut out.
  const once = (s: string): string => {
    const local = localize(o.lang, s);
    return ipWhy ? local.split(localize(o.lang, ipWhy)).join(tr(o.lang, 'probe.checks.ip-see-above')) : local;
  };
  if (ch.result === 'skipped') {
    // A skipped check is named with its reason and what to do: never a silent step.
    const f = ch.findings[0];
    return [c.yellow(wrap(`   ${pl(once(f?.message ?? ch.summary))}${f?.fix ? ` → ${pl(localize(o.lang, f.fix))}` : ''}`, o.width, '     '))];
  }
  const colour = ch.status === 'pass' ? c.green : ch.status === 'fail' ? c.red : ch.status === 'warn' ? c.yellow : c.dim;
  const out = [colour(`   ${ch.check.toUpperCase()} ${p(ch.subject)}: ${p(ch.result ?? tr(o.lang, 'probe.checks.not-evaluated'))} — ${p(localize(o.lang, ch.summary))}`)];
  for (const f of ch.findings.filter((x) => x.level === 'error' || x.level === 'warn' || o.verbose)) {
    out.push(wrap(`${f.level === 'error' ? '✗' : f.level === 'warn' ? '!' : '·'} ${pl(once(f.message))}${f.fix ? ` → ${pl(localize(o.lang, f.fix))}` : ''}`, o.width, '     '));
  }
  return out;
}

/** Why the follow-up found no sending IP (each source's error), as the checks carry it. */
function sendingIpUnknown(checks: readonly CheckSummary[]): string | undefined {
  for (const ch of checks) {
    const d = ch.details as { sendingIpUnknown?: unknown } | undefined;
    if (typeof d?.sendingIpUnknown === 'string') return d.sendingIpUnknown;
    const f = ch.findings.find((x) => x.code === 'spf.no-ip');
    const m = f && /^SPF was not evaluated for the sending IP: (.*)$/s.exec(f.message);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

export function renderVerdict(v: Verdict, o: ProbeRenderOptions): string {
  return verdictColour(o.chalk, v)(o.chalk.bold(pl(localize(o.lang, v.line))));
}

export function renderProbe(r: ProbeResult, o: ProbeRenderOptions): string {
  const c = o.chalk;
  if (o.quiet) return `${renderVerdict(r.verdict, o)}\n`;
  const out: string[] = [];
  const e = r.envelope;
  out.push(c.bold(`smtp-probe ${p(r.target.input)}`) + c.dim(` — ${tr(o.lang, 'probe.header.envelope', { ports: e.ports.map((x) => `${x.port}${x.implicitTls ? '/tls' : ''}`).join(','), helo: p(e.helo), from: p(e.from), rcpts: p(e.rcpts.join(', ')) })}`));
  const mh = r.mailHosts;
  if (mh.kind === 'mx') out.push(label(o.lang, 'codeColon', { code: `MX ${p(mh.domain)}`, text: mh.hosts.map((h) => `${h.preference} ${p(h.name)}${h.addresses.length ? ` [${p(h.addresses.join(', '))}]` : ` ${tr(o.lang, 'probe.mx.no-address')}`}`).join(' · ') }));
  else if (mh.kind === 'implicit') out.push(label(o.lang, 'codeColon', { code: p(mh.hosts[0]?.name ?? mh.domain), text: `${pl(localize(o.lang, mh.notes[0] ?? tr(o.lang, 'probe.mx.direct')))} [${p(mh.hosts[0]?.addresses.join(', ') ?? '')}]` }));
  else if (mh.kind === 'null-mx') out.push(c.red(tr(o.lang, 'probe.mx.null', { domain: p(mh.domain) })));
  else if (mh.error) out.push(c.red(`DNS: ${pl(localize(o.lang, mh.error.message))}`));
  out.push('');
  for (const s of r.sessions) out.push(...renderSession(s, r, o), '');
  if (r.checks.length > 0) {
    out.push(c.bold(`${tr(o.lang, 'probe.checks.heading')}${r.checksTrigger ? c.dim(` ${tr(o.lang, 'probe.checks.after', { trigger: pl(localize(o.lang, r.checksTrigger)) })}`) : ''}`));
    const ipWhy = r.sendingIp ? undefined : sendingIpUnknown(r.checks);
    if (r.sendingIp) out.push(c.dim(`   ${tr(o.lang, 'probe.checks.sending-ip', { ip: p(r.sendingIp.ip), detail: pl(localize(o.lang, r.sendingIp.detail)) })}`));
    else if (ipWhy) out.push(c.yellow(wrap(`   ${pl(localize(o.lang, ipWhy))}`, o.width, '     ')));
    else out.push(c.yellow(`   ${tr(o.lang, 'probe.checks.ip-unknown')}`));
    for (const ch of r.checks) out.push(...renderCheck(ch, o, ipWhy));
    out.push('');
  }
  if (r.security) out.push(...renderSecurity(r.security, o), '');
  if (r.findings?.length) out.push(...renderPostureFindings(r.findings, o), '');
  if (r.serverNames && r.serverNames.length > 0) out.push(...renderServerNames(r.serverNames, o), '');
  const warnings = [...r.warnings, ...r.verdict.warnings];
  if (warnings.length > 0) {
    for (const w of warnings) out.push(c.yellow(wrap(`! ${pl(localize(o.lang, w))}`, o.width, '  ').replace(/^ {2}/, '')));
    out.push('');
  }
  if (r.verdict.recipients.length > 1) {
    for (const rc of r.verdict.recipients) out.push(`   ${label(o.lang, 'codeColon', { code: p(rc.address), text: `${tr(o.lang, `status.${rc.status}`)}${rc.reply ? ` (${rc.reply.code}${rc.reply.enhanced ? ` ${p(rc.reply.enhanced)}` : ''})` : ''}` })}`);
  }
  out.push(renderVerdict(r.verdict, o));
  if (r.verdict.cause) out.push(c.bold(wrap(tr(o.lang, 'probe.likely-cause', { cause: pl(localize(o.lang, r.verdict.cause)) }), o.width)));
  return `${out.join('\n')}\n`;
}
