// The receiving domain's transport security, for a domain target: MTA-STS (RFC 8461) judged
// against the probe's own port-25 sessions, and TLS-RPT (RFC 8460). Runs beside the
// follow-up checks; side effects (DNS, the HTTPS policy fetch) come in as deps.
import type { MailHosts } from '../dns/mail-hosts.js';
import type { Resolve } from '../dns/resolver.js';
import { checkMtaSts, type MtaStsResult } from '../checks/mta-sts.js';
import { checkTlsRpt, type TlsRptResult } from '../checks/tls-rpt.js';
import type { FetchPolicy } from '../checks/policy-fetch.js';
import type { SessionResult } from '../smtp/session.js';

export interface DomainSecurity { mtaSts: MtaStsResult; tlsRpt: TlsRptResult }

export interface DomainSecurityDeps {
  resolve: Resolve;
  fetchPolicy: FetchPolicy;
  /** False under --tls none: the sessions did not try STARTTLS, so they say nothing about it. */
  judgeSessions?: boolean;
}

export async function runDomainSecurity(domain: string, mailHosts: MailHosts, sessions: readonly SessionResult[], deps: DomainSecurityDeps): Promise<DomainSecurity> {
  // MTA-STS governs SMTP between MTAs: submission sessions (587, implicit TLS) are not judged.
  // A session that never got an EHLO answer could not have tried STARTTLS: not judged.
  const smtp = deps.judgeSessions === false ? [] : sessions.filter((s) => s.port !== 587 && s.tlsMode !== 'implicit' && (s.extensions !== undefined || s.tls !== undefined));
  const [mtaSts, tlsRpt] = await Promise.all([
    checkMtaSts(domain, {
      resolve: deps.resolve,
      fetchPolicy: deps.fetchPolicy,
      mxHosts: mailHosts.hosts.map((h) => h.name),
      sessions: smtp.map((s) => ({ host: s.host, address: s.address, port: s.port, ...(s.tls ? { tls: s.tls } : {}) })),
    }),
    checkTlsRpt(domain, { resolve: deps.resolve }),
  ]);
  return { mtaSts, tlsRpt };
}
