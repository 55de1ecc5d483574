// The one verdict of a probe, decided the way a sending MTA would experience it: hosts in
// preference order, skipping those that cannot be reached or refuse to talk (Postfix
// skips 5xx banners); the first host that completes a dialogue decides; trouble on the
// others is a warning. Decisions live here, never in renderers. Pure.
import { say } from '../catalog/messages.js';
import type { CheckSummary } from '../checks/types.js';
import type { MailHosts } from '../dns/mail-hosts.js';
import type { AnnotatedSession } from './annotate.js';
import type { PortSpec } from './run-probe.js';
import type { Target } from './targets.js';
import { QUIT_AFTER_LABEL } from '../smtp/session-types.js';

export type VerdictKind =
  | 'accepted' | 'auth-required' | 'no-such-user' | 'rejected' | 'deferred'
  | 'timeout' | 'network' | 'tls' | 'protocol' | 'null-mx' | 'dns'
  /** The domain does not exist (authoritative NXDOMAIN) or has no mail host at all: exit 6, as in verify. */
  | 'no-such-domain'
  /** The server does not take mail for the recipient's domain (relay denied): not about the sender. */
  | 'not-for-this-server'
  /** --auth: the server refused the credentials (535, 534, 538) or offers no usable AUTH: exit 5. */
  | 'auth-failed'
  /** --quit-after: every stage up to the stop answered positively; later stages were not tried (exit 0). */
  | 'stage-reached'
  /** --relay-test: a server accepted a relay attempt (posture-findings.ts): exit 8. */
  | 'open-relay';

export type RecipientStatus = 'accepted' | 'no-such-user' | 'rejected' | 'deferred' | 'not-tried';

export interface RecipientVerdict {
  address: string;
  status: RecipientStatus;
  reply?: { code: number; enhanced?: string; text: string };
  reason?: string;
}

export interface Verdict {
  kind: VerdictKind;
  /** One line a person can act on. */
  line: string;
  /** The deciding session, when one decided. */
  host?: string;
  address?: string;
  port?: number;
  recipients: RecipientVerdict[];
  /** Trouble elsewhere: backup MX hosts, other ports, the whole of port 25 unreachable… */
  warnings: string[];
  /** The most likely cause of a rejection, from the sender-side checks. */
  cause?: string;
}

export interface VerdictInput {
  target: Target;
  mailHosts: MailHosts;
  sessions: AnnotatedSession[];
  ports: PortSpec[];
  rcpts: string[];
  checks: CheckSummary[];
}

const SUBMISSION_PORTS = new Set([587, 465]);
/** The checks that can explain a refusal, by its reply-text reason (absent: any check). */
const CAUSE_CHECKS: Record<string, readonly string[]> = {
  blocked: ['dnsbl', 'rdns'], badreputation: ['dnsbl', 'rdns'], spamdetected: ['dnsbl'], toomanyconn: ['dnsbl'], speeding: ['dnsbl'],
  requireptr: ['rdns'], authfailure: ['spf', 'dkim', 'dmarc'], securityerror: ['spf', 'dkim', 'dmarc'],
};
/** Reply-text reasons that say nothing about the sender's IP or domain. */
const NOT_ABOUT_SENDER = new Set(['userunknown', 'mailboxfull', 'hasmoved', 'suspend', 'mesgtoobig', 'norelaying', 'hostunknown', 'notaccept']);

function replyTag(r: { code: number; enhanced?: string } | undefined): string {
  return r ? `${r.code}${r.enhanced ? ` ${r.enhanced}` : ''}` : '';
}

function hostLabel(s: AnnotatedSession): string {
  return s.host === s.address ? s.host : `${s.host}[${s.address}]`;
}

/** The session that counts for a host and port: the last address tried. */
function finalSessions(sessions: AnnotatedSession[], port: number): AnnotatedSession[] {
  const byHost = new Map<string, AnnotatedSession>();
  for (const s of sessions) if (s.port === port) byHost.set(s.host, s);
  return [...byHost.values()];
}

/** Could not talk at all (connect failed) or was refused before EHLO: an MTA tries the next MX. */
function skipped(s: AnnotatedSession): boolean {
  const o = s.outcome;
  if (o.stage === 'connect') return true;
  if (o.stage === 'banner' && o.kind !== 'ok') return true;
  return false;
}

// "Authentication required", "must authenticate", "SMTP AUTH required", "sender must login", …
const AUTH_WORDS = /\bauth(?:entication)?\s+(?:is\s+)?required|\brequires?\s+auth(?:entication)?|\bmust\s+(?:first\s+)?(?:authenticate|log ?in|sign ?in)|\bnot\s+authenticated|\bauthenticate\s+first|\bplease\s+(?:authenticate|log ?in)|\bSMTP\s+AUTH\b|\blog ?in\s+(?:first|required)|\bSASL\b/i;
/** Authentication of the message (SPF/DKIM/DMARC), not of the client: never "AUTH required". */
const MESSAGE_AUTH_WORDS = /\b(?:SPF|DKIM|DMARC)\b/i;
const RELAY_WORDS = /\brelay/i;
const POLICY_WORDS = /\bblock|\blisted\b|\bblacklist|\bspam|\breputation|\bRBL\b|\bDNSBL\b/i;

/**
 * A submission port (587, 465) refusing MAIL/RCPT until the client authenticates: the healthy
 * state of a submission service, not a rejection. 530 (RFC 4954), 5.7.0/5.7.1/5.5.1/5.7.57 or
 * any 5xx worded as "authentication required"; with AUTH offered, a relay denial means the
 * same (Postfix submission: permit_sasl_authenticated, reject → "554 5.7.1 Relay access denied").
 * The probe never sends AUTH, so an AUTH that was tried and failed (535) cannot be the cause.
 */
export function requiresAuthentication(port: number, r: { code: number; enhanced?: string; text: string } | undefined, authOffered = false): boolean {
  if (!r || r.code < 500 || !SUBMISSION_PORTS.has(port)) return false;
  if (r.code === 535) return false;
  if (MESSAGE_AUTH_WORDS.test(r.text)) return false;
  if (r.code === 530) return true;
  if (AUTH_WORDS.test(r.text)) return true;
  // A refusal of the client itself (blocklist, reputation, spam) is a rejection on any port.
  if (POLICY_WORDS.test(r.text)) return false;
  if (authOffered && (RELAY_WORDS.test(r.text) || r.enhanced === '5.7.1' || r.enhanced === '5.7.0')) return true;
  return r.enhanced === '5.7.0';
}

function isAuthRequired(s: AnnotatedSession): boolean {
  if (s.outcome.stage !== 'mail' && s.outcome.stage !== 'rcpt') return false;
  return requiresAuthentication(s.port, s.outcome.reply, (s.extensions?.auth.length ?? 0) > 0);
}

/** "Relay access denied", "5.7.1 relaying denied", "we do not relay": the server does not take
 *  mail for the recipient's domain. The reply-text reason norelaying, or its words. */
function isRelayDenial(s: AnnotatedSession): boolean {
  const r = s.outcome.reply;
  if (!r || s.outcome.stage !== 'rcpt' || r.code < 500) return false;
  return s.outcome.reason === 'norelaying' || /\brelay(?:ing)?\b.*\b(?:denied|not (?:permitted|allowed)|prohibited|refused)|\b(?:not|don'?t|do not|cannot|won'?t|unable to) relay|\brelay access|\bnon-accepted domain/i.test(r.text);
}

function recipientsOf(s: AnnotatedSession | undefined, rcpts: string[]): RecipientVerdict[] {
  return rcpts.map((address) => {
    const r = s?.rcpts.find((x) => x.address === address);
    if (!r || !r.reply) {
      const mailRefused = s?.outcome.stage === 'mail' && s.outcome.reply;
      return mailRefused
        ? { address, status: s.outcome.kind === 'deferred' ? 'deferred' : 'rejected', reply: { code: mailRefused.code, ...(mailRefused.enhanced ? { enhanced: mailRefused.enhanced } : {}), text: mailRefused.text } }
        : { address, status: 'not-tried' };
    }
    const reply = { code: r.reply.code, ...(r.reply.enhanced ? { enhanced: r.reply.enhanced } : {}), text: r.reply.text };
    const step = s?.steps.find((x) => x.stage === 'rcpt' && x.sent === `RCPT TO:<${address}>`);
    const reason = step?.explanation?.recognition?.reason;
    let status: RecipientStatus = 'accepted';
    if (r.reply.code >= 500) status = reason === 'userunknown' ? 'no-such-user' : 'rejected';
    else if (r.reply.code >= 400) status = 'deferred';
    return { address, status, reply, ...(reason ? { reason } : {}) };
  });
}

const OUTCOME_KIND: Record<string, VerdictKind> = {
  ok: 'accepted', rejected: 'rejected', deferred: 'deferred', 'no-such-user': 'no-such-user',
  timeout: 'timeout', network: 'network', tls: 'tls', protocol: 'protocol', limit: 'protocol',
};

function decidingLine(kind: VerdictKind, s: AnnotatedSession, input: VerdictInput, recipients: RecipientVerdict[]): string {
  const hostPort = `${hostLabel(s)}:${s.port}`;
  const where = say('verdict.where', { hostPort });
  const at = (t: string): string => say('verdict.at', { tag: t, hostPort });
  const tag = replyTag(s.outcome.reply);
  const single = recipients.length === 1 ? recipients[0] : undefined;
  const who = single?.address ?? say('verdict.n-recipients', { n: recipients.length });
  switch (kind) {
    case 'accepted': {
      const r = single?.reply;
      if (single && input.target.kind === 'address') return say('verdict.accepted.address', { who, atMsg: at(replyTag(r)) });
      if (single && s.auth?.status === 'ok') return say('verdict.accepted.one-auth', { host: s.host, who, atMsg: at(replyTag(r)), user: s.auth.user ?? '', mechanism: s.auth.mechanism ?? 'AUTH' });
      if (single) return say('verdict.accepted.one', { host: s.host, who, atMsg: at(replyTag(r)) });
      return say('verdict.accepted.all', { n: recipients.length, whereMsg: where });
    }
    case 'auth-required':
      return say('verdict.auth-required', {
        host: s.host, port: s.port, command: s.outcome.stage === 'mail' ? 'MAIL FROM' : 'RCPT TO', tag,
        offeredMsg: (s.extensions?.auth.length ?? 0) > 0 ? say(s.tlsMode === 'none' ? 'verdict.auth-offered' : 'verdict.auth-offered-tls', { mechs: s.extensions?.auth.join(' ') ?? '' }) : '',
      });
    case 'auth-failed':
      return say('verdict.auth-failed', { host: s.host, port: s.port, outcomeMsg: s.outcome.message });
    case 'stage-reached':
      return say('verdict.stage-reached', {
        host: s.host, port: s.port,
        stageMsg: !s.stoppedAfter ? say('verdict.the-stop') : s.stoppedAfter === 'connect' || s.stoppedAfter === 'banner' ? say('verdict.the-banner') : QUIT_AFTER_LABEL[s.stoppedAfter],
        after: s.stoppedAfter ?? '',
      });
    case 'not-for-this-server': {
      const rc = recipients.find((r) => r.status === 'rejected')?.address ?? who;
      const dom = rc.slice(rc.lastIndexOf('@') + 1);
      const targetHint = input.target.kind === 'domain' && input.mailHosts.kind === 'mx'
        ? say('verdict.hint.mx-refuses', { host: s.host, domain: input.mailHosts.domain })
        : say('verdict.hint.probe-domain');
      return say('verdict.not-for-this-server', { host: s.host, domain: dom, rcpt: rc, atMsg: at(tag), hintMsg: targetHint });
    }
    case 'no-such-user':
      return say('verdict.no-such-user', { rcpt: recipients.find((r) => r.status === 'no-such-user')?.address ?? who, atMsg: at(tag) });
    case 'rejected':
      return say('verdict.rejected', {
        host: s.host,
        whatMsg: s.outcome.stage === 'rcpt' ? say('verdict.what.recipient-named', { rcpt: recipients.find((r) => r.status === 'rejected')?.address ?? who }) : say(s.outcome.stage === 'mail' ? 'verdict.what.sender' : 'verdict.what.connection'),
        atMsg: at(tag),
        reasonMsg: s.outcome.reason && s.outcome.reason !== 'undefined' ? say('verdict.reason', { reason: s.outcome.reason }) : '',
      });
    case 'deferred':
      return say('verdict.deferred', {
        host: s.host,
        whatMsg: say(s.outcome.stage === 'rcpt' ? 'verdict.what.recipient' : s.outcome.stage === 'mail' ? 'verdict.what.sender' : 'verdict.what.session'),
        atMsg: at(tag),
        reasonMsg: s.outcome.reason === 'greylisted' ? say('verdict.reason.greylisted') : s.outcome.reason && s.outcome.reason !== 'undefined' ? say('verdict.reason', { reason: s.outcome.reason }) : '',
      });
    default:
      return s.outcome.message;
  }
}

export function decideVerdict(input: VerdictInput): Verdict {
  const { mailHosts, sessions, ports, rcpts } = input;
  const base = { recipients: rcpts.map((address) => ({ address, status: 'not-tried' as const })), warnings: [] as string[] };
  if (mailHosts.kind === 'null-mx') {
    return { ...base, kind: 'null-mx', line: say('verdict.null-mx', { domain: mailHosts.domain }) };
  }
  // An authoritative answer that the domain does not exist (NXDOMAIN), or exists without any
  // mail host, is a fact about the recipient, not a network failure: exit 6, as verify says.
  if (mailHosts.kind === 'no-mail-host' || mailHosts.kind === 'dns-error' && mailHosts.error?.code === 'ENOTFOUND' && mailHosts.hosts.length === 0) {
    return { ...base, kind: 'no-such-domain', line: say('verdict.no-such-domain', { domain: mailHosts.domain, errorMsg: mailHosts.error?.message ?? say('verdict.no-mail-host') }) };
  }
  if (mailHosts.kind === 'dns-error') {
    return { ...base, kind: 'dns', line: say('common.subject-text', { subjectMsg: mailHosts.domain, textMsg: mailHosts.error?.message ?? say('verdict.no-mail-host') }) };
  }
  const primary = ports[0]?.port ?? 25;
  const candidates = finalSessions(sessions, primary);
  const decider = candidates.find((s) => !skipped(s)) ?? candidates[0];
  if (!decider) return { ...base, kind: 'network', line: say('verdict.nothing-probed', { domain: mailHosts.domain }) };

  let kind = OUTCOME_KIND[decider.outcome.kind] ?? 'protocol';
  if (kind === 'rejected' && decider.outcome.stage === 'auth') kind = 'auth-failed';
  else if (kind === 'accepted' && decider.stoppedAfter && decider.stoppedAfter !== 'rcpt') kind = 'stage-reached';
  else if (kind === 'rejected' && isAuthRequired(decider)) kind = 'auth-required';
  else if (kind === 'rejected' && isRelayDenial(decider)) kind = 'not-for-this-server';
  const recipients = recipientsOf(decider, rcpts);
  const warnings: string[] = [];

  // Trouble on the other hosts of the same port (a broken backup MX loses mail too).
  for (const s of candidates) {
    if (s === decider || s.outcome.kind === 'ok' || s.outcome.kind === decider.outcome.kind && s.outcome.reply?.code === decider.outcome.reply?.code) continue;
    const pref = mailHosts.hosts.find((h) => h.name === s.host)?.preference;
    warnings.push(say('common.subject-text', { subjectMsg: `${hostLabel(s)}:${s.port}${pref !== null && pref !== undefined ? ` (MX ${pref})` : ''}`, textMsg: s.outcome.message }));
  }
  // A backup MX that accepts recipients the primary refuses as unknown: it takes mail for any
  // address and bounces it later (backscatter), and asking it about recipients says nothing.
  const unknownHere = recipients.filter((r) => r.status === 'no-such-user');
  const refusedHere = recipients.filter((r) => r.status === 'rejected' && r.reason !== 'norelaying');
  for (const s of candidates) {
    if (s === decider) continue;
    const acceptedBy = (rs: RecipientVerdict[]) => rs.filter((r) => s.rcpts.some((x) => x.address === r.address && x.reply && x.reply.code >= 200 && x.reply.code < 300));
    const pref = mailHosts.hosts.find((h) => h.name === s.host)?.preference;
    const label = `${hostLabel(s)}:${s.port}${pref !== null && pref !== undefined ? ` (MX ${pref})` : ''}`;
    const unknown = acceptedBy(unknownHere);
    if (unknown.length > 0) {
      warnings.push(say('verdict.warn.backscatter', { label, rcpts: unknown.map((r) => r.address).join(', '), primary: hostLabel(decider) }));
    }
    const refused = acceptedBy(refusedHere);
    if (refused.length > 0) {
      warnings.push(say('verdict.warn.weaker-backup', { label, rcpts: refused.map((r) => r.address).join(', '), primary: hostLabel(decider), tags: refused.map((r) => replyTag(r.reply)).join(', ') }));
    }
  }
  // Port 25 blocked on the way out: every host timed out or was unreachable at connect.
  if (primary === 25 && candidates.length > 0 && candidates.every((s) => s.outcome.stage === 'connect' && (s.outcome.kind === 'timeout' || s.outcome.kind === 'network' && /unreachable/.test(s.outcome.message)))) {
    warnings.push(say('verdict.warn.port25-blocked'));
  }
  // Other ports are reported beside the verdict, not in it.
  for (const p of ports.slice(1)) {
    for (const s of finalSessions(sessions, p.port)) {
      if (s.outcome.kind === 'ok' || isAuthRequired(s)) continue;
      warnings.push(say('common.subject-text', { subjectMsg: `${hostLabel(s)}:${s.port}`, textMsg: s.outcome.message }));
    }
  }

  const line = decidingLine(kind, decider, input, recipients);
  const verdict: Verdict = { kind, line, host: decider.host, address: decider.address, port: decider.port, recipients, warnings };
  // A cause is named only for refusals about the sender (never for an unknown recipient, a
  // relay denial, or a submission port asking for AUTH), and only from the checks the words
  // point at: a blocklist refusal is never blamed on DMARC that was checked for context.
  const reason = decider.outcome.reason ?? '';
  if ((kind === 'rejected' || kind === 'deferred') && !NOT_ABOUT_SENDER.has(reason)) {
    const relevant = CAUSE_CHECKS[reason];
    const pointed = input.checks.filter((c) => !relevant || relevant.includes(c.check));
    const failed = pointed.filter((c) => c.status === 'fail');
    const skippedHere = pointed.filter((c) => c.result === 'skipped');
    const erred = pointed.filter((c) => c.status === 'error' && c.result !== 'skipped');
    if (failed.length > 0) verdict.cause = failed.map((c) => c.summary.replace(/\.$/, '')).join('; ');
    else if (erred.length > 0) {
      verdict.cause = say('verdict.cause.not-determined', { listMsg: erred.map((c) => c.summary.replace(/\.$/, '')).join('; ') });
    }
    else if (skippedHere.length > 0) {
      verdict.cause = say('verdict.cause.skipped', {
        checksMsg: skippedHere.map((c) => say(`check.name.${c.check}`)).join('; '),
        whyMsg: say(skippedHere[0]!.check === 'dnsbl' || skippedHere[0]!.check === 'rdns' ? 'verdict.cause.ip-unknown' : 'verdict.cause.see-above'),
      });
    }
  }
  return verdict;
}
