// The verdict for one address, from the evidence: the RCPT (or MAIL) reply and what its
// words mean (classifyReply decides: a 550 for policy is not "no such user"), the domain's
// catch-all status, DNS trouble, or why no server could be asked. Decisions live here,
// never in renderers. Pure: evidence in, a plain result out.
import { say } from '../catalog/messages.js';
import { classifyReply, reasonTitle, type Reason } from '../catalog/match-text.js';
import '../catalog/reason-values.js';
import type { MailHosts } from '../dns/mail-hosts.js';
import type { Reply } from '../smtp/reply-parser.js';
import type { Outcome } from '../smtp/session.js';
import type { AddressFlags } from './flags.js';

export const VERIFY_SCHEMA_VERSION = 1;

export type VerdictKind = 'deliverable' | 'undeliverable' | 'risky' | 'unknown';

/** The reply-text reason (DESIGN.md vocabulary), or what was found without a refusal. */
export type VerifyReason = Reason | 'accepted' | 'catchall' | 'timeout' | 'nosmtputf8' | 'backupmx';

/** A mail host preferred over the one that answered, and why it could not be used. */
export interface SkippedMx { host: string; reason: string }

export interface VerifyReply { code: number; enhanced?: string; text: string }

export interface VerifyResult {
  schemaVersion: typeof VERIFY_SCHEMA_VERSION;
  /** The address as asked in RCPT TO (A-label domain), or the input when it is not an address. */
  address: string;
  /** The input as given, when it differs from `address`. */
  input?: string;
  /** The line of the input file (or stdin) it came from. */
  line?: number;
  verdict: VerdictKind;
  reason: VerifyReason;
  /** true: the domain accepted a random address too; false: it refused one (or never accepts all); null: not known. */
  catchAll: boolean | null;
  /** The mail host whose answer this is; null when none answered. */
  mx: string | null;
  /** The server's own words (the deciding reply); null when there was none. */
  reply: VerifyReply | null;
  flags: AddressFlags;
  /** One sentence a person can act on. */
  message: string;
  /** Asking again later may give another answer (4xx, greylisting, timeouts, network trouble). */
  temporary: boolean;
  /** Where the answer came from. */
  stage: 'syntax' | 'dns' | 'connect' | 'session' | 'mail' | 'rcpt';
  /** The server's retry hint (greylisting), in seconds. */
  retryAfterSeconds?: number;
  /** Who wrote the reply text, when the catalog can tell (Gmail, Microsoft 365, Postfix…). */
  provider?: string;
  /** The greylisted first answer came before this one (--wait-greylist). */
  greylistRetried?: true;
  /** The answer came from a lower-preference MX: the better ones, and why they were not used. */
  skippedMx?: SkippedMx[];
}

/** A verdict before the address-specific fields are attached. */
export type Decision = Omit<VerifyResult, 'schemaVersion' | 'address' | 'input' | 'flags'>;

/** Answers about the mailbox itself (the address cannot receive mail). */
const NO_MAILBOX: ReadonlySet<string> = new Set(['userunknown', 'hostunknown', 'hasmoved', 'notaccept', 'syntaxerror']);

const tag = (r: Reply | VerifyReply): string => `${r.code}${r.enhanced ? ` ${r.enhanced}` : ''}`;

export function replyOf(r: Reply): VerifyReply {
  return r.enhanced ? { code: r.code, enhanced: r.enhanced, text: r.text } : { code: r.code, text: r.text };
}

/** "452 4.5.3 Too many recipients": a limit of the transaction, not an answer about this address. */
export function isTooManyRecipients(r: Reply): boolean {
  if (r.code !== 452 && r.code !== 451) return false;
  if (r.enhanced === '4.5.3') return true;
  return /too many (?:recipients|rcpts?)\b|recipient (?:count |)limit/i.test(r.text);
}

/** The classifier on a reply, with the attributes verify needs. */
function recognize(reply: Reply, stage: 'mail' | 'rcpt', host: string | undefined): { reason: Reason; provider?: string; retryAfterSeconds?: number } {
  const c = classifyReply({ code: reply.code, ...(reply.enhanced ? { enhanced: reply.enhanced } : {}), text: reply.text, stage, ...(host ? { host } : {}) });
  return {
    reason: c.reason,
    ...(c.provider ? { provider: c.provider } : {}),
    ...(c.facts.retryAfterSeconds !== undefined ? { retryAfterSeconds: c.facts.retryAfterSeconds } : {}),
  };
}

/** One Decision, always of the same shape (one object, no spreads: bulk runs make millions). */
function rcptDecision(
  reply: Reply, catchAll: boolean | null, mx: string, verdict: VerdictKind, reason: VerifyReason, temporary: boolean, message: string,
  c?: { provider?: string; retryAfterSeconds?: number },
): Decision {
  const d: Decision = { verdict, reason, catchAll, mx, reply: replyOf(reply), message, temporary, stage: 'rcpt' };
  if (c?.retryAfterSeconds !== undefined) d.retryAfterSeconds = c.retryAfterSeconds;
  if (c?.provider !== undefined) d.provider = c.provider;
  return d;
}

/** The verdict from a RCPT TO reply (the deciding evidence), the catch-all status and the host. */
export function decideRcpt(reply: Reply, catchAll: boolean | null, mx: string): Decision {
  if (reply.code >= 200 && reply.code < 300) {
    if (catchAll === true) {
      return rcptDecision(reply, catchAll, mx, 'risky', 'catchall', false, say('verify.catchall', { mx }));
    }
    const note = say(catchAll === false ? 'verify.exists' : 'verify.exists-unless');
    return rcptDecision(reply, catchAll, mx, 'deliverable', 'accepted', false, say('verify.accepted', { mx, tag: tag(reply), noteMsg: note }));
  }
  const c = recognize(reply, 'rcpt', mx);
  const title = reasonTitle(c.reason);
  if (reply.code >= 500) {
    if (NO_MAILBOX.has(c.reason)) {
      const what = say(['userunknown', 'hostunknown', 'hasmoved', 'syntaxerror'].includes(c.reason) ? `verify.what.${c.reason}` : 'verify.what.notaccept');
      return rcptDecision(reply, catchAll, mx, 'undeliverable', c.reason, false, say('verify.refused', { mx, tag: tag(reply), whatMsg: what }), c);
    }
    if (c.reason === 'mailboxfull' || c.reason === 'suspend') {
      const what = say(c.reason === 'mailboxfull' ? 'verify.what.full' : 'verify.what.suspended');
      return rcptDecision(reply, catchAll, mx, 'risky', c.reason, false, say('verify.refused', { mx, tag: tag(reply), whatMsg: what }), c);
    }
    // Policy, blocklists, reputation, authentication…: a refusal to answer, not an answer.
    return rcptDecision(reply, catchAll, mx, 'unknown', c.reason, false, say('verify.refused-other', { mx, tag: tag(reply), titleReason: title }), c);
  }
  if (c.reason === 'greylisted') {
    const text = c.retryAfterSeconds !== undefined
      ? say('verify.greylisted-retry', { mx, tag: tag(reply), seconds: c.retryAfterSeconds })
      : say('verify.greylisted', { mx, tag: tag(reply) });
    return rcptDecision(reply, catchAll, mx, 'unknown', 'greylisted', true, text, c);
  }
  if (c.reason === 'mailboxfull') {
    return rcptDecision(reply, catchAll, mx, 'risky', 'mailboxfull', true, say('verify.full-now', { mx, tag: tag(reply) }), c);
  }
  return rcptDecision(reply, catchAll, mx, 'unknown', c.reason, true, say('verify.deferred', { mx, tag: tag(reply), titleReason: title }), c);
}

/**
 * A "no such user" refusal: for a real address it proves the domain does not accept everyone;
 * for the catch-all probe, a refusal whose words say nothing else (`undefined`) counts too.
 */
export function refusesUnknownUsers(reply: Reply, probe = false): boolean {
  const reason = classifyReply({ code: reply.code, ...(reply.enhanced ? { enhanced: reply.enhanced } : {}), text: reply.text, stage: 'rcpt' }).reason;
  return reason === 'userunknown' || (probe && reason === 'undefined');
}

/**
 * An answer from a lower-preference MX because better ones were skipped says so, and an accept
 * there is at most risky: a backup MX often accepts every address and queues it for the primary.
 */
export function viaBackup(d: Decision, skipped: readonly SkippedMx[]): Decision {
  if (skipped.length === 0) return d;
  const why = skipped.map((s) => say('common.subject-text', { subjectMsg: s.host, textMsg: s.reason })).join('; ');
  const out: Decision = { ...d, skippedMx: [...skipped], message: say('verify.backup-answer', { decisionMsg: d.message, whyMsg: why }) };
  if (d.verdict === 'deliverable') {
    out.verdict = 'risky';
    out.reason = 'backupmx';
    out.message = say('verify.backup-accepted', { mx: d.mx ?? say('verify.a-backup-mx'), whyMsg: why });
  }
  return out;
}

/** MAIL FROM was refused: the server would not open a transaction, so no recipient was judged. */
export function decideMail(reply: Reply, mx: string, from: string): Decision {
  const c = recognize(reply, 'mail', mx);
  const temporary = reply.code < 500;
  return {
    verdict: 'unknown', reason: c.reason, catchAll: null, mx, reply: replyOf(reply), stage: 'mail', temporary,
    ...(c.provider ? { provider: c.provider } : {}),
    ...(c.retryAfterSeconds !== undefined ? { retryAfterSeconds: c.retryAfterSeconds } : {}),
    message: say(temporary ? 'verify.sender-deferred' : 'verify.sender-refused', { mx, from, tag: tag(reply), titleReason: reasonTitle(c.reason) }),
  };
}

/** No server answered for the recipient: connect failures, refusals before MAIL, broken sessions. */
export function decideSession(outcome: Outcome, mx: string | null, hostsTried: number): Decision {
  const reply = outcome.reply;
  if (reply && reply.code >= 400) {
    const c = classifyReply({ code: reply.code, ...(reply.enhanced ? { enhanced: reply.enhanced } : {}), text: reply.text, stage: outcome.stage, ...(mx ? { host: mx } : {}) });
    const temporary = reply.code < 500;
    const reason: VerifyReason = c.reason;
    return {
      verdict: 'unknown', reason, catchAll: null, mx, reply: replyOf(reply), stage: 'session', temporary,
      ...(c.provider ? { provider: c.provider } : {}),
      ...(c.facts.retryAfterSeconds !== undefined ? { retryAfterSeconds: c.facts.retryAfterSeconds } : {}),
      message: hostsTried > 1
        ? say('verify.all-refused', { n: hostsTried, outcomeMsg: outcome.message, titleReason: reasonTitle(c.reason) })
        : say('verify.session-refused', { textMsg: outcome.message, titleReason: reasonTitle(c.reason) }),
    };
  }
  const timeout = outcome.kind === 'timeout';
  const connect = outcome.stage === 'connect';
  return {
    verdict: 'unknown', reason: timeout ? 'timeout' : 'networkerror', catchAll: null, mx, reply: null,
    stage: connect ? 'connect' : 'session', temporary: true,
    message: connect
      ? say(hostsTried > 1 ? 'verify.no-port25-n' : 'verify.no-port25', { n: hostsTried, outcomeMsg: outcome.message })
      : outcome.message,
  };
}

/** The domain cannot receive mail, or DNS could not say where it goes. */
export function decideDns(mh: MailHosts): Decision {
  const base = { catchAll: null, mx: null, reply: null, stage: 'dns' as const };
  switch (mh.kind) {
    case 'null-mx':
      return { ...base, verdict: 'undeliverable', reason: 'notaccept', temporary: false, message: say('verify.null-mx', { domain: mh.domain }) };
    case 'no-mail-host':
      return { ...base, verdict: 'undeliverable', reason: 'hostunknown', temporary: false, message: mh.error?.message ?? say('verify.no-mail-host', { domain: mh.domain }) };
    default:
      if (mh.error?.code === 'ENOTFOUND') {
        return { ...base, verdict: 'undeliverable', reason: 'hostunknown', temporary: false, message: mh.error.message };
      }
      return { ...base, verdict: 'unknown', reason: 'networkerror', temporary: true, message: say('verify.dns-unknown', { domain: mh.domain, errorMsg: mh.error?.message ?? say('verify.no-usable-address') }) };
  }
}

/** The input is not an address. */
export function decideSyntax(error: string): Decision {
  return { verdict: 'undeliverable', reason: 'syntaxerror', catchAll: null, mx: null, reply: null, stage: 'syntax', temporary: false, message: say('verify.invalid', { errorMsg: error }) };
}

/** A UTF-8 local part to a server without SMTPUTF8 (RFC 6531): it cannot even be asked. */
export function decideNoUtf8(mx: string): Decision {
  return {
    verdict: 'unknown', reason: 'nosmtputf8', catchAll: null, mx, reply: null, stage: 'rcpt', temporary: false,
    message: say('verify.no-utf8', { mx }),
  };
}
