// The shape every sender-side check reports in (dnsbl, spf, dkim, dmarc, rdns), so the
// probe's `checks` array, the `blocklist` and `auth` commands and the exit code (8 when a
// check fails) treat them alike. Each check keeps its own detailed result in `details`.
import type { DnsQueryLog } from '../dns/resolver.js';

export type CheckName = 'dnsbl' | 'spf' | 'dkim' | 'dmarc' | 'rdns';

/** pass: nothing wrong · warn: works but risky · fail: a problem that costs delivery (exit 8) ·
 *  error: could not be decided (DNS trouble) · info: nothing to judge (e.g. no selector found). */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'error' | 'info';

export interface Finding {
  level: 'ok' | 'info' | 'warn' | 'error';
  /** Stable identifier, e.g. 'spf.too-many-lookups', 'dnsbl.listed', 'dmarc.no-record'. */
  code: string;
  message: string;
  /** What to do about it, when there is something to do. */
  fix?: string;
}

export interface CheckSummary<D = unknown> {
  check: CheckName;
  status: CheckStatus;
  /** The check's own result word: an RFC 8601 word for spf/dkim/dmarc (pass, fail, softfail,
   *  neutral, none, temperror, permerror), 'listed'/'clean'/'error' for dnsbl, 'pass'/'fail' for
   *  rdns; null when nothing was evaluated (SPF without a sending IP: see details.recordStatus). */
  result: string | null;
  /** What was checked: an IP address or a domain. */
  subject: string;
  /** One line a person can act on. */
  summary: string;
  findings: Finding[];
  details: D;
  /** Every DNS lookup made, as evidence. */
  queries: DnsQueryLog[];
}

/** True when the check found a problem that the check commands report with exit code 8. */
export function isProblem(c: CheckSummary): boolean {
  return c.status === 'fail';
}
