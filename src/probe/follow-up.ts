// The probe's follow-up to a rejection: "is it me?". On a 5xx (or --checks always) it
// finds the IP the server saw and runs the checks the reply points at — a blocklist named
// in the text is checked first; authentication wording → SPF/DKIM/DMARC for the sender's
// domain; reverse-DNS wording → rdns; otherwise all. Plain data over the injected resolver.
import { say } from '../catalog/messages.js';
import { checkAuth } from '../checks/auth.js';
import { blocklistSummary, checkBlocklists, ZONES, zonesNamedIn } from '../checks/dnsbl.js';
import { checkRdns } from '../checks/rdns.js';
import type { CheckSummary } from '../checks/types.js';
import type { Resolve } from '../dns/resolver.js';
import type { AnnotatedSession } from './annotate.js';
import { searchSendingIp, type SendingIp } from './sending-ip.js';
import { isAddressLiteral } from '../checks/auth.js';
import { requiresAuthentication } from './verdict.js';

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

/** Reasons that are about the recipient or the server's role, not the sender: checking the
 *  sender explains nothing (a relay denial means the server does not take mail for that
 *  domain; hostunknown/notaccept: the recipient's domain takes no mail). */
const RECIPIENT_REASONS = new Set(['userunknown', 'mailboxfull', 'hasmoved', 'suspend', 'mesgtoobig', 'norelaying', 'hostunknown', 'notaccept']);
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
      // A submission port asking for AUTH is healthy: nothing about the sender to check.
      if (requiresAuthentication(s.port, r)) continue;
      // A reason guessed from the code alone points nowhere: then every check runs.
      if (!rec.inferred) p.reasons.add(rec.reason);
      p.texts.push(r.text);
      p.zones.push(...(rec.facts.zones ?? []));
      p.ips.push(...(rec.facts.ips ?? []));
      p.trigger ??= say('followup.trigger', { tag: `${r.code}${r.enhanced ? ` ${r.enhanced}` : ''}`, host: s.host, reason: rec.reason });
    }
  }
  p.zones = [...new Set(p.zones.map((z) => z.toLowerCase()))];
  return p;
}

/** The domain whose SPF/DKIM/DMARC the receiver judged: MAIL FROM's, or HELO's for the null
 *  sender; or why there is none (an address literal, a HELO that is not a domain name). */
function senderDomain(from: string, helo: string): { domain?: string; why?: string } {
  const which = from === '' ? say('followup.null-sender-helo', { helo }) : say('followup.mail-from-domain', { from });
  const d = from === '' ? helo : from.slice(from.lastIndexOf('@') + 1);
  if (isAddressLiteral(d)) return { why: say('followup.address-literal', { whichMsg: which }) };
  if (!d.includes('.')) return { why: say('followup.no-dot', { whichMsg: which }) };
  return { domain: d.toLowerCase() };
}

/** A check that was not run, in the shape of the others, so no output can drop it silently. */
function skippedCheck(check: CheckSummary['check'], subject: string, reason: string, fix: string, sendingIpUnknown?: string): CheckSummary {
  return {
    check, status: 'info', result: 'skipped', subject,
    summary: say('followup.skipped.summary', { reasonMsg: reason }),
    findings: [{ level: 'warn', code: `${check}.skipped`, message: say('followup.skipped', { checkMsg: check === 'dnsbl' || check === 'rdns' ? say(`check.name.${check}`) : check.toUpperCase(), reasonMsg: reason }), fix }],
    details: { skipped: true, reason, ...(sendingIpUnknown ? { sendingIpUnknown } : {}) }, queries: [],
  };
}

export async function runFollowUp(sessions: readonly AnnotatedSession[], o: FollowUpOptions, d: FollowUpDeps): Promise<FollowUp | undefined> {
  if (o.when === 'never') return undefined;
  const ptr = pointersOf(sessions);
  if (o.when === 'auto' && !ptr.trigger) return undefined;
  const trigger = ptr.trigger ?? '--checks always';

  const named = ptr.ips.find((ip) => sessions.every((s) => s.address !== ip));
  const search = o.ip
    ? { found: { ip: o.ip, source: 'flag' as const, detail: say('ip.given') }, misses: [] }
    : named
      ? { found: { ip: named, source: 'server-reply' as const, detail: say('ip.named-in-rejection') }, misses: [] }
      : await searchSendingIp({ sessions, ...(d.resolverAt ? { whoami: { resolve: d.resolve, resolverAt: d.resolverAt } } : {}) });
  const sendingIp: SendingIp | undefined = search.found;

  // What the words point at; with no pointer (or --checks always), everything.
  const reasons = ptr.reasons;
  const pointed = ptr.zones.length > 0 || [...reasons].some((r) => IP_REASONS.has(r) || AUTH_REASONS.has(r) || r === 'requireptr');
  const all = !pointed || o.when === 'always';
  const wantBlocklists = all || ptr.zones.length > 0 || [...reasons].some((r) => IP_REASONS.has(r));
  const wantAuth = all || [...reasons].some((r) => AUTH_REASONS.has(r));
  const wantRdns = all || reasons.has('requireptr') || [...reasons].some((r) => IP_REASONS.has(r));

  const sd = senderDomain(o.from, o.helo);
  const domain = sd.domain;
  const jobs: Promise<CheckSummary[]>[] = [];
  const skipped: CheckSummary[] = [];
  // Without the sending IP the IP checks cannot run: say which, why (each source's own
  // error), and what to do; then run what needs no IP (SPF record, DMARC of the sender).
  const noIp = say('followup.ip-unknown', { missesMsg: search.misses.join('; ') });
  
  if (!sendingIp && wantBlocklists) {
    skipped.push(skippedCheck('dnsbl', say('followup.ip-unknown-short'), ptr.zones.length > 0 ? say('followup.zones-named', { reasonMsg: noIp, zones: ptr.zones.join(', ') }) : noIp, say('followup.dnsbl.fix'), noIp));
  }
  if (!sendingIp && wantRdns) {
    skipped.push(skippedCheck('rdns', say('followup.ip-unknown-short'), noIp, say('followup.rdns.fix'), noIp));
  }
  if (sendingIp && wantBlocklists) {
    // A list the server named (by zone or by name, "Spamhaus") goes first: it is the one
    // that refused us. A zone we do not know is asked too; retired lists are not.
    const namedZones = zonesNamedIn(ptr.texts.join('\n'));
    const known = new Set([...namedZones.zones, ...ZONES].map((z) => z.zone).concat(namedZones.retired.map((r) => r.zone)));
    const unknown = ptr.zones.filter((z) => !known.has(z));
    jobs.push(checkBlocklists(sendingIp.ip, { resolve: d.resolve, zones: [...namedZones.zones, ...ZONES], extraZones: unknown }).then((r) => [blocklistSummary(r)]));
  }
  // The IP-free part of SPF/DMARC runs whenever the IP is unknown, whatever the words say.
  const runAuth = wantAuth || !sendingIp;
  if (domain && runAuth) {
    jobs.push(checkAuth(domain, {
      resolve: d.resolve, from: o.from, helo: o.helo,
      ...(sendingIp ? { ip: sendingIp.ip } : {}),
      ...(o.selectors ? { selectors: o.selectors } : {}),
    }).then((a) => {
      const out = a.checks.filter((c) => (c.check !== 'rdns' || wantRdns) && (wantAuth || c.check === 'spf' || c.check === 'dmarc'));
      // SPF judged the record only: say why no IP was evaluated, with the sources' own errors.
      const spf = out.find((c) => c.check === 'spf');
      if (!sendingIp && spf) spf.findings.push({ level: 'warn', code: 'spf.no-ip', message: say('followup.spf-no-ip', { reasonMsg: noIp }), fix: say('followup.spf-no-ip.fix') });
      return out;
    }));
  } else if (!domain && runAuth) {
    skipped.push(skippedCheck('spf', o.from === '' ? o.helo : o.from, sd.why ?? say('followup.no-sender-domain'), say('followup.spf.fix')));
    skipped.push(skippedCheck('dmarc', o.from === '' ? o.helo : o.from, sd.why ?? say('followup.no-sender-domain'), say('followup.dmarc.fix')));
  }
  if (!(domain && runAuth) && sendingIp && wantRdns) {
    jobs.push(checkRdns(sendingIp.ip, { resolve: d.resolve, helo: o.helo }).then((c) => [c]));
  }
  // A check that throws keeps its reason; it never takes the probe down.
  const settled = await Promise.all(jobs.map((j) => j.catch((e: unknown): CheckSummary[] => [{
    check: 'spf', status: 'error', result: 'temperror', subject: domain ?? sendingIp?.ip ?? '',
    summary: say('followup.internal', { errorMsg: e instanceof Error ? e.message : String(e) }),
    findings: [{ level: 'warn', code: 'checks.internal', message: e instanceof Error ? e.message : String(e) }], details: { error: String(e) }, queries: [],
  }])));
  const checks = [...settled.flat(), ...skipped];
  return { checks, ...(sendingIp ? { sendingIp } : {}), trigger };
}
