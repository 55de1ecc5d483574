// The transaction phase: one plan, then one read in order, for pipelined and one-by-one
// sending alike. A plan is [RSET?] MAIL [RCPT…] (or only RCPTs added to an open
// transaction); with PIPELINING it goes in one flight (RFC 2920), else command by command,
// stopping after a refused MAIL. judgeFlight() (pure) turns what came back into the result.
import { formatCommand, type Command } from './command.js';
import type { Dialogue, Planned } from './dialogue.js';
import { judgeFlight } from './judge.js';
import type { Reply } from './reply-parser.js';
import type { TransactionResult } from './session-types.js';
import type { Transport } from './transport.js';

const NON_ASCII = /[^\x00-\x7f]/;

export interface TransactionPlan {
  /** MAIL FROM address ('' = <>); absent when RCPTs join the open transaction. */
  from?: string;
  mailCmd?: Command;
  rcpts: readonly string[];
  rcptCmds: Command[];
}

/** Validate and format before anything is sent: bad input throws (UsageError), nothing reaches the wire. */
export function planTransaction(from: string | undefined, rcpts: readonly string[]): TransactionPlan {
  const needsUtf8 = (from !== undefined && NON_ASCII.test(from)) || rcpts.some((r) => NON_ASCII.test(r));
  return {
    ...(from !== undefined ? { from, mailCmd: formatCommand('MAIL', from, needsUtf8 ? ['SMTPUTF8'] : []) } : {}),
    rcpts,
    rcptCmds: rcpts.map((r) => formatCommand('RCPT', r)),
  };
}

export function needsSmtpUtf8(plan: TransactionPlan): boolean {
  return (plan.from !== undefined && NON_ASCII.test(plan.from)) || plan.rcpts.some((r) => NON_ASCII.test(r));
}

/** Run a planned transaction on a ready connection; fills `tx` and the dialogue's outcome. */
export async function runTransaction(d: Dialogue, t: Transport, plan: TransactionPlan, tx: TransactionResult): Promise<void> {
  const { result, peer } = d;
  if (needsSmtpUtf8(plan) && !result.extensions?.smtputf8) {
    d.end({ kind: 'protocol', stage: plan.mailCmd ? 'mail' : 'rcpt', message: `an address has non-ASCII characters but ${peer} does not offer SMTPUTF8 (RFC 6531), so it cannot be given to this server` });
  }
  if (!plan.mailCmd && !d.transactionOpen) {
    d.end({ kind: 'protocol', stage: 'rcpt', message: `no mail transaction is open with ${peer}: RCPT TO needs MAIL FROM first` });
  }
  const planned: Planned[] = [];
  // A new transaction on a connection that had one: RSET opens the flight (RFC 2920 §3.1).
  if (plan.mailCmd && d.transactionOpen) planned.push({ stage: 'rset', expecting: 'RSET', cmd: formatCommand('RSET') });
  if (plan.mailCmd) planned.push({ stage: 'mail', expecting: 'MAIL', cmd: plan.mailCmd });
  plan.rcptCmds.forEach((cmd, i) => planned.push({ stage: 'rcpt', expecting: 'RCPT', cmd, address: plan.rcpts[i] ?? '' }));

  const pipelining = result.extensions?.pipelining === true && d.o.pipelining !== false;
  const flight = pipelining && planned.length > 1 && plan.rcptCmds.length > 0;
  const before = d.lastAnswered;
  // One by one: nothing more after a refused or failed RSET/MAIL, or a 421 (talk stops there).
  const talk = await d.talk(t, planned, flight, (r) => r.expecting === 'RCPT' || (r.reply !== undefined && r.reply.code < 400));
  if (flight) {
    // Sent in one flight: every step of it started when the flight left.
    const first = tx.steps.find((s) => s.pipelined);
    for (const s of tx.steps) if (s.pipelined && first) s.startedAt = first.startedAt;
  }
  const j = judgeFlight({ peer, port: d.o.port, ...(plan.from !== undefined ? { from: plan.from } : {}), reads: talk.reads, ...(talk.after ? { after: talk.after } : {}), ...(before ? { before } : {}) });
  if (j.transactionOpen !== undefined) d.transactionOpen = j.transactionOpen;
  if (j.desync) d.transactionOpen = true; // unknown: the session ends anyway
  if (j.mail) tx.mail = j.mail;
  tx.rcpts.push(...j.rcpts);
  result.outcome = j.outcome;
}

export type { Reply };
