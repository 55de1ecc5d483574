// Outcome judging, as pure functions: a transport failure, a reply (by how it fits its
// command, expected-replies.ts), a whole MAIL/RCPT flight, and the farewell, each turned
// into an Outcome that names the peer and the stage. No I/O, no clock: unit-tested apart
// (tests/unit/smtp/judge.test.ts). A reply out of step is a protocol error, never an answer.
import { say } from '../catalog/messages.js';
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
    return { kind: 'deferred', stage, message: say('outcome.closing-unasked', { peer, code: codeOf(f.unsolicited), afterMsg: afterStage(after) }), reply: f.unsolicited };
  }
  if (f.unsolicited) {
    return {
      kind: 'protocol', stage,
      message: say('outcome.unsolicited-reply', { peer, afterMsg: afterStage(after), quote: quote(f.unsolicited) }),
      stray: f.unsolicited,
    };
  }
  switch (f.kind) {
    case 'timeout': return { kind: 'timeout', stage, message: say('outcome.timeout', { peer, stageMsg: label }) };
    case 'refused': return { kind: 'network', stage, message: say('outcome.refused', { peer, port }) };
    case 'unreachable': return { kind: 'network', stage, message: say('outcome.unreachable', { peer, errorMsg: f.message }) };
    case 'reset': return { kind: 'network', stage, message: say('outcome.reset', { peer, stageMsg: label }) };
    case 'closed': return { kind: 'network', stage, message: say('outcome.closed', { peer, stageMsg: label, errorMsg: f.message }) };
    case 'protocol':
      if (f.idle) {
        return { kind: 'protocol', stage, message: f.line ? say('outcome.idle-bytes-line', { peer, afterMsg: afterStage(after), line: f.line }) : say('outcome.idle-bytes', { peer, afterMsg: afterStage(after) }) };
      }
      return { kind: 'protocol', stage, message: f.line ? say('outcome.not-smtp-line', { peer, stageMsg: label, line: f.line }) : say('outcome.not-smtp', { peer, stageMsg: label }) };
    case 'limit':
      if (f.idle) return { kind: 'limit', stage, message: say('outcome.idle-flood', { peer, afterMsg: afterStage(after), errorMsg: f.message }) };
      return { kind: 'limit', stage, message: say('outcome.too-much', { peer, stageMsg: label, errorMsg: f.message }) };
    case 'tls': return { kind: 'tls', stage, message: say('outcome.tls', { peer, stageMsg: label, errorMsg: f.message }) };
    default: return { kind: 'network', stage, message: say('outcome.network', { peer, stageMsg: label, errorMsg: f.message }) };
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
      return { kind: 'deferred', stage, message: stage === 'banner' ? say('outcome.closing-banner', { peer, code: codeOf(reply) }) : say('outcome.closing', { peer, code: codeOf(reply), command: cmd }), reply };
    case 'malformed':
      return { kind: 'protocol', stage, message: say(stage === 'banner' ? 'outcome.malformed-banner' : 'outcome.malformed', { peer, command: cmd, problemMsg: reply.problem ?? say('outcome.broken-grammar') }), stray: reply };
    case 'impossible': {
      if (reply.code === 354 && (expecting === 'MAIL' || expecting === 'RCPT')) {
        return { kind: 'protocol', stage, message: say('outcome.354', { peer, command: cmd }), stray: reply };
      }
      if (expecting === 'banner') return { kind: 'protocol', stage, message: say('outcome.bad-greeting', { peer, code: reply.code }), stray: reply };
      return {
        kind: 'protocol', stage,
        message: say('outcome.impossible', { peer, command: cmd, code: reply.code, source: EXPECTED_REPLIES[expecting].source }),
        stray: reply,
      };
    }
    case 'refusal':
      if (expecting === 'banner') {
        return reply.code >= 500
          ? { kind: 'rejected', stage, message: say('outcome.banner-refused', { peer, code: codeOf(reply) }), reply }
          : { kind: 'deferred', stage, message: say('outcome.banner-deferred', { peer, code: codeOf(reply) }), reply };
      }
      return reply.code < 500
        ? { kind: 'deferred', stage, message: say('outcome.deferred', { peer, whatMsg: what, code: codeOf(reply) }), reply }
        : { kind: 'rejected', stage, message: say('outcome.rejected', { peer, whatMsg: what, code: codeOf(reply) }), reply };
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
        return done({ ...firstRefusal, message: say(r.failure.kind === 'reset' ? 'outcome.then-reset' : 'outcome.then-closed', { outcomeMsg: firstRefusal.message }) });
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
      if (fit !== 'success') firstRefusal ??= replyOutcome(peer, 'mail', 'MAIL', reply, say('outcome.what.sender', { address: f.from ?? '' }));
      continue;
    }
    if (mail && mail.code >= 400) continue; // RCPT replies after a refused sender: kept in steps only
    rcpts.push({ address: r.address ?? '', accepted: fit === 'success', reply });
    if (fit === 'closing') return done(replyOutcome(peer, 'rcpt', 'RCPT', reply, '') as Outcome);
    if (fit !== 'success') firstRefusal ??= replyOutcome(peer, 'rcpt', 'RCPT', reply, say('outcome.what.recipient', { address: r.address ?? '' }));
  }
  if (firstRefusal) return done(firstRefusal);
  return done({
    kind: 'ok', stage: 'rcpt',
    message: rcptCount === 1 ? say('outcome.accepted-one', { peer, address: rcpts[0]?.address ?? '' }) : say('outcome.accepted-all', { peer, n: rcptCount }),
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
        return { ...o, message: say('outcome.void-before-either', { outcomeMsg: o.message }) };
      }
      lastAnswered = r.stage;
    } else if (r.failure && (r.failure.unsolicited || r.failure.idle)) {
      const o = failureOutcome(peer, port, r.failure, r.stage, lastAnswered);
      return { ...o, message: say('outcome.void-before', { outcomeMsg: o.message }) };
    }
  }
  return undefined;
}
