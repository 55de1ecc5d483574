// The probe's follow-up to a rejection: "is it me?". On a 5xx (or --checks always) it
// finds the IP the server saw and runs the checks the reply points at — a blocklist named
// in the text is checked first; authentication wording → SPF/DKIM/DMARC for the sender's
// domain; reverse-DNS wording → rdns; otherwise all. Plain data over the injected resolver.
import { checkAuth } from '../checks/auth.js';
import { blocklistSummary, checkBlocklists, ZONES, zonesNamedIn } from '../checks/dnsbl.js';
import { checkRdns } from '../checks/rdns.js';
import type { CheckSummary } from '../checks/types.js';
import type { Resolve } from '../dns/resolver.js';
import type { AnnotatedSession } from './annotate.js';
import { findSendingIp, type SendingIp } from './sending-ip.js';

export type ChecksWhen = 'auto' | 'always' | 'never';

export interface FollowUpOptions {
  when: ChecksWhen;
  /** --ip: the sending IP, when the user knows it. */
  ip?: string;
  from: string;
  helo: string;
  selectors?: readonly string[];
}

export interface FollowUpDeps {
  resolve: Resolve;
  /** A resolver that asks one server directly (the DNS who-am-I lookup); none: skip it. */
  resolverAt?: (ip: string) => Resolve;
}

export interface FollowUp {
  checks: CheckSummary[];
  sendingIp?: SendingIp;
  /** Why these checks ran: the rejection they follow up, or --checks always. */
  trigger: string;
}

/** Reasons that are about the recipient, not the sender: checking the sender explains nothing. */
const RECIPIENT_REASONS = new Set(['userunknown', 'mailboxfull', 'hasmoved', 'suspend', 'mesgtoobig']);
const IP_REASONS = new Set(['blocked', 'badreputation', 'spamdetected', 'toomanyconn', 'speeding']);
const AUTH_REASONS = new Set(['authfailure', 'securityerror']);

interface Pointers { zones: string[]; ips: string[]; texts: string[]; reasons: Set<string>; trigger?: string }

function pointersOf(sessions: readonly AnnotatedSession[]): Pointers {
  const p: Pointers = { zones: [], ips: [], texts: [], reasons: new Set() };
  for (const s of sessions) {
    for (const step of s.steps) {
      const r = step.reply;
      const rec = step.explanation?.recognition;
      if (!r || r.code < 500 || !rec) continue;
      if (RECIPIENT_REASONS.has(rec.reason)) continue;
      // A reason guessed from the code alone points nowhere: then every check runs.
      if (!rec.inferred) p.reasons.add(rec.reason);
      p.texts.push(r.text);
      p.zones.push(...(rec.facts.zones ?? []));
      p.ips.push(...(rec.facts.ips ?? []));
      p.trigger ??= `${r.code}${r.enhanced ? ` ${r.enhanced}` : ''} from ${s.host} (${rec.reason})`;
    }
  }
  p.zones = [...new Set(p.zones.map((z) => z.toLowerCase()))];
  return p;
}

/** The domain whose SPF/DKIM/DMARC the receiver judged: MAIL FROM's, or HELO's for the null sender. */
function senderDomain(from: string, helo: string): string | undefined {
  const d = from === '' ? helo : from.slice(from.lastIndexOf('@') + 1);
  return d.includes('.') ? d.toLowerCase() : undefined;
}

export async function runFollowUp(sessions: readonly AnnotatedSession[], o: FollowUpOptions, d: FollowUpDeps): Promise<FollowUp | undefined> {
  if (o.when === 'never') return undefined;
  const ptr = pointersOf(sessions);
  if (o.when === 'auto' && !ptr.trigger) return undefined;
  const trigger = ptr.trigger ?? '--checks always';

  const named = ptr.ips.find((ip) => sessions.every((s) => s.address !== ip));
  const sendingIp: SendingIp | undefined = o.ip
    ? { ip: o.ip, source: 'flag', detail: 'given with --ip' }
    : named
      ? { ip: named, source: 'server-reply', detail: 'named in the rejection' }
      : await findSendingIp({ sessions, ...(d.resolverAt ? { whoami: { resolve: d.resolve, resolverAt: d.resolverAt } } : {}) });

  // What the words point at; with no pointer (or --checks always), everything.
  const reasons = ptr.reasons;
  const pointed = ptr.zones.length > 0 || [...reasons].some((r) => IP_REASONS.has(r) || AUTH_REASONS.has(r) || r === 'requireptr');
  const wantBlocklists = !pointed || ptr.zones.length > 0 || [...reasons].some((r) => IP_REASONS.has(r));
  const wantAuth = !pointed || [...reasons].some((r) => AUTH_REASONS.has(r));
  const wantRdns = !pointed || reasons.has('requireptr') || [...reasons].some((r) => IP_REASONS.has(r));

  const domain = senderDomain(o.from, o.helo);
  const jobs: Promise<CheckSummary[]>[] = [];
  if (sendingIp && wantBlocklists) {
    // A list the server named (by zone or by name, "Spamhaus") goes first: it is the one
    // that refused us. A zone we do not know is asked too; retired lists are not.
    const named = zonesNamedIn(ptr.texts.join('\n'));
    const known = new Set([...named.zones, ...ZONES].map((z) => z.zone).concat(named.retired.map((r) => r.zone)));
    const unknown = ptr.zones.filter((z) => !known.has(z));
    jobs.push(checkBlocklists(sendingIp.ip, { resolve: d.resolve, zones: [...named.zones, ...ZONES], extraZones: unknown }).then((r) => [blocklistSummary(r)]));
  }
  if (domain && wantAuth) {
    jobs.push(checkAuth(domain, {
      resolve: d.resolve, from: o.from, helo: o.helo,
      ...(sendingIp ? { ip: sendingIp.ip } : {}),
      ...(o.selectors ? { selectors: o.selectors } : {}),
    }).then((a) => a.checks.filter((c) => c.check !== 'rdns' || wantRdns)));
  } else if (sendingIp && wantRdns) {
    jobs.push(checkRdns(sendingIp.ip, { resolve: d.resolve, helo: o.helo }).then((c) => [c]));
  }
  const checks = (await Promise.all(jobs)).flat();
  return { checks, ...(sendingIp ? { sendingIp } : {}), trigger };
}
