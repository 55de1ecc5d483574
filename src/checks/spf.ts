// SPF (RFC 7208) for smtp-probe: check_host() for an IP (spf-eval.ts) and the report the `auth`
// command and the probe's follow-up show: the records found, the include/redirect tree with each
// term's DNS cost, the 10-lookup and 2-void limits, syntax problems and risks, and with an IP the
// evaluation (result, deciding term, explanation). Plain data over the injected Resolve: it never
// prints, never reads process.*, and DNS trouble is a result word (temperror), not an exception.
import { say } from '../catalog/messages.js';
import { withCache, withQueryLog, type DnsQueryLog, type Resolve } from '../dns/resolver.js';
import type { CheckStatus, CheckSummary, Finding } from './types.js';
import { checkHost, isValidSpfDomain, spfIdentity, type SpfCheckResult, type SpfResult } from './spf-eval.js';
import { SPF_LOOKUP_LIMIT, SPF_VOID_LIMIT } from './spf-record.js';
import { parseIp } from './spf-ip.js';
import { UsageError } from '../errors.js';
import { walkSpf, type SpfTreeNode } from './spf-tree.js';

export { checkHost, spfIdentity, isValidSpfDomain, isQueryableName } from './spf-eval.js';
export type {
  CheckHostOptions, SpfCheckResult, SpfResult, SpfDecision, SpfChainLink, SpfTraceStep, SpfLookupCount, SpfIdentity,
} from './spf-eval.js';
export { parseSpfRecord, isSpfRecord, selectSpfRecords, SPF_LOOKUP_LIMIT, SPF_VOID_LIMIT } from './spf-record.js';
export type { ParsedSpfRecord, SpfTerm, SpfMechanism, SpfModifier, SpfQualifier, SpfMechanismName } from './spf-record.js';
export { walkSpf } from './spf-tree.js';
export { parseIp } from './spf-ip.js';
export type { SpfIp } from './spf-ip.js';
export type { SpfTreeNode, SpfTreeTerm, SpfTreeStatus, SpfWalk } from './spf-tree.js';

export interface SpfReportOptions {
  resolve: Resolve;
  /** The sending IP: when given, check_host() is evaluated for it. */
  ip?: string;
  /** MAIL FROM. undefined: postmaster@<domain>; "" (or "<>"): the null sender, so
   *  postmaster@<helo> (RFC 7208 §2.4). Used for the macros of <domain>'s evaluation. */
  sender?: string;
  /** HELO/EHLO name: %{h}, and with an IP a second check of the HELO identity (§2.3). */
  helo?: string;
  /** %{r}: the name of the host doing the check. */
  receiver?: string;
  now?: () => number;
  timeLimitMs?: number;
}

/** The report's result: an RFC 7208 result word when an IP was evaluated; without an IP,
 *  none/permerror/temperror as any evaluation would return, and null for a record tree with
 *  no error (no IP, so no result). Record validity is SpfReportDetails.recordStatus. */
export type SpfReportWord = SpfResult | null;

/** The record tree on its own, IP or not: valid, none (no record), permerror (broken),
 *  temperror (DNS failed). */
export type SpfRecordStatus = 'valid' | 'none' | 'permerror' | 'temperror';

export interface SpfReportDetails {
  domain: string;
  /** The "v=spf1" records at the domain (more than one is a permerror, §4.5). */
  records: string[];
  /** The record tree's own verdict, independent of any IP. */
  recordStatus: SpfRecordStatus;
  /** The include/redirect tree with each term's DNS cost (absent for a malformed domain). */
  tree?: SpfTreeNode;
  /** Worst-case DNS-querying terms and void lookups of the tree, against the §4.6.4 limits. */
  lookups: { count: number; limit: number; void: number; voidLimit: number };
  /** check_host(ip, domain, sender) when an IP was given. */
  evaluation?: SpfCheckResult;
  /** check_host(ip, helo, postmaster@helo) when an IP and a HELO name were given (§2.3). */
  heloEvaluation?: SpfCheckResult;
}

const RESULT_LEVEL: Record<SpfResult, Finding['level']> = {
  pass: 'ok', neutral: 'warn', softfail: 'warn', fail: 'error', none: 'error', permerror: 'error', temperror: 'warn',
};

const RESULT_STATUS: Record<SpfResult, CheckStatus> = {
  pass: 'pass', neutral: 'warn', softfail: 'warn', fail: 'fail', none: 'fail', permerror: 'fail', temperror: 'error',
};

const RESULT_MEANING: Record<SpfResult, string> = {
  pass: say('spf.meaning.pass'),
  fail: say('spf.meaning.fail'),
  softfail: say('spf.meaning.softfail'),
  neutral: say('spf.meaning.neutral'),
  none: say('spf.meaning.none'),
  permerror: say('spf.meaning.permerror'),
  temperror: say('spf.meaning.temperror'),
};

function resultFix(r: SpfCheckResult): string | undefined {
  switch (r.result) {
    case 'fail': case 'softfail': case 'neutral':
      return say('spf.fix.authorize', { mech: r.ip.includes(':') ? 'ip6' : 'ip4', ip: r.ip, domain: r.domain });
    case 'none': return say('spf.fix.publish', { domain: r.domain });
    case 'permerror': return say('spf.fix.broken');
    case 'temperror': return say('spf.fix.temperror');
    default: return undefined;
  }
}

/** The MAIL FROM identity's sender (RFC 7208 §2.4, spfIdentity(): the function the RFC suite
 *  tests); without a sender, the domain's own postmaster; a null sender without a HELO name
 *  falls back to the domain too. */
function normalizeSender(sender: string | undefined, domain: string, helo: string | undefined): string {
  return spfIdentity(sender ?? `postmaster@${domain}`, helo)?.sender ?? `postmaster@${domain}`;
}

/**
 * The SPF check of `domain` as a CheckSummary: without `ip` the record tree, its costs and
 * problems; with `ip` also check_host() for the sender (and the HELO identity).
 * Throws UsageError only for an `ip` that is not an IP address.
 */
export async function spfReport(domain: string, opts: SpfReportOptions): Promise<CheckSummary<SpfReportDetails>> {
  if (opts.ip !== undefined && !parseIp(opts.ip)) throw new UsageError(`not an IP address: ${JSON.stringify(opts.ip)}`);
  const queries: DnsQueryLog[] = [];
  const resolve = withCache(withQueryLog(opts.resolve, queries));
  const d = domain.trim().replace(/\.$/, '');
  const findings: Finding[] = [];
  const details: SpfReportDetails = { domain: d, records: [], recordStatus: 'none', lookups: { count: 0, limit: SPF_LOOKUP_LIMIT, void: 0, voidLimit: SPF_VOID_LIMIT } };
  const valid = isValidSpfDomain(d);

  // The walk and the evaluations run at once and share one cache: a report costs about one
  // round trip per include level, not one per term.
  const sender = normalizeSender(opts.sender, d, opts.helo);
  const common = { resolve, ...(opts.helo ? { helo: opts.helo } : {}), ...(opts.receiver ? { receiver: opts.receiver } : {}), ...(opts.now ? { now: opts.now } : {}), ...(opts.timeLimitMs ? { timeLimitMs: opts.timeLimitMs } : {}) };
  // §2.3: the HELO identity, only for a multi-label domain name (never an address literal).
  const heloId = opts.helo !== undefined && isValidSpfDomain(opts.helo) ? spfIdentity(undefined, opts.helo) : null;
  const [walk, evaluation, heloEvaluation] = await Promise.all([
    valid ? walkSpf(d, { resolve }) : undefined,
    opts.ip !== undefined ? checkHost(opts.ip, d, sender, common) : undefined,
    opts.ip !== undefined && heloId ? checkHost(opts.ip, heloId.domain, heloId.sender, common) : undefined,
  ]);

  let word: SpfReportWord;
  if (!walk) {
    findings.push({ level: 'error', code: 'spf.invalid-domain', message: say('spf.invalid-domain', { domain }) });
    word = 'none';
  } else {
    details.tree = walk.root;
    details.records = walk.root.records ?? (walk.root.record !== undefined ? [walk.root.record] : []);
    details.lookups = { count: walk.lookups, limit: SPF_LOOKUP_LIMIT, void: walk.voids, voidLimit: SPF_VOID_LIMIT };
    if (walk.root.status === 'none') {
      findings.push({ level: 'error', code: 'spf.no-record', message: say('spf.no-record', { domain: d, problemMsg: walk.root.problem ?? say('spf.no-spf1-txt') }), fix: say('spf.no-record.fix', { domain: d }) });
    }
    findings.push(...walk.findings);
    if (walk.root.status !== 'none' && walk.root.status !== 'dns-error') {
      findings.push({
        // Over the limit is already an error finding (spf.too-many-lookups); this line is the count.
        level: walk.lookups > SPF_LOOKUP_LIMIT ? 'info' : walk.lookups >= SPF_LOOKUP_LIMIT - 1 || walk.voids >= SPF_VOID_LIMIT ? 'warn' : 'ok',
        code: 'spf.lookup-count',
        message: say('spf.lookup-count', { lookups: walk.lookups, limit: SPF_LOOKUP_LIMIT, voids: walk.voids, voidLimit: SPF_VOID_LIMIT }),
      });
    }
    word = walk.verdict === 'ok' ? null : walk.verdict;
  }
  details.recordStatus = word ?? 'valid';

  if (evaluation) {
    details.evaluation = evaluation;
    const at = sender.lastIndexOf('@');
    if (at !== -1 && sender.slice(at + 1).toLowerCase() !== d.toLowerCase()) {
      findings.push({ level: 'info', code: 'spf.sender-domain', message: say('spf.sender-domain', { sender, domain: d, senderDomain: sender.slice(at + 1) }) });
    }
    const fix = resultFix(evaluation);
    findings.push({
      level: RESULT_LEVEL[evaluation.result],
      code: `spf.result.${evaluation.result}`,
      message: say('spf.result', { result: evaluation.result, ip: evaluation.ip, meaningMsg: RESULT_MEANING[evaluation.result], commentMsg: evaluation.comment }),
      ...(fix ? { fix } : {}),
    });
    if (evaluation.explanation !== undefined) {
      findings.push({ level: 'info', code: 'spf.explanation', message: say('spf.explanation', { text: evaluation.explanation }) });
    }
    word = evaluation.result;
  }
  if (heloEvaluation) {
    details.heloEvaluation = heloEvaluation;
    const h = heloEvaluation;
    findings.push({
      level: h.result === 'pass' ? 'ok' : h.result === 'none' ? 'info' : RESULT_LEVEL[h.result],
      code: `spf.helo.${h.result}`,
      message: say('spf.helo', { domain: h.domain, result: h.result, commentMsg: h.comment }),
    });
  }

  const hasWarn = findings.some((f) => f.level === 'warn' || f.level === 'error');
  let status: CheckStatus;
  if (evaluation) {
    status = RESULT_STATUS[evaluation.result];
    if (status === 'pass' && hasWarn) status = 'warn';
  } else {
    status = word === null ? (hasWarn ? 'warn' : 'pass') : RESULT_STATUS[word];
  }

  const summary = evaluation
    ? say('spf.summary.result', { result: evaluation.result, ip: evaluation.ip, domain: d, commentMsg: evaluation.comment })
    : word === null
      ? say('spf.summary.valid', { domain: d, lookups: details.lookups.count, limit: SPF_LOOKUP_LIMIT, voids: details.lookups.void, voidLimit: SPF_VOID_LIMIT })
      : say('spf.summary.problem', { domain: d, word, problemMsg: findings.find((f) => f.level === 'error' || f.level === 'warn')?.message ?? word });

  return { check: 'spf', status, result: word, subject: d, summary, findings, details, queries };
}
