// Outcome judging, as pure functions: a transport failure, a reply (by how it fits its
// command, expected-replies.ts), a whole MAIL/RCPT flight, and the farewell, each turned
// into an Outcome that names the peer and the stage. No I/O, no clock: unit-tested apart
// (tests/unit/smtp/judge.test.ts). A reply out of step is a protocol error, never an answer.
import { EXPECTED_REPLIES, fitReply, type Expecting, type ReplyFit } from './expected-replies.js';
import type { Reply } from './reply-parser.js';
import type { Outcome, RcptResult } from './session-types.js';
import { afterStage, STAGE_COMMAND, STAGE_LABEL, type Stage } from './stages.js';
import type { Failure } from './transport.js';

export function peerName(host: string, address: string, port: number): string {
  return `${host}[${address}]:${port}`;
}

const codeOf = (r: Reply): string => `${r.code}${r.enhanced ? ` ${r.enhanced}` : ''}`;
const quote = (r: Reply): string => {
  const t = `${codeOf(r)} ${r.lines[0] ?? ''}`;
  return `"${t.length > 120 ? `${t.slice(0, 120)}…` : t}"`;
};

/** A transport failure during `stage`; `after` is the last stage that got its reply (for stray bytes). */
export function failureOutcome(peer: string, port: number, f: Failure, stage: Stage, after?: Stage): Outcome {
  const label = STAGE_LABEL[stage];
  if (f.unsolicited?.code === 421) {
    // RFC 5321 §3.8: a server may say 421 and close at any time, asked or not.
    return { kind: 'deferred', stage, message: `${peer} is closing the connection (${codeOf(f.unsolicited)}) ${afterStage(after)}, unasked: the server is going away for now, try again later`, reply: f.unsolicited };
  }
  if (f.unsolicited) {
    return {
      kind: 'protocol', stage,
      message: `${peer} sent a reply nobody asked for, ${afterStage(after)}: ${quote(f.unsolicited)}; the replies are out of step, so the session ends here`,
      stray: f.unsolicited,
    };
  }
  switch (f.kind) {
    case 'timeout': return { kind: 'timeout', stage, message: `conversation with ${peer} timed out while ${label}` };
    case 'refused': return { kind: 'network', stage, message: `connection to ${peer} refused: nothing listens on port ${port}, or a firewall rejects it` };
    case 'unreachable': return { kind: 'network', stage, message: `${peer} is unreachable: ${f.message}` };
    case 'reset': return { kind: 'network', stage, message: `lost connection with ${peer} while ${label}: the server reset the connection` };
    case 'closed': return { kind: 'network', stage, message: `lost connection with ${peer} while ${label}: ${f.message}` };
    case 'protocol':
      if (f.idle) {
        return { kind: 'protocol', stage, message: `${peer} sent bytes nobody asked for, ${afterStage(after)}${f.line ? `: "${f.line}"` : ''}; the replies are out of step, so the session ends here` };
      }
      return { kind: 'protocol', stage, message: `${peer} answered with something that is not SMTP while ${label}${f.line ? `: "${f.line}"` : ''}` };
    case 'limit':
      if (f.idle) return { kind: 'limit', stage, message: `${peer} kept sending while no reply was expected, ${afterStage(after)}: ${f.message}` };
      return { kind: 'limit', stage, message: `${peer} sent too much while ${label}: ${f.message}` };
    case 'tls': return { kind: 'tls', stage, message: `TLS with ${peer} failed while ${label}: ${f.message}` };
    default: return { kind: 'network', stage, message: `network trouble with ${peer} while ${label}: ${f.message}` };
  }
}

/**
 * A reply that is not a success: the outcome it means for `stage`. `what` names the object
 * ("the recipient <a@b>"). Undefined for a success.
 */
export function replyOutcome(peer: string, stage: Stage, expecting: Expecting, reply: Reply, what: string, fit: ReplyFit = fitReply(expecting, reply)): Outcome | undefined {
  const cmd = STAGE_COMMAND[stage];
  switch (fit) {
    case 'success': return undefined;
    case 'closing':
      return { kind: 'deferred', stage, message: `${peer} is closing the connection (${codeOf(reply)}) in answer to ${cmd}: the server is going away for now, try again later`, reply };
    case 'malformed':
      return { kind: 'protocol', stage, message: `${peer} sent a malformed reply to ${cmd} (${reply.problem ?? 'broken reply grammar'}); it is shown as received and not trusted as an answer`, stray: reply };
    case 'impossible': {
      if (reply.code === 354 && (expecting === 'MAIL' || expecting === 'RCPT')) {
        return { kind: 'protocol', stage, message: `${peer} answered ${cmd} with 354 ("start mail input"), which only DATA can get: a protocol violation, not an acceptance (no DATA was sent; nothing was accepted)`, stray: reply };
      }
      if (expecting === 'banner') return { kind: 'protocol', stage, message: `${peer} greeted with ${reply.code} instead of 220`, stray: reply };
      return {
        kind: 'protocol', stage,
        message: `${peer} answered ${cmd} with ${reply.code}, a reply ${cmd} cannot get (${EXPECTED_REPLIES[expecting].source}): the replies are out of step or the server is broken, so no answer of this exchange is trusted`,
        stray: reply,
      };
    }
    case 'refusal':
      if (expecting === 'banner') {
        return reply.code >= 500
          ? { kind: 'rejected', stage, message: `${peer} refused to talk to me (${codeOf(reply)})`, reply }
          : { kind: 'deferred', stage, message: `${peer} deferred the connection (${codeOf(reply)})`, reply };
      }
      return reply.code < 500
        ? { kind: 'deferred', stage, message: `${peer} deferred ${what} (${codeOf(reply)})`, reply }
        : { kind: 'rejected', stage, message: `${peer} rejected ${what} (${codeOf(reply)})`, reply };
  }
}

/** One command of a flight as it went: sent or not, and what came back. */
export interface Read {
  stage: Stage;
  expecting: Expecting;
  /** RCPT: the recipient. */
  address?: string;
  reply?: Reply;
  failure?: Failure;
}

export interface FlightJudgement {
  outcome: Outcome;
  /** MAIL's reply; absent when none came or the flight went out of step. */
  mail?: Reply;
  rcpts: RcptResult[];
  /** A mail transaction is open on the server after this flight (undefined: unchanged). */
  transactionOpen?: boolean;
  /** The replies went out of step: nothing of this flight is an answer. */
  desync: boolean;
}

export interface FlightInput {
  peer: string;
  port: number;
  /** MAIL FROM's address ('' = <>); absent for RCPTs added to an open transaction. */
  from?: string;
  /** Every command planned, in order (RSET?, MAIL?, RCPT…), with what it got. */
  reads: Read[];
  /** Found after the last reply was read: e.g. one more reply nobody asked for. */
  after?: Failure;
  /** The last stage that got its reply before this flight (names where stray bytes came). */
  before?: Stage;
}

/**
 * Judge a MAIL/RCPT flight (pipelined or one by one, same data). Any reply out of step (a
 * code its command cannot get, a malformed reply, a reply nobody asked for) voids the whole
 * flight: a shifted reply must never make a refused recipient look accepted.
 */
export function judgeFlight(f: FlightInput): FlightJudgement {
  const { peer, port } = f;
  const desync = (outcome: Outcome): FlightJudgement => ({ outcome, rcpts: [], desync: true });
  let lastAnswered = f.before;
  for (const r of f.reads) {
    if (r.reply) {
      const fit = fitReply(r.expecting, r.reply);
      if (fit === 'impossible' || fit === 'malformed') return desync(replyOutcome(peer, r.stage, r.expecting, r.reply, '', fit) as Outcome);
      lastAnswered = r.stage;
    } else if (r.failure?.unsolicited || r.failure?.idle) {
      const o = failureOutcome(peer, port, r.failure, r.stage, lastAnswered);
      // An unasked 421 before anything of this flight was read is just the server leaving.
      if (o.kind === 'deferred' && r === f.reads.find((x) => x.reply || x.failure)) return { outcome: o, rcpts: [], desync: false };
      return desync(o);
    }
  }
  if (f.after && (f.after.unsolicited || f.after.idle)) return desync(failureOutcome(peer, port, f.after, lastAnswered ?? 'rcpt', lastAnswered));

  const rcpts: RcptResult[] = [];
  let mail: Reply | undefined;
  let transactionOpen: boolean | undefined;
  let firstRefusal: Outcome | undefined;
  const rcptCount = f.reads.filter((r) => r.expecting === 'RCPT').length;
  const done = (outcome: Outcome): FlightJudgement => ({ outcome, ...(mail ? { mail } : {}), rcpts, ...(transactionOpen !== undefined ? { transactionOpen } : {}), desync: false });

  for (const r of f.reads) {
    if (!r.reply) {
      if (!r.failure) continue; // never sent (one by one, after a refused MAIL)
      // After a refused MAIL the RCPT replies are only 503s: the MAIL reply stays the verdict.
      if (firstRefusal && (r.failure.kind === 'closed' || r.failure.kind === 'reset' || r.expecting === 'RCPT' && mail && mail.code >= 400)) {
        return done({ ...firstRefusal, message: `${firstRefusal.message}; then ${r.failure.kind === 'reset' ? 'it reset the connection' : 'the connection closed'}` });
      }
      return done(failureOutcome(peer, port, r.failure, r.stage, lastAnswered));
    }
    const reply = r.reply;
    const fit = fitReply(r.expecting, reply);
    if (r.expecting === 'RSET') {
      transactionOpen = false;
      if (fit !== 'success') return done(replyOutcome(peer, 'rset', 'RSET', reply, 'RSET') as Outcome);
      continue;
    }
    if (r.expecting === 'MAIL') {
      mail = reply;
      // A transaction exists only once MAIL is accepted; after a refused MAIL there is nothing to RSET.
      transactionOpen = fit === 'success';
      if (fit === 'closing') return done(replyOutcome(peer, 'mail', 'MAIL', reply, '') as Outcome);
      if (fit !== 'success') firstRefusal ??= replyOutcome(peer, 'mail', 'MAIL', reply, `the sender <${f.from ?? ''}>`);
      continue;
    }
    if (mail && mail.code >= 400) continue; // RCPT replies after a refused sender: kept in steps only
    rcpts.push({ address: r.address ?? '', accepted: fit === 'success', reply });
    if (fit === 'closing') return done(replyOutcome(peer, 'rcpt', 'RCPT', reply, '') as Outcome);
    if (fit !== 'success') firstRefusal ??= replyOutcome(peer, 'rcpt', 'RCPT', reply, `the recipient <${r.address ?? ''}>`);
  }
  if (firstRefusal) return done(firstRefusal);
  return done({
    kind: 'ok', stage: 'rcpt',
    message: rcptCount === 1 ? `${peer} accepted the recipient <${rcpts[0]?.address ?? ''}>` : `${peer} accepted all ${rcptCount} recipients`,
  });
}

/**
 * The farewell (RSET, QUIT) is the sync point: QUIT can only get 221 and RSET only 250, so a
 * reply shifted by a stray one shows here as a code they cannot get. Returns the protocol
 * outcome that voids the session's answers, or undefined (timeouts and closes are fine).
 */
export function judgeFarewell(peer: string, port: number, reads: Read[], before?: Stage): Outcome | undefined {
  let lastAnswered = before;
  for (const r of reads) {
    if (r.reply) {
      const fit = fitReply(r.expecting, r.reply);
      if (fit === 'impossible' || fit === 'malformed') {
        const o = replyOutcome(peer, r.stage, r.expecting, r.reply, '', fit) as Outcome;
        return { ...o, message: `${o.message}; the answers before it cannot be trusted either` };
      }
      lastAnswered = r.stage;
    } else if (r.failure && (r.failure.unsolicited || r.failure.idle)) {
      const o = failureOutcome(peer, port, r.failure, r.stage, lastAnswered);
      return { ...o, message: `${o.message}; the answers before it cannot be trusted` };
    }
  }
  return undefined;
}
