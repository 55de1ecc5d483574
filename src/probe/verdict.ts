// The one verdict of a probe, decided the way a sending MTA would experience it: hosts in
// preference order, skipping those that cannot be reached or refuse to talk (Postfix
// skips 5xx banners); the first host that completes a dialogue decides; trouble on the
// others is a warning. Decisions live here, never in renderers. Pure.
import type { CheckSummary } from '../checks/types.js';
import type { MailHosts } from '../dns/mail-hosts.js';
import type { AnnotatedSession } from './annotate.js';
import type { PortSpec } from './run-probe.js';
import type { Target } from './targets.js';

export type VerdictKind =
  | 'accepted' | 'auth-required' | 'no-such-user' | 'rejected' | 'deferred'
  | 'timeout' | 'network' | 'tls' | 'protocol' | 'null-mx' | 'dns';

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

function isAuthRequired(s: AnnotatedSession): boolean {
  const r = s.outcome.reply;
  if (!r || !SUBMISSION_PORTS.has(s.port)) return false;
  return r.code === 530 || r.enhanced === '5.7.0' || s.outcome.reason === 'securityerror' && /auth/i.test(r.text);
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
  const where = `on ${hostLabel(s)}:${s.port}`;
  const tag = replyTag(s.outcome.reply);
  const single = recipients.length === 1 ? recipients[0] : undefined;
  const who = single?.address ?? `${recipients.length} recipients`;
  switch (kind) {
    case 'accepted': {
      const r = single?.reply;
      if (single && input.target.kind === 'address') return `${who}: the server accepts mail for this address (${replyTag(r)} ${where}); a catch-all domain accepts every address, so this alone does not prove the mailbox exists`;
      if (single) return `${s.host} accepts mail for ${who} (${replyTag(r)} ${where})`;
      return `all ${recipients.length} recipients accepted ${where}`;
    }
    case 'auth-required':
      return `${s.host}:${s.port} is a submission service and asks for authentication before it takes mail (${tag}), as it should; this says nothing about mailboxes — probe port 25 for that`;
    case 'no-such-user':
      return `${recipients.find((r) => r.status === 'no-such-user')?.address ?? who}: no such mailbox (${tag} ${where})`;
    case 'rejected':
      return `${s.host} refused ${s.outcome.stage === 'rcpt' ? `the recipient ${recipients.find((r) => r.status === 'rejected')?.address ?? who}` : s.outcome.stage === 'mail' ? 'the sender' : 'the connection'} (${tag} ${where})${s.outcome.reason && s.outcome.reason !== 'undefined' ? `: reason ${s.outcome.reason}` : ''}`;
    case 'deferred':
      return `${s.host} deferred ${s.outcome.stage === 'rcpt' ? 'the recipient' : s.outcome.stage === 'mail' ? 'the sender' : 'the session'} (${tag} ${where})${s.outcome.reason === 'greylisted' ? ': greylisting, a real sender retries later and gets through' : s.outcome.reason && s.outcome.reason !== 'undefined' ? `: reason ${s.outcome.reason}` : ''}; try again later`;
    default:
      return s.outcome.message;
  }
}

export function decideVerdict(input: VerdictInput): Verdict {
  const { mailHosts, sessions, ports, rcpts } = input;
  const base = { recipients: rcpts.map((address) => ({ address, status: 'not-tried' as const })), warnings: [] as string[] };
  if (mailHosts.kind === 'null-mx') {
    return { ...base, kind: 'null-mx', line: `${mailHosts.domain} publishes a null MX (RFC 7505): it accepts no mail at all, so every message to it bounces` };
  }
  if (mailHosts.kind === 'dns-error' || mailHosts.kind === 'no-mail-host') {
    return { ...base, kind: 'dns', line: `${mailHosts.domain}: ${mailHosts.error?.message ?? 'no mail host found'}` };
  }
  const primary = ports[0]?.port ?? 25;
  const candidates = finalSessions(sessions, primary);
  const decider = candidates.find((s) => !skipped(s)) ?? candidates[0];
  if (!decider) return { ...base, kind: 'network', line: `${mailHosts.domain}: no mail host address could be probed` };

  let kind = OUTCOME_KIND[decider.outcome.kind] ?? 'protocol';
  if ((kind === 'rejected') && isAuthRequired(decider)) kind = 'auth-required';
  const recipients = recipientsOf(decider, rcpts);
  const warnings: string[] = [];

  // Trouble on the other hosts of the same port (a broken backup MX loses mail too).
  for (const s of candidates) {
    if (s === decider || s.outcome.kind === 'ok' || s.outcome.kind === decider.outcome.kind && s.outcome.reply?.code === decider.outcome.reply?.code) continue;
    const pref = mailHosts.hosts.find((h) => h.name === s.host)?.preference;
    warnings.push(`${hostLabel(s)}:${s.port}${pref !== null && pref !== undefined ? ` (MX ${pref})` : ''}: ${s.outcome.message}`);
  }
  // Port 25 blocked on the way out: every host timed out or was unreachable at connect.
  if (primary === 25 && candidates.length > 0 && candidates.every((s) => s.outcome.stage === 'connect' && (s.outcome.kind === 'timeout' || s.outcome.kind === 'network' && /unreachable/.test(s.outcome.message)))) {
    warnings.push('no mail host answered on port 25: many ISPs and cloud providers block outbound port 25, so check from another network (or ask your provider) before blaming the servers');
  }
  // Other ports are reported beside the verdict, not in it.
  for (const p of ports.slice(1)) {
    for (const s of finalSessions(sessions, p.port)) {
      if (s.outcome.kind === 'ok' || isAuthRequired(s)) continue;
      warnings.push(`${hostLabel(s)}:${s.port}: ${s.outcome.message}`);
    }
  }

  const line = decidingLine(kind, decider, input, recipients);
  const verdict: Verdict = { kind, line, host: decider.host, address: decider.address, port: decider.port, recipients, warnings };
  const failed = input.checks.filter((c) => c.status === 'fail');
  if (failed.length > 0 && (kind === 'rejected' || kind === 'deferred')) {
    verdict.cause = failed.map((c) => c.summary.replace(/\.$/, '')).join('; ');
  }
  return verdict;
}
