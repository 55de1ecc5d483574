// The optional phases' one exchange (exchangeOne: a command, its reply, judged; a broken
// connection ends the phase without touching the session's outcome) and VRFY/EXPN exposure
// (RFC 5321 §3.5, §7.3): 250/251 confirm users or list members (a leak), 252 "cannot verify"
// is the recommended answer, 500/502/504 mean disabled. Never DATA; the verdict is untouched.
import { say } from '../catalog/messages.js';
import { randomBytes } from 'node:crypto';
import { formatCommand } from './command.js';
import type { Dialogue, Planned } from './dialogue.js';
import { fitReply } from './expected-replies.js';
import { failureOutcome, replyOutcome } from './judge.js';
import type { Reply } from './reply-parser.js';
import type { ExposureProbe } from './session-types.js';
import type { Transport } from './transport.js';

export interface Exchanged { reply?: Reply; trouble?: string }

/**
 * Send one command of an optional phase and read its reply. A failure, a 421, a reply out
 * of step or one too many marks the connection gone (no farewell) and says why in `trouble`;
 * the session's outcome (the verdict's ground) is left as the main dialogue set it.
 */
export async function exchangeOne(d: Dialogue, t: Transport, p: Planned): Promise<Exchanged> {
  const x = await exchange(d, t, p);
  if (x.trouble) d.goneWhy ??= x.trouble;
  return x;
}

async function exchange(d: Dialogue, t: Transport, p: Planned): Promise<Exchanged> {
  const { reads, after } = await d.talk(t, [p], false);
  const r = reads[0];
  if (!r?.reply) {
    d.gone = true;
    const f = r?.failure ?? { kind: 'network' as const, message: say('outcome.no-reply') };
    return { trouble: failureOutcome(d.peer, d.o.port, f, p.stage, d.lastAnswered).message };
  }
  const fit = fitReply(p.expecting, r.reply);
  if (fit === 'impossible' || fit === 'malformed' || fit === 'closing') {
    d.gone = true;
    return { reply: r.reply, trouble: replyOutcome(d.peer, p.stage, p.expecting, r.reply, '', fit)?.message ?? say('outcome.ended') };
  }
  if (after && (after.unsolicited || after.idle)) {
    d.gone = true;
    return { reply: r.reply, trouble: failureOutcome(d.peer, d.o.port, after, p.stage, d.lastAnswered).message };
  }
  return { reply: r.reply };
}

export function classifyExposure(command: 'VRFY' | 'EXPN', code: number): ExposureProbe['result'] {
  if (code === 250 || (command === 'VRFY' && code === 251)) return 'leaks';
  if (code === 252) return 'cannot-verify';
  if (code === 500 || code === 502 || code === 504) return 'disabled';
  if (code >= 400 && code < 500) return 'deferred';
  if (code >= 500) return 'refused';
  return 'error';
}

/** A local part no mailbox has: the control question that shows whether 252 means anything. */
export function controlName(): string {
  return `smtp-probe-no-such-user-${randomBytes(5).toString('hex')}`;
}

/**
 * 252 ("cannot verify") for a named user means nothing is leaked only if a name that cannot
 * exist gets the same answer; Postfix answers 252 for users it knows and 550 for others.
 */
export function judgeAgainstControl(out: ExposureProbe[]): void {
  const control = out.find((e) => e.control);
  if (!control?.reply || control.result !== 'refused') return;
  for (const e of out) {
    if (e.control || e.command !== 'VRFY' || e.result !== 'cannot-verify') continue;
    e.result = 'discriminates';
    e.message = `${e.reply?.code ?? 252} for ${e.argument} but ${control.reply.code} for ${control.argument}, a name that cannot exist: the difference tells users apart`;
  }
}

/** Ask VRFY/EXPN about each name (and, after VRFY, a control name); stops (the rest 'not-run') when the connection ends. */
export async function probeExposure(d: Dialogue, vrfy: readonly string[], expn: readonly string[], control = controlName()): Promise<ExposureProbe[]> {
  const out: ExposureProbe[] = [];
  const asks = [...vrfy.map((a) => ['VRFY', a] as const), ...(vrfy.length > 0 ? [['VRFY', control] as const] : []), ...expn.map((a) => ['EXPN', a] as const)];
  // Validate all before anything is sent (bad input throws a UsageError).
  const cmds = asks.map(([verb, a]) => formatCommand(verb, a));
  const t = d.transport;
  d.part = 'exposure';
  try {
    for (const [i, [command, argument]] of asks.entries()) {
      const isControl = vrfy.length > 0 && i === vrfy.length ? { control: true as const } : {};
      if (!t || !d.alive()) {
        out.push({ command, argument, result: 'not-run', message: 'the connection had ended', ...isControl });
        continue;
      }
      const x = await exchangeOne(d, t, { stage: command === 'VRFY' ? 'vrfy' : 'expn', expecting: command, cmd: cmds[i]! });
      if (x.trouble) {
        out.push({ command, argument, ...(x.reply ? { reply: x.reply } : {}), result: x.reply ? 'error' : 'not-run', message: x.trouble, ...isControl });
        continue;
      }
      const reply = x.reply!;
      out.push({ command, argument, reply, result: classifyExposure(command, reply.code), ...isControl });
    }
  } finally {
    d.part = undefined;
  }
  judgeAgainstControl(out);
  return out;
}
