// The receiving domain's transport security, for a domain target: MTA-STS (RFC 8461) judged
// against the probe's own port-25 sessions, TLS-RPT (RFC 8460), and DANE (RFC 7672): the
// TLSA records of every MX host matched against the chain its sessions presented. Runs
// beside the follow-up checks; side effects (DNS, the HTTPS policy fetch) come in as deps.
import type { MailHosts } from '../dns/mail-hosts.js';
import type { Resolve } from '../dns/resolver.js';
import { checkMtaSts, type MtaStsResult } from '../checks/mta-sts.js';
import { checkTlsRpt, type TlsRptResult } from '../checks/tls-rpt.js';
import { checkDane, type DaneHostResult } from '../checks/dane.js';
import type { FetchPolicy } from '../checks/policy-fetch.js';
import type { SessionResult } from '../smtp/session.js';
import { say } from '../catalog/messages.js';

/** DANE over the MX hosts: the worst host's status, and each host's result. */
export interface DaneResult {
  status: DaneHostResult['status'];
  summary: string;
  hosts: DaneHostResult[];
}

export interface DomainSecurity { mtaSts: MtaStsResult; tlsRpt: TlsRptResult; dane: DaneResult }

export interface DomainSecurityDeps {
  resolve: Resolve;
  fetchPolicy: FetchPolicy;
  /** False under --tls none: the sessions did not try STARTTLS, so they say nothing about it. */
  judgeSessions?: boolean;
}

const RANK: Readonly<Record<DaneHostResult['status'], number>> = { fail: 4, error: 3, warn: 2, ok: 1, none: 0 };

export function summarizeDane(hosts: DaneHostResult[]): DaneResult {
  const worst = hosts.reduce<DaneHostResult['status']>((w, h) => (RANK[h.status] > RANK[w] ? h.status : w), 'none');
  const withTlsa = hosts.filter((h) => h.status !== 'none');
  const summary = hosts.length === 0 ? say('dane.summary.no-hosts')
    : withTlsa.length === 0 ? say('dane.summary.no-tlsa')
      : hosts.length === 1 ? (hosts[0] as DaneHostResult).summary
        : say('dane.summary.hosts', { withTlsa: withTlsa.length, n: hosts.length, counts: (['ok', 'warn', 'fail', 'error'] as const).map((st) => [st, hosts.filter((h) => h.status === st).length] as const).filter(([, n]) => n > 0).map(([st, n]) => `${n} ${st}`).join(', ') });
  return { status: worst, summary, hosts };
}

export async function runDomainSecurity(domain: string, mailHosts: MailHosts, sessions: readonly SessionResult[], deps: DomainSecurityDeps): Promise<DomainSecurity> {
  // MTA-STS and DANE govern SMTP between MTAs: submission sessions (587, implicit TLS) are not
  // judged. A session that never got an EHLO answer could not have tried STARTTLS: not judged.
  const smtp = deps.judgeSessions === false ? [] : sessions.filter((s) => s.port !== 587 && s.tlsMode !== 'implicit' && (s.extensions !== undefined || s.tls !== undefined));
  const norm = (h: string): string => h.toLowerCase().replace(/\.$/, '');
  const [mtaSts, tlsRpt, daneHosts] = await Promise.all([
    checkMtaSts(domain, {
      resolve: deps.resolve,
      fetchPolicy: deps.fetchPolicy,
      mxHosts: mailHosts.hosts.map((h) => h.name),
      sessions: smtp.map((s) => ({ host: s.host, address: s.address, port: s.port, ...(s.tls ? { tls: s.tls } : {}) })),
    }),
    checkTlsRpt(domain, { resolve: deps.resolve }),
    Promise.all(mailHosts.hosts.map((h) => checkDane(h.name, smtp.filter((s) => norm(s.host) === norm(h.name)).map((s) => ({
      address: s.address, port: s.port, ehlo: s.extensions !== undefined, starttls: s.extensions?.starttls === true, ...(s.tls ? { tls: s.tls } : {}),
    })), { resolve: deps.resolve, domain }))),
  ]);
  return { mtaSts, tlsRpt, dane: summarizeDane(daneHosts) };
}
