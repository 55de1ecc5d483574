// How one transaction's replies map back to the addresses asked: reply i answers RCPT i and no
// other; a 421 (at MAIL or at a RCPT) is the server closing and is kept, with its text, as the
// reason for every address it left unanswered; a lost connection without a reply says so. A
// result never carries another address's reply. syncEvidence() says what a transaction proves
// about the replies read before it (host-worker.ts holds answers until then). Pure functions.
import type { Reply } from '../smtp/reply-parser.js';
import type { Outcome, TransactionResult } from '../smtp/session.js';
import { isTooManyRecipients } from './verdict.js';

export interface SortedReplies<T> {
  /** Addresses with their own reply (2xx, 4xx other than 421, 5xx). */
  answered: { item: T; reply: Reply }[];
  /** Addresses with no reply of their own (or a 421): asked again elsewhere, or answered with `why`. */
  unanswered: T[];
  /** "452 too many recipients" after the first: for the next transaction. */
  tooMany: T[];
  /** The index of the first "too many recipients" (-1: none): the server's per-transaction limit. */
  limitAt: number;
  /** The server's 421, when it closed the session: the reason kept for the unanswered. */
  closing?: Reply;
  /** Why the unanswered got no reply: the 421, or the session's failure (never another RCPT's reply). */
  why: Outcome;
}

const NO_REPLY_KINDS: ReadonlySet<Outcome['kind']> = new Set(['network', 'timeout', 'protocol', 'limit', 'tls']);

/** The reason a transaction left addresses unanswered, from its own evidence only. */
export function whyUnanswered(tx: TransactionResult, mx: string, closing: Reply | undefined): Outcome {
  if (closing) return { kind: 'deferred', stage: closing === tx.mail ? 'mail' : 'rcpt', message: `${mx} closed the session (${closing.code}${closing.enhanced ? ` ${closing.enhanced}` : ''})`, reply: closing };
  const o = tx.outcome;
  if (o.reply?.code === 421) return o;
  // A failure of the connection (timeout, reset, garbage) is about every address still waiting.
  if (NO_REPLY_KINDS.has(o.kind) && !o.reply) return o;
  return { kind: 'network', stage: 'rcpt', message: `${mx} ended the transaction before answering this recipient` };
}

/** Sort the RCPT replies of a transaction whose MAIL FROM was accepted. */
export function sortReplies<T>(items: readonly T[], addressOf: (item: T) => string, tx: TransactionResult, mx: string, closedBefore?: Reply): SortedReplies<T> {
  const answered: { item: T; reply: Reply }[] = [];
  const unanswered: T[] = [];
  const tooMany: T[] = [];
  let limitAt = -1;
  // A 421 before these recipients (to MAIL, or to a RCPT sent ahead of them) left them unanswered.
  let closing: Reply | undefined = tx.mail?.code === 421 ? tx.mail : closedBefore;
  for (const [i, item] of items.entries()) {
    // Only a reply recorded for this very address answers it.
    const rc = tx.rcpts[i];
    const r = rc && rc.address === addressOf(item) ? rc.reply : undefined;
    if (!r || closing) {
      unanswered.push(item);
      continue;
    }
    if (r.code === 421) {
      closing = r;
      unanswered.push(item);
    } else if (isTooManyRecipients(r) && i > 0) {
      if (limitAt < 0) limitAt = i;
      tooMany.push(item);
    } else answered.push({ item, reply: r });
  }
  if (!closing && tx.outcome.reply?.code === 421) closing = tx.outcome.reply;
  return { answered, unanswered, tooMany, limitAt, ...(closing ? { closing } : {}), why: whyUnanswered(tx, mx, closing) };
}

/**
 * What a transaction proves about the replies read before it on the same connection: its flight
 * was written only when nothing unsolicited was pending, and read in step. 'lost': the replies
 * went out of step (a reply nobody asked for, a code its command cannot get, a flood);
 * 'closing': a 421 nobody asked for was already there (it may be a shifted reply); 'in-step':
 * neither (a 421 read in answer to a command written cleanly is the server closing, in step).
 */
export function syncEvidence(tx: TransactionResult): 'in-step' | 'lost' | 'closing' {
  const o = tx.outcome;
  if (o.kind === 'protocol' || o.kind === 'limit' || o.stray !== undefined) return 'lost';
  if (o.reply?.code === 421 && !tx.steps.some((s) => s.reply === o.reply && s.unsolicited !== true)) return 'closing';
  return 'in-step';
}

/** The first of `count` RCPTs that got no answer of its own (none, or a 421); -1 when all did. */
export function firstUnanswered(tx: TransactionResult, count: number): number {
  for (let i = 0; i < count; i++) {
    const r = tx.rcpts[i]?.reply;
    if (!r || r.code === 421) return i;
  }
  return -1;
}
