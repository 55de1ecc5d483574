// The `auth` report for a sending domain: SPF (spf.ts), DKIM, DMARC and, given the sending
// IP, reverse DNS, run concurrently over one memoized resolver, plus the verdict that the
// CLI turns into an exit code. Holds the JSON contract (schemaVersion 1, documented in
// data/schema/auth-result.schema.json). Returns plain data; never prints, never exits.
import { say } from '../catalog/messages.js';
import net from 'node:net';
import { isDnsError, withCache, type Resolve } from '../dns/resolver.js';
import { UsageError } from '../errors.js';
import { checkDkim, isValidDomainName, isValidSelector, type DkimDetails, type DkimKeyType, type DkimSelectorStatus } from './dkim.js';
import { checkDmarc, type AlignmentCheck, type BrokenDmarcRecord, type DmarcDetails, type DmarcMode, type DmarcPolicy, type ReportUri } from './dmarc.js';
import { normalizeDomain, treeWalkTargets } from './org-domain.js';
import { checkRdns, type RdnsDetails } from './rdns.js';
// The one import of the SPF check (written beside this file): every use goes through runSpf()
// and spfForAlignment().
import { checkHost, spfIdentity, spfReport, type SpfRecordStatus, type SpfReportDetails, type SpfResult } from './spf.js';
import type { CheckName, CheckStatus, CheckSummary, Finding } from './types.js';

export interface AuthOptions {
  resolve: Resolve;
  /** The sending IP: SPF is evaluated for it, and its reverse DNS is checked. */
  ip?: string;
  /** MAIL FROM address; '' is the null sender (SPF then checks the HELO identity, RFC 7208 §2.4). */
  from?: string;
  helo?: string;
  /** DKIM selectors to look up besides the common ones. */
  selectors?: readonly string[];
  /** DMARC rules to apply (default RFC 9989). */
  dmarcMode?: DmarcMode;
}

export interface AuthSpf {
  /** Only an RFC 7208 result word: pass fail softfail neutral none temperror permerror; null
   *  when no IP was evaluated and the record has no error (there is no result without an IP). */
  result: SpfResult | null;
  /** The record on its own: valid, none, permerror (broken) or temperror (DNS failed). */
  recordStatus: SpfRecordStatus;
  status: CheckStatus;
  summary: string;
  /** For fail: the domain's exp= text. */
  explanation: string | null;
  record: string | null;
  /** The identity checked: the MAIL FROM address, or postmaster@<HELO> for the null sender. */
  sender: string | null;
  /** The domain SPF authenticated (DMARC aligns it with the From domain). */
  domain: string | null;
  findings: Finding[];
}

export interface AuthDkimEntry {
  selector: string;
  status: DkimSelectorStatus;
  keyType: DkimKeyType | null;
  keyBits: number | null;
  requested: boolean;
  record: string | null;
  findings: Finding[];
}

export interface AuthDmarc {
  mode: DmarcMode;
  status: CheckStatus;
  /** RFC 8601 word with --ip (pass, fail, none, temperror, permerror); else found/none/temperror/permerror. */
  result: string;
  summary: string;
  record: string | null;
  recordDomain: string | null;
  inherited: boolean;
  /** The published policy for this domain (p, sp or np), and what receivers apply to failing mail (t=y lowers it). */
  policy: DmarcPolicy | null;
  effectivePolicy: DmarcPolicy | null;
  subdomainPolicy: DmarcPolicy | null;
  orgDomain: string;
  orgDomainPsl: string;
  orgDomainTreeWalk: string | null;
  adkim: 'r' | 's' | null;
  aspf: 'r' | 's' | null;
  pct: number | null;
  testing: boolean;
  rua: ReportUri[];
  ruf: ReportUri[];
  alignment: { spf: AlignmentCheck; dkim: AlignmentCheck } | null;
  /** Records written as DMARC that are broken (wrong version tag, bad tag values), with the
   *  exact problems: the result is then permerror, never "none". */
  brokenRecords: { name: string; record: string; problems: string[]; discarded: boolean }[];
  findings: Finding[];
}

export interface AuthRdns {
  status: CheckStatus;
  result: string;
  summary: string;
  ptr: string[];
  fcrdns: boolean;
  confirmedNames: string[];
  generic: { name: string; reason: string }[];
  helo: RdnsDetails['helo'] | null;
  findings: Finding[];
}

export interface AuthVerdict {
  /** fail: some check found a problem (exit 8) · error: DNS failed for every check (exit 3) ·
   *  no-such-domain: the domain does not exist, authoritative NXDOMAIN (exit 6). */
  status: 'pass' | 'warn' | 'fail' | 'error' | 'no-such-domain';
  problems: CheckName[];
  line: string;
}

export interface AuthResult {
  schemaVersion: 1;
  domain: string;
  ip?: string;
  from?: string | null;
  helo?: string;
  spf: AuthSpf;
  dkim: AuthDkimEntry[];
  dmarc: AuthDmarc;
  rdns?: AuthRdns;
  checks: CheckSummary[];
  verdict: AuthVerdict;
}

/** The SPF check's own details, read defensively: only result/summary are the common shape. */
function spfFacts(c: CheckSummary): { explanation: string | null; record: string | null } {
  const d = (c.details ?? {}) as Record<string, unknown>;
  const nested = [d, d.evaluation, d.check, d.checkHost, d.result].filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null);
  const pick = (k: string): string | null => {
    for (const o of nested) if (typeof o[k] === 'string') return o[k] as string;
    return null;
  };
  const records = Array.isArray(d.records) && typeof d.records[0] === 'string' ? (d.records[0] as string) : null;
  return { explanation: pick('explanation'), record: pick('record') ?? records };
}

function runSpf(domain: string, resolve: Resolve, ip: string | undefined, sender: string | undefined, helo: string | undefined): Promise<CheckSummary> {
  return spfReport(domain, { resolve, ...(ip ? { ip } : {}), ...(sender !== undefined ? { sender } : {}), ...(helo ? { helo } : {}) });
}

/**
 * The SPF result DMARC aligns: check_host() for the MAIL FROM domain (or the HELO name for
 * the null sender, RFC 7208 §2.4). That is the report's own evaluation when the identity's
 * domain is the queried domain; otherwise it is evaluated separately, at the same time.
 */
function spfForAlignment(report: Promise<CheckSummary>, d: string, id: { domain: string; sender: string }, ip: string, helo: string | undefined, resolve: Resolve): Promise<{ result: string; reason?: string }> {
  if (id.domain === d) return report.then((r) => ({ result: r.result ?? 'none', ...(r.status === 'error' ? { reason: r.summary } : {}) }));
  return checkHost(ip, id.domain, id.sender, { resolve, ...(helo ? { helo } : {}) })
    .then(
      (r) => ({ result: r.result, ...(r.result === 'temperror' ? { reason: r.comment } : {}) }),
      // A crash deep in the evaluation: alignment is undecidable, and the reason is kept.
      (e: unknown) => ({ result: 'temperror', reason: say('auth.spf-unevaluated', { domain: id.domain, errorMsg: e instanceof Error ? e.message : String(e) }) }),
    );
}

/** An address literal ([192.0.2.1], [IPv6:…]) in HELO or MAIL FROM: no SPF, no DMARC there. */
export function isAddressLiteral(name: string): boolean {
  return /^\[.*\]$/.test(name.trim());
}

/** The broken DMARC records checkDmarc found (kept in its details). */
function brokenOf(c: CheckSummary): BrokenDmarcRecord[] {
  return ((c.details ?? {}) as Partial<DmarcDetails>).broken ?? [];
}

/** A check that threw (a bug or unexpected input deep inside) must not take the report down. */
function crashed(check: CheckName, subject: string, e: unknown): CheckSummary {
  const message = e instanceof Error ? `${e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}` : String(e);
  return {
    check, status: 'error', result: 'temperror', subject,
    summary: say('auth.internal.summary', { check, errorMsg: message }),
    findings: [{ level: 'warn', code: `${check}.internal`, message: say('auth.internal', { check, errorMsg: message }), fix: say('auth.internal.fix') }],
    details: { error: message }, queries: [],
  };
}

/** The checks' names as the verdict line writes them (English; renderers localise them). */
export const CHECK_NAMES: Record<CheckName, string> = { spf: 'SPF', dkim: 'DKIM', dmarc: 'DMARC', rdns: say('check.name.rdns'), dnsbl: say('auth.name.blocklists') };

export function authVerdict(domain: string, checks: readonly CheckSummary[]): AuthVerdict {
  const failing = checks.filter((c) => c.status === 'fail');
  if (failing.length > 0) {
    return { status: 'fail', problems: failing.map((c) => c.check), line: say(failing.length === 1 ? 'auth.verdict.problem' : 'auth.verdict.problems', { n: failing.length, itemsMsg: failing.map((c) => say('common.subject-text', { subjectMsg: CHECK_NAMES[c.check], textMsg: c.summary })).join(' · ') }) };
  }
  if (checks.length > 0 && checks.every((c) => c.status === 'error')) {
    return { status: 'error', problems: [], line: say('auth.verdict.all-errors', { domain }) };
  }
  const warn = checks.filter((c) => c.status === 'warn' || c.status === 'error');
  if (warn.length > 0) {
    return { status: 'warn', problems: [], line: say('auth.verdict.warn', { domain, namesMsg: warn.map((c) => CHECK_NAMES[c.check]).join(', ') }) };
  }
  return { status: 'pass', problems: [], line: say('auth.verdict.pass', { domain, namesMsg: checks.map((c) => CHECK_NAMES[c.check]).join(', ') }) };
}

/**
 * Runs the checks concurrently. DMARC discovery starts at once; only its alignment step
 * waits for SPF's result (and the SPF domain's _dmarc names are fetched up front, so the
 * wait costs no extra DNS round trip).
 */
export async function checkAuth(domain: string, opts: AuthOptions): Promise<AuthResult> {
  const d = normalizeDomain(domain);
  if (!isValidDomainName(d) || !d.includes('.')) throw new UsageError(`"${domain}" is not a domain name`);
  const ip = opts.ip?.trim().replace(/^\[|\]$/g, '');
  if (ip !== undefined && !net.isIP(ip)) throw new UsageError(`"${opts.ip}" is not an IPv4 or IPv6 address`);
  for (const sel of opts.selectors ?? []) {
    if (!isValidSelector(sel.trim())) throw new UsageError(`"${sel}" is not a valid DKIM selector (RFC 6376 §3.1: dot-separated DNS labels)`);
  }
  const helo = opts.helo?.trim() || undefined;
  const mode = opts.dmarcMode ?? 'rfc9989';
  const resolve = withCache(opts.resolve);

  // RFC 7208 §2.4 through spfIdentity() (the function the RFC suite tests): the MAIL FROM
  // identity; the null sender ('') means postmaster@<HELO>. Without --from we check
  // postmaster@<domain>, the domain's own envelope. An address literal (HELO [192.0.2.1],
  // MAIL FROM user@[192.0.2.1]) is no domain: it has no SPF record and no DMARC (§2.3).
  const rawSender = opts.from === undefined ? `postmaster@${d}` : opts.from.trim().replace(/^<(.*)>$/, '$1');
  const id = spfIdentity(rawSender, helo);
  const literal = id && isAddressLiteral(id.domain) ? id.domain : undefined;
  const sender = id?.sender ?? '';
  const spfDomain = id && !literal ? normalizeDomain(id.domain) : null;
  if (mode === 'rfc9989' && spfDomain && spfDomain !== d) {
    for (const t of treeWalkTargets(spfDomain)) void resolve(`_dmarc.${t}`, 'TXT').catch(() => {});
  }

  const spfP = runSpf(d, resolve, ip, rawSender, helo && !isAddressLiteral(helo) ? helo : undefined).catch((e: unknown) => crashed('spf', d, e));
  const alignP = ip && spfDomain && id
    ? spfForAlignment(spfP, d, { domain: spfDomain, sender: id.sender }, ip, helo, resolve)
    : Promise.resolve(undefined);
  const spfIds = alignP.then((a) => (a && spfDomain ? [{ domain: spfDomain, result: a.result }] : []));
  // Does the domain exist at all? An authoritative NXDOMAIN is a fact about the input (exit 6
  // in every command), not a DNS failure; asked beside the checks, through the same cache.
  const existsP = resolve(d, 'A').then(() => true, (e: unknown) => (isDnsError(e) ? (e.dnsCode === 'ENOTFOUND' ? false : e.dnsCode === 'ENODATA' ? true : null) : null));
  const [spf, dkim, dmarc, rdns, align] = await Promise.all([
    spfP,
    checkDkim(d, { resolve, selectors: opts.selectors }).catch((e: unknown) => { if (e instanceof UsageError) throw e; return crashed('dkim', d, e); }),
    checkDmarc(d, { resolve, mode, spf: spfIds, evaluate: Boolean(ip) }).catch((e: unknown) => crashed('dmarc', d, e)),
    ip ? checkRdns(ip, { resolve, helo }).catch((e: unknown) => crashed('rdns', ip, e)) : Promise.resolve(undefined),
    alignP,
  ]);
  if (align?.reason && align.result === 'temperror') {
    dmarc.findings.push({ level: 'warn', code: 'dmarc.spf-undecided', message: say('auth.spf-undecided', { reasonMsg: align.reason ?? '' }) });
  }
  if (helo && isAddressLiteral(helo) && !literal) {
    spf.findings.push({ level: 'info', code: 'spf.helo-literal', message: say('auth.helo-literal', { helo }) });
  }
  if (literal) {
    const why = say('auth.address-literal', { literal });
    spf.findings.push({ level: 'info', code: 'spf.address-literal', message: why, fix: say('auth.address-literal.fix') });
    dmarc.findings.push({ level: 'info', code: 'dmarc.address-literal', message: say('auth.dmarc-literal', { literal, domain: d }) });
  }
  const checks: CheckSummary[] = [spf, dkim, dmarc, ...(rdns ? [rdns] : [])];
  const sf = spfFacts(spf);
  const dk = dkim.details as Partial<DkimDetails>;
  const dm = dmarc.details as Partial<DmarcDetails>;
  const disc = dm.discovery;
  const rec = disc?.record;
  const rd = rdns?.details as Partial<RdnsDetails> | undefined;

  const result: AuthResult = {
    schemaVersion: 1,
    domain: d,
    ...(ip ? { ip } : {}),
    ...(opts.from !== undefined ? { from: rawSender === '' ? null : rawSender } : {}),
    ...(helo ? { helo } : {}),
    spf: {
      result: (spf.result as SpfResult | null),
      recordStatus: (spf.details as Partial<SpfReportDetails>).recordStatus ?? (spf.result === 'temperror' ? 'temperror' : spf.result === 'permerror' ? 'permerror' : 'none'),
      status: spf.status,
      summary: spf.summary,
      explanation: sf.explanation,
      record: sf.record,
      sender: sender === '' ? null : sender,
      domain: spfDomain,
      findings: spf.findings,
    },
    dkim: (dk.selectors ?? [])
      .filter((s) => s.status !== 'not-found' || s.requested)
      .map((s) => ({ selector: s.selector, status: s.status, keyType: s.keyType, keyBits: s.keyBits, requested: s.requested, record: s.record ?? null, findings: s.findings })),
    dmarc: {
      mode,
      status: dmarc.status,
      result: dmarc.result ?? 'none',
      summary: dmarc.summary,
      // A broken record the receivers discarded is still the owner's record: show its text.
      record: rec?.raw ?? disc?.malformed?.[0]?.text ?? null,
      recordDomain: disc?.recordDomain ?? disc?.malformed?.[0]?.name.replace(/^_dmarc\./, '') ?? null,
      inherited: disc?.inherited ?? false,
      policy: disc?.policy ?? null,
      effectivePolicy: disc?.effectivePolicy ?? null,
      subdomainPolicy: disc?.subdomainPolicy ?? null,
      orgDomain: disc?.orgDomain ?? d,
      orgDomainPsl: disc?.orgDomainPsl ?? d,
      orgDomainTreeWalk: disc?.orgDomainTreeWalk ?? null,
      adkim: rec?.adkim ?? null,
      aspf: rec?.aspf ?? null,
      pct: rec?.pct ?? null,
      testing: rec?.t === true,
      rua: rec?.rua ?? [],
      ruf: rec?.ruf ?? [],
      alignment: dm.evaluation?.alignment ?? null,
      brokenRecords: brokenOf(dmarc).map((b) => ({ name: b.name, record: b.text, problems: b.problems, discarded: b.discarded })),
      findings: dmarc.findings,
    },
    checks,
    verdict: (await existsP) === false
      ? { status: 'no-such-domain', problems: [], line: say('auth.nxdomain', { domain: d }) }
      : authVerdict(d, checks),
  };
  if (rdns) {
    result.rdns = {
      status: rdns.status,
      result: rdns.result ?? 'none',
      summary: rdns.summary,
      ptr: rd?.ptr ?? [],
      fcrdns: rd?.fcrdns ?? false,
      confirmedNames: rd?.confirmedNames ?? [],
      generic: rd?.generic ?? [],
      helo: rd?.helo ?? null,
      findings: rdns.findings,
    };
  }
  return result;
}
