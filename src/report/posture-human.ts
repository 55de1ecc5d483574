// Human lines for a session's posture parts: what AUTH did (mechanisms offered, the one used,
// the result, SCRAM's server proof), where --quit-after stopped, the relay test's variants,
// the headings of the optional parts in the transcript, and the posture findings. Pure: data in, lines out;
// peer-supplied words go through printable(). The texts live here, in one place, until they
// move to the message catalog.
import type { ChalkInstance } from 'chalk';
import type { AnnotatedSession } from '../probe/annotate.js';
import type { PostureFinding } from '../probe/posture-findings.js';
import { QUIT_AFTER_LABEL, type AuthResult, type RelayTestResult, type Step } from '../smtp/session-types.js';
import { printable as p, printableLines as pl } from './printable.js';
import { wrap } from './wrap.js';

export interface PostureRenderOptions { chalk: ChalkInstance; width: number }

/** Wrapped with a hanging indent: the first line at `first`, the rest at `rest`. */
function hang(text: string, width: number, first: string, rest: string): string {
  return wrap(text, width, rest).replace(/^ */, first);
}

const AUTH_STATUS: Record<AuthResult['status'], string> = {
  ok: 'logged in',
  failed: 'refused: wrong credentials',
  'too-weak': 'refused: mechanism too weak',
  'encryption-required': 'refused: encryption required',
  deferred: 'temporarily refused',
  'not-offered': 'not offered by the server',
  'no-mechanism': 'no mechanism in common',
  'plaintext-refused': 'not attempted: the session is not encrypted',
  'server-not-verified': 'cancelled: the server could not prove it knows the password',
  error: 'failed',
};

function renderAuth(a: AuthResult, o: PostureRenderOptions): string[] {
  const c = o.chalk;
  const colour = a.status === 'ok' ? c.green : a.status === 'deferred' ? c.yellow : c.red;
  const parts = [
    `offered ${a.offered.length > 0 ? p(a.offered.join(' ')) : '(none)'}`,
    ...(a.mechanism ? [`used ${p(a.mechanism)} as ${p(a.user)}`] : [`user ${p(a.user)}`]),
    colour(`${AUTH_STATUS[a.status]}${a.reply ? ` (${a.reply.code}${a.reply.enhanced ? ` ${p(a.reply.enhanced)}` : ''})` : ''}`),
  ];
  if (a.serverVerified === true) parts.push(c.green('server signature verified'));
  else if (a.serverVerified === false) parts.push(c.red('server signature NOT verified'));
  const out = [hang(`AUTH: ${parts.join(' · ')}`, o.width, '   ', '     ')];
  for (const n of a.notes) out.push(c.yellow(hang(`! ${pl(n)}`, o.width, '   ', '     ')));
  return out;
}


const PART_HEADING: Record<NonNullable<Step['part']>, string> = {
  exposure: '── VRFY/EXPN (--vrfy, --expn) ──',
  'relay-test': '── relay test (--relay-test): reserved foreign domains, RSET after each, never DATA ──',
};

/** A heading when the transcript enters an optional part (VRFY/EXPN, the relay test). */
export function partHeading(prev: Step | undefined, step: Step, o: PostureRenderOptions): string[] {
  if (!step.part || prev?.part === step.part) return [];
  return [o.chalk.bold(`   ${PART_HEADING[step.part]}`)];
}

const RELAY_STATUS: Record<RelayTestResult['status'], string> = {
  open: 'OPEN RELAY',
  closed: 'closed: every relay attempt refused',
  incomplete: 'incomplete',
  skipped: 'not run',
};

function renderRelay(r: RelayTestResult, o: PostureRenderOptions): string[] {
  const c = o.chalk;
  const colour = r.status === 'open' ? c.red : r.status === 'closed' ? c.green : c.yellow;
  const out = [colour(hang(`relay test: ${RELAY_STATUS[r.status]}${r.reason ? ` — ${pl(r.reason)}` : ''}`, o.width, '   ', '     '))];
  for (const v of r.variants) {
    const code = (x: { code: number } | undefined): string => (x ? String(x.code) : '—');
    const mark = v.result === 'accepted' ? c.red('ACCEPTED') : v.result === 'refused' ? c.green('refused') : v.result === 'sender-refused' ? c.yellow('sender refused') : c.dim(v.result);
    out.push(hang(`${p(v.id)}: ${mark} (MAIL ${code(v.mail)} · RCPT ${code(v.rcptReply)}) <${p(v.from)}> → <${p(v.rcpt)}>`, o.width, '     ', '       '));
  }
  return out;
}

/** The lines under a session's transcript: AUTH, --quit-after, the relay test. */
export function renderSessionPosture(s: AnnotatedSession, o: PostureRenderOptions): string[] {
  const out: string[] = [];
  if (s.auth) out.push(...renderAuth(s.auth, o));
  if (s.relayTest) out.push(...renderRelay(s.relayTest, o));
  if (s.stoppedAfter) out.push(o.chalk.dim(`   stopped after ${QUIT_AFTER_LABEL[s.stoppedAfter]} as asked (--quit-after ${s.stoppedAfter}): QUIT was sent there; later stages were not tried`));
  return out;
}

const LEVEL_MARK: Record<PostureFinding['level'], string> = { ok: '✓', info: '·', warn: '!', error: '✗' };

/** The "Findings" section: each with its level, evidence and what to do. */
export function renderPostureFindings(findings: readonly PostureFinding[], o: PostureRenderOptions & { verbose: boolean }): string[] {
  if (findings.length === 0) return [];
  const c = o.chalk;
  const out = [c.bold('Findings (AUTH, relay, VRFY/EXPN)')];
  for (const f of findings) {
    const colour = f.level === 'error' ? c.red : f.level === 'warn' ? c.yellow : f.level === 'ok' ? c.green : c.dim;
    out.push(colour(hang(`${LEVEL_MARK[f.level]} ${pl(f.message)}`, o.width, '   ', '     ')));
    const shown = o.verbose || f.level === 'error' || f.level === 'warn' ? f.evidence : [];
    // Three lines of evidence are enough to act on; --verbose (and the JSON) have them all.
    const cut = o.verbose ? shown : shown.slice(0, 3);
    for (const e of cut) out.push(c.dim(hang(pl(e), o.width, '     ', '       ')));
    if (cut.length < shown.length) out.push(c.dim(`     … ${shown.length - cut.length} more (--verbose, --json)`));
    if (f.fix) out.push(hang(`→ ${pl(f.fix)}`, o.width, '     ', '       '));
  }
  return out;
}
