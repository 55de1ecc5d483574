// Human lines for a session's posture parts: what AUTH did (mechanisms offered, the one used,
// the result, SCRAM's server proof), where --quit-after stopped, the relay test's variants,
// the headings of the optional parts in the transcript, and the posture findings. Pure: data in,
// lines out; peer-supplied words go through printable(); the words are the message catalog's
// (t() for our labels, localize() for the core's sentences), in the --lang language.
import type { ChalkInstance } from 'chalk';
import type { AnnotatedSession } from '../probe/annotate.js';
import type { PostureFinding } from '../probe/posture-findings.js';
import { QUIT_AFTER_LABEL, type AuthResult, type RelayTestResult, type Step } from '../smtp/session-types.js';
import { printable as p, printableLines as pl } from './printable.js';
import { wrap } from './wrap.js';
import type { Lang } from '../catalog/data.js';
import { localize, t } from '../catalog/messages.js';

export interface PostureRenderOptions { chalk: ChalkInstance; width: number; lang: Lang }

/** Wrapped with a hanging indent: the first line at `first`, the rest at `rest`. */
function hang(text: string, width: number, first: string, rest: string): string {
  return wrap(text, width, rest).replace(/^ */, first);
}

function renderAuth(a: AuthResult, o: PostureRenderOptions): string[] {
  const c = o.chalk;
  const colour = a.status === 'ok' ? c.green : a.status === 'deferred' ? c.yellow : c.red;
  const parts = [
    t(o.lang, 'posture.auth.offered', { mechanisms: a.offered.length > 0 ? p(a.offered.join(' ')) : '—' }),
    a.mechanism ? t(o.lang, 'posture.auth.used', { mechanism: p(a.mechanism), user: p(a.user) }) : t(o.lang, 'posture.auth.user', { user: p(a.user) }),
    colour(`${t(o.lang, `posture.auth.status.${a.status}`)}${a.reply ? ` (${a.reply.code}${a.reply.enhanced ? ` ${p(a.reply.enhanced)}` : ''})` : ''}`),
  ];
  if (a.serverVerified === true) parts.push(c.green(t(o.lang, 'posture.auth.verified')));
  else if (a.serverVerified === false) parts.push(c.red(t(o.lang, 'posture.auth.not-verified-short')));
  const out = [hang(t(o.lang, 'posture.auth.line', { details: parts.join(' · ') }), o.width, '   ', '     ')];
  for (const n of a.notes) out.push(c.yellow(hang(`! ${pl(localize(o.lang, n))}`, o.width, '   ', '     ')));
  return out;
}


/** A heading when the transcript enters an optional part (VRFY/EXPN, the relay test). */
export function partHeading(prev: Step | undefined, step: Step, o: PostureRenderOptions): string[] {
  if (!step.part || prev?.part === step.part) return [];
  return [o.chalk.bold(`   ${t(o.lang, `posture.part.${step.part}`)}`)];
}

function renderRelay(r: RelayTestResult, o: PostureRenderOptions): string[] {
  const c = o.chalk;
  const colour = r.status === 'open' ? c.red : r.status === 'closed' ? c.green : c.yellow;
  const out = [colour(hang(`${t(o.lang, 'posture.relay.line', { statusMsg: t('en', `posture.relay.status.${r.status}`) })}${r.reason ? ` — ${pl(localize(o.lang, r.reason))}` : ''}`, o.width, '   ', '     '))];
  for (const v of r.variants) {
    const code = (x: { code: number } | undefined): string => (x ? String(x.code) : '—');
    const word = t(o.lang, v.result === 'not-run' ? 'posture.relay.status.skipped' : `posture.relay.result.${v.result}`);
    const mark = v.result === 'accepted' ? c.red(word) : v.result === 'refused' ? c.green(word) : v.result === 'sender-refused' ? c.yellow(word) : c.dim(word);
    out.push(hang(`${p(v.id)}: ${mark} (MAIL ${code(v.mail)} · RCPT ${code(v.rcptReply)}) <${p(v.from)}> → <${p(v.rcpt)}>`, o.width, '     ', '       '));
  }
  return out;
}

/** The lines under a session's transcript: AUTH, --quit-after, the relay test. */
export function renderSessionPosture(s: AnnotatedSession, o: PostureRenderOptions): string[] {
  const out: string[] = [];
  if (s.auth) out.push(...renderAuth(s.auth, o));
  if (s.relayTest) out.push(...renderRelay(s.relayTest, o));
  if (s.stoppedAfter) out.push(o.chalk.dim(hang(t(o.lang, 'posture.stopped-line', { stageMsg: QUIT_AFTER_LABEL[s.stoppedAfter], stage: s.stoppedAfter }), o.width, '   ', '     ')));
  return out;
}

const LEVEL_MARK: Record<PostureFinding['level'], string> = { ok: '✓', info: '·', warn: '!', error: '✗' };

/** The "Findings" section: each with its level, evidence and what to do. */
export function renderPostureFindings(findings: readonly PostureFinding[], o: PostureRenderOptions & { verbose: boolean }): string[] {
  if (findings.length === 0) return [];
  const c = o.chalk;
  const out = [c.bold(t(o.lang, 'posture.findings.heading'))];
  for (const f of findings) {
    const colour = f.level === 'error' ? c.red : f.level === 'warn' ? c.yellow : f.level === 'ok' ? c.green : c.dim;
    out.push(colour(hang(`${LEVEL_MARK[f.level]} ${pl(localize(o.lang, f.message))}`, o.width, '   ', '     ')));
    const shown = o.verbose || f.level === 'error' || f.level === 'warn' ? f.evidence : [];
    // Three lines of evidence are enough to act on; --verbose (and the JSON) have them all.
    const cut = o.verbose ? shown : shown.slice(0, 3);
    for (const e of cut) out.push(c.dim(hang(pl(e), o.width, '     ', '       ')));
    if (cut.length < shown.length) out.push(c.dim(`     ${t(o.lang, 'posture.findings.more', { count: shown.length - cut.length })}`));
    if (f.fix) out.push(hang(`→ ${pl(localize(o.lang, f.fix))}`, o.width, '     ', '       '));
  }
  return out;
}
