// Human lines for a session's posture parts: what AUTH did (mechanisms offered, the one used,
// the result, SCRAM's server proof) and where --quit-after stopped. Pure: data in, lines out;
// peer-supplied words go through printable(). The texts live here, in one place, until they
// move to the message catalog.
import type { ChalkInstance } from 'chalk';
import type { AnnotatedSession } from '../probe/annotate.js';
import type { AuthResult } from '../smtp/session-types.js';
import { printable as p, printableLines as pl } from './printable.js';
import { wrap } from './wrap.js';

export interface PostureRenderOptions { chalk: ChalkInstance; width: number }

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
  const out = [wrap(`   AUTH: ${parts.join(' · ')}`, o.width, '     ')];
  for (const n of a.notes) out.push(c.yellow(wrap(`   ! ${pl(n)}`, o.width, '     ')));
  return out;
}

const STOP_LABEL: Record<string, string> = { connect: 'the banner', banner: 'the banner', tls: 'TLS', ehlo: 'EHLO', auth: 'AUTH', mail: 'MAIL FROM', rcpt: 'RCPT TO' };

/** The lines under a session's transcript: AUTH and --quit-after. */
export function renderSessionPosture(s: AnnotatedSession, o: PostureRenderOptions): string[] {
  const out: string[] = [];
  if (s.auth) out.push(...renderAuth(s.auth, o));
  if (s.stoppedAfter) out.push(o.chalk.dim(`   stopped after ${STOP_LABEL[s.stoppedAfter] ?? s.stoppedAfter} as asked (--quit-after ${s.stoppedAfter}): QUIT was sent there; later stages were not tried`));
  return out;
}
