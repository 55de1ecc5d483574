// DMARC (RFC 7489, and RFC 9989 which obsoletes it): record parsing and tag validation,
// policy discovery (PSL mode = RFC 7489 §6.6.3; tree-walk mode = RFC 9989 §4.10), the
// policy that applies to the queried domain, the external report-destination check, and
// alignment + the DMARC result for given SPF/DKIM-authenticated domains. Returns plain
// data; never prints, never reads process.*; all DNS comes in as Resolve.
import { identify, say } from '../catalog/messages.js';
import { isDnsError, withQueryLog, type DnsErrorCode, type DnsQueryLog, type Resolve } from '../dns/resolver.js';
import { UsageError } from '../errors.js';
import { isValidDomainName, parseTagList } from './dkim.js';
import { decideTreeWalk, normalizeDomain, orgDomainPsl, treeWalkTargets, type WalkAnswer } from './org-domain.js';
import type { CheckStatus, CheckSummary, Finding } from './types.js';

/**
 * 'rfc9989' (default): DNS Tree Walk for policy and organizational domain, np, psd, t; pct,
 * ri and rf are historic. 'rfc7489': Public Suffix List organizational domain, pct, ri, rf;
 * np, psd and t are unknown tags. Receivers still differ, so the report says where it matters.
 */
export type DmarcMode = 'rfc9989' | 'rfc7489';
export type DmarcPolicy = 'none' | 'quarantine' | 'reject';
export type Alignment = 'r' | 's';

// RFC 7489 §6.6.3 / RFC 9989 §4.7 (v): a record starts with v=DMARC1, case-sensitive,
// *WSP allowed around "=", and the value ends at ";" or the end (v=DMARC1x is not one).
const DMARC_VERSION_RE = /^\s*v\s*=\s*DMARC1\s*(?:;|$)/;

export function isDmarcRecord(txt: string): boolean {
  return DMARC_VERSION_RE.test(txt);
}

/**
 * A TXT record written as DMARC that receivers discard because its version tag is wrong
 * ("v=DMARC1 p=reject" without ";", "V=DMARC1", "v=dmarc1", "v=DMARC2", "p=reject; v=DMARC1",
 * or DMARC tags with no v= at all). Receivers treat the name as having no record
 * (RFC 7489 §6.6.3 step 3), but the owner meant one: reporting "no record" would lead them
 * to publish a second.
 */
export function looksLikeDmarc(txt: string): boolean {
  if (isDmarcRecord(txt)) return false;
  return /(^|;)\s*v\s*=\s*dmarc/i.test(txt) || /(^|;)\s*p\s*=\s*[A-Za-z]+\s*(;|$)/.test(txt) && /(^|;)\s*(rua|ruf|sp|adkim|aspf|pct|fo|np)\s*=/.test(txt);
}

/** Why a record that looksLikeDmarc() is not one: the exact fault in its version tag. */
export function versionProblem(txt: string): string {
  const m = /^\s*([A-Za-z]+)\s*=\s*([^;]*)/.exec(txt);
  if (!m || m[1]!.toLowerCase() !== 'v') {
    return /(^|;)\s*v\s*=/i.test(txt)
      ? say('dmarc.v-not-first')
      : say('dmarc.no-v');
  }
  const value = m[2]!.trim();
  if (m[1] !== 'v') return say('dmarc.v-case', { tag: m[1] ?? '' });
  const run = /^(DMARC1)([\s,:]+)\S/i.exec(value);
  if (run) return say('dmarc.v-no-semicolon', { v: run[1] ?? '', value });
  if (/^dmarc1$/i.test(value)) return say('dmarc.v-upper', { value });
  if (/^dmarc\d*$/i.test(value)) return say('dmarc.v-unknown', { value });
  return say('dmarc.v-wrong', { value });
}

/** The record as the owner meant it: the version tag repaired, for reading the other tags. */
function repairedVersion(txt: string): string {
  const rest = txt.replace(/^\s*v\s*=\s*dmarc\d*[\s,:]*/i, '').replace(/(^|;)\s*v\s*=\s*dmarc\d*\s*(?=;|$)/i, '$1');
  return `v=DMARC1; ${rest.replace(/^\s*;/, '')}`;
}

/** A record that looks like DMARC but is broken: its text, where it is, and every problem. */
export interface BrokenDmarcRecord {
  /** The _dmarc name it was found at. */
  name: string;
  text: string;
  /** The version fault (for a record receivers discard) and the tag faults. */
  problems: string[];
  /** Receivers discard the record altogether (its version tag is wrong). */
  discarded: boolean;
}

/** The catalog's short name of a fault (for problems whose key has one), else its first clause. */
const SHORT_FAULT: Record<string, string> = {
  'dmarc.syntax': 'dmarc.syntax.short', 'dmarc.bad-sp': 'dmarc.bad-sp.short', 'dmarc.bad-sp-7489': 'dmarc.bad-sp.short',
  'dmarc.bad-np': 'dmarc.bad-np.short', 'dmarc.bad-alignment': 'dmarc.bad-alignment.short', 'dmarc.bad-pct-9989': 'dmarc.bad-pct.short',
  'dmarc.bad-pct-7489': 'dmarc.bad-pct.short', 'dmarc.bad-t': 'dmarc.bad-t.short', 'dmarc.bad-psd': 'dmarc.bad-psd.short',
  'dmarc.v-not-first': 'dmarc.v-not-first.short', 'dmarc.no-v': 'dmarc.no-v.short', 'dmarc.v-case': 'dmarc.v-case.short',
  'dmarc.v-no-semicolon': 'dmarc.v-no-semicolon.short', 'dmarc.v-upper': 'dmarc.v-upper.short', 'dmarc.v-unknown': 'dmarc.v-unknown.short',
  'dmarc.v-wrong': 'dmarc.v-wrong.short', 'dmarc.p-missing': 'dmarc.p-missing.short', 'dmarc.p-empty': 'dmarc.p-empty.short', 'dmarc.p-bad': 'dmarc.p-bad.short',
};

function shortFault(problem: string): string {
  // Problems are findings without their final period, or version faults as they are.
  for (const text of [problem, `${problem}.`]) {
    const m = identify(text);
    const key = m ? SHORT_FAULT[m.key] : undefined;
    if (m && key) return say(key, m.params);
  }
  return problem.split(/: |; |, so | \(/)[0] ?? problem;
}

/** The problems of a record receivers read: its error-level findings. */
function recordProblems(rec: DmarcRecord): string[] {
  return rec.findings.filter((f) => f.level === 'error' && f.code !== 'dmarc.unusable').map((f) => f.message.replace(/\.$/, ''));
}

export function diagnoseMalformed(name: string, txt: string, domain: string, mode: DmarcMode): BrokenDmarcRecord {
  const rec = parseDmarcRecord(repairedVersion(txt), domain, mode);
  return { name, text: txt, problems: [versionProblem(txt), ...recordProblems(rec)], discarded: true };
}

export interface ReportUri {
  uri: string;
  valid: boolean;
  scheme?: string;
  address?: string;
  domain?: string;
  /** The "!size" suffix (RFC 7489 §6.2); RFC 9989 receivers ignore it. */
  size?: string;
  /** The destination's organizational domain differs from the record's (RFC 7489 §7.1). */
  external?: boolean;
  /** External destinations only: true when <domain>._report._dmarc.<dest> says v=DMARC1; null when unknown. */
  authorized?: boolean | null;
  authorizationName?: string;
}

export interface DmarcRecord {
  raw: string;
  /** The domain that published the record (the _dmarc name without the prefix). */
  domain: string;
  tags: Record<string, string>;
  p?: DmarcPolicy;
  sp?: DmarcPolicy;
  np?: DmarcPolicy;
  adkim: Alignment;
  aspf: Alignment;
  /** RFC 7489 only (historic in RFC 9989 §A.6). */
  pct?: number;
  /** RFC 9989 t=y: testing, receivers apply the next lower policy. */
  t?: boolean;
  psd?: 'y' | 'n' | 'u';
  rua: ReportUri[];
  ruf: ReportUri[];
  fo?: string[];
  ri?: number;
  rf?: string[];
  /** The policy receivers act on: p, or none when p is missing or invalid but rua is valid. */
  policy?: DmarcPolicy;
  /** False when there is neither a valid p nor a valid rua: receivers apply no DMARC at all. */
  usable: boolean;
  findings: Finding[];
}

const POLICIES: readonly DmarcPolicy[] = ['none', 'quarantine', 'reject'];
const asPolicy = (v: string | undefined): DmarcPolicy | undefined => {
  const x = v?.trim().toLowerCase();
  return POLICIES.includes(x as DmarcPolicy) ? (x as DmarcPolicy) : undefined;
};
const KNOWN_TAGS: Record<DmarcMode, readonly string[]> = {
  rfc9989: ['v', 'p', 'sp', 'np', 'psd', 't', 'adkim', 'aspf', 'rua', 'ruf', 'fo'],
  rfc7489: ['v', 'p', 'sp', 'pct', 'adkim', 'aspf', 'rua', 'ruf', 'fo', 'rf', 'ri'],
};

function parseUris(tag: 'rua' | 'ruf', value: string, mode: DmarcMode, findings: Finding[]): ReportUri[] {
  const out: ReportUri[] = [];
  for (const raw of value.split(',')) {
    const uri = raw.trim();
    if (uri === '') continue;
    const r: ReportUri = { uri, valid: false };
    out.push(r);
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/.exec(uri);
    if (!m) {
      findings.push({ level: 'error', code: `dmarc.bad-${tag}`, message: say('dmarc.uri-bad', { tag, uri }), fix: say('dmarc.uri-fix', { tag }) });
      continue;
    }
    r.scheme = m[1]!.toLowerCase();
    let rest = m[2]!;
    // dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ] (RFC 7489 §6.4)
    const size = /!(\d+[kmgtKMGT]?)$/.exec(rest);
    if (size) {
      r.size = size[1];
      rest = rest.slice(0, size.index);
      if (mode === 'rfc9989') findings.push({ level: 'info', code: 'dmarc.uri-size', message: say('dmarc.uri-size', { tag, size: size[1] }) });
    }
    if (r.scheme !== 'mailto') {
      findings.push({ level: 'warn', code: `dmarc.${tag}-not-mailto`, message: say('dmarc.uri-not-mailto', { tag, uri }), fix: say('dmarc.uri-fix', { tag }) });
      continue;
    }
    let addr = rest;
    try { addr = decodeURIComponent(rest); } catch { /* keep it as written */ }
    const am = /^([^@\s]+)@([A-Za-z0-9._-]+)$/.exec(addr);
    if (!am || !isValidDomainName(am[2]!)) {
      findings.push({ level: 'error', code: `dmarc.bad-${tag}`, message: say('dmarc.uri-bad-mailto', { tag, uri }), fix: say('dmarc.uri-fix', { tag }) });
      continue;
    }
    r.valid = true;
    r.address = addr;
    r.domain = normalizeDomain(am[2]!);
  }
  return out;
}

/** Parses and validates a DMARC record's tags (RFC 7489 §6.3, RFC 9989 §4.7). Never throws. */
export function parseDmarcRecord(raw: string, domain: string, mode: DmarcMode = 'rfc9989'): DmarcRecord {
  const findings: Finding[] = [];
  const list = parseTagList(raw);
  const tags: Record<string, string> = {};
  for (const t of list.tags) tags[t.name] = t.value;
  const rec: DmarcRecord = { raw, domain: normalizeDomain(domain), tags, adkim: 'r', aspf: 'r', rua: [], ruf: [], usable: true, findings };
  for (const e of list.errors) findings.push({ level: 'error', code: 'dmarc.syntax', message: say('dmarc.syntax', { errorMsg: e }), fix: say('dmarc.syntax.fix') });

  // Tag names are case-sensitive; literal values (p=Reject, adkim=S) are not (RFC 9989 §4.7).
  if (tags.p === undefined) {
    findings.push({ level: 'error', code: 'dmarc.no-p', message: say('dmarc.p-missing'), fix: say('dmarc.p-missing.fix') });
  } else if (!(rec.p = asPolicy(tags.p))) {
    findings.push({ level: 'error', code: 'dmarc.bad-p', message: tags.p.trim() === '' ? say('dmarc.p-empty') : say('dmarc.p-bad', { p: tags.p }), fix: say('dmarc.p-bad.fix') });
  }
  if (list.tags[1] && list.tags[1].name !== 'p' && rec.p) {
    findings.push({ level: 'info', code: 'dmarc.p-not-second', message: say('dmarc.p-not-second'), fix: say('dmarc.p-not-second.fix') });
  }
  if (tags.sp !== undefined && !(rec.sp = asPolicy(tags.sp))) {
    findings.push({ level: 'error', code: 'dmarc.bad-sp', message: say(mode === 'rfc7489' ? 'dmarc.bad-sp-7489' : 'dmarc.bad-sp', { sp: tags.sp }), fix: say('dmarc.bad-sp.fix') });
  }
  if (tags.np !== undefined) {
    if (mode === 'rfc7489') findings.push({ level: 'info', code: 'dmarc.np-7489', message: say('dmarc.np-7489') });
    if (!(rec.np = asPolicy(tags.np))) findings.push({ level: 'error', code: 'dmarc.bad-np', message: say('dmarc.bad-np', { np: tags.np }), fix: say('dmarc.bad-np.fix') });
    if (mode === 'rfc7489') delete rec.np;
  }
  for (const name of ['adkim', 'aspf'] as const) {
    const v = tags[name];
    if (v === undefined) continue;
    const x = v.trim().toLowerCase();
    if (x === 'r' || x === 's') rec[name] = x;
    else findings.push({ level: 'error', code: `dmarc.bad-${name}`, message: say('dmarc.bad-alignment', { name, value: v }), fix: say('dmarc.bad-alignment.fix', { name }) });
  }
  if (tags.pct !== undefined) {
    const n = /^\d{1,3}$/.test(tags.pct.trim()) ? Number(tags.pct) : NaN;
    if (!(n >= 0 && n <= 100)) {
      findings.push({ level: 'error', code: 'dmarc.bad-pct', message: say(mode === 'rfc9989' ? 'dmarc.bad-pct-9989' : 'dmarc.bad-pct-7489', { pct: tags.pct }), fix: say('dmarc.bad-pct.fix') });
    } else if (mode === 'rfc9989') {
      findings.push({ level: 'info', code: 'dmarc.pct-historic', message: say(n < 100 ? 'dmarc.pct-historic-share' : 'dmarc.pct-historic', { pct: tags.pct }), fix: say(n < 100 ? 'dmarc.pct-historic.fix-testing' : 'dmarc.pct-historic.fix') });
    } else {
      rec.pct = n;
      if (n < 100) findings.push({ level: 'warn', code: 'dmarc.pct', message: say('dmarc.pct', { n }), fix: say('dmarc.pct.fix') });
    }
  }
  if (tags.t !== undefined) {
    const x = tags.t.trim().toLowerCase();
    if (mode === 'rfc9989') {
      if (x === 'y') {
        rec.t = true;
        findings.push({ level: 'warn', code: 'dmarc.testing', message: say('dmarc.testing'), fix: say('dmarc.testing.fix') });
      } else if (x === 'n') rec.t = false;
      else findings.push({ level: 'error', code: 'dmarc.bad-t', message: say('dmarc.bad-t', { t: tags.t }) });
    }
  }
  if (tags.psd !== undefined && mode === 'rfc9989') {
    const x = tags.psd.trim().toLowerCase();
    if (x === 'y' || x === 'n' || x === 'u') rec.psd = x;
    else findings.push({ level: 'error', code: 'dmarc.bad-psd', message: say('dmarc.bad-psd', { psd: tags.psd }) });
  }
  if (tags.rua !== undefined) rec.rua = parseUris('rua', tags.rua, mode, findings);
  if (tags.ruf !== undefined) rec.ruf = parseUris('ruf', tags.ruf, mode, findings);
  if (tags.fo !== undefined) {
    rec.fo = tags.fo.split(':').map((x) => x.trim().toLowerCase());
    const badFo = rec.fo.filter((x) => !['0', '1', 'd', 's'].includes(x));
    if (badFo.length > 0) findings.push({ level: 'error', code: 'dmarc.bad-fo', message: say(badFo.length > 1 ? 'dmarc.bad-fo-many' : 'dmarc.bad-fo-one', { fo: tags.fo, bad: badFo.join(', ') }) });
    if (rec.ruf.length === 0) findings.push({ level: 'info', code: 'dmarc.fo-without-ruf', message: say('dmarc.fo-without-ruf') });
  }
  if (tags.ri !== undefined) {
    if (mode === 'rfc9989') findings.push({ level: 'info', code: 'dmarc.ri-historic', message: say('dmarc.ri-historic') });
    else if (/^\d+$/.test(tags.ri.trim())) rec.ri = Number(tags.ri);
    else findings.push({ level: 'error', code: 'dmarc.bad-ri', message: say('dmarc.bad-ri', { ri: tags.ri }) });
  }
  if (tags.rf !== undefined) {
    if (mode === 'rfc9989') findings.push({ level: 'info', code: 'dmarc.rf-historic', message: say('dmarc.rf-historic') });
    else {
      rec.rf = tags.rf.split(':').map((x) => x.trim().toLowerCase());
      if (rec.rf.some((x) => x !== 'afrf')) findings.push({ level: 'error', code: 'dmarc.bad-rf', message: say('dmarc.bad-rf', { rf: tags.rf }) });
    }
  }
  // Unknown tags MUST be ignored (RFC 7489 §6.3, RFC 9989 §4.7).
  for (const name of Object.keys(tags)) {
    if (KNOWN_TAGS[mode].includes(name) || (mode === 'rfc7489' && (name === 'np' || name === 't' || name === 'psd'))) continue;
    if (mode === 'rfc9989' && ['pct', 'ri', 'rf'].includes(name)) continue;
    findings.push({ level: 'warn', code: 'dmarc.unknown-tag', message: say(/^[A-Z]/.test(name) ? 'dmarc.unknown-tag-case' : 'dmarc.unknown-tag', { name }) });
  }
  if (mode === 'rfc7489' && (tags.t !== undefined || tags.psd !== undefined)) {
    findings.push({ level: 'info', code: 'dmarc.9989-tags', message: tags.t !== undefined && tags.psd !== undefined ? say('dmarc.9989-tags') : say('dmarc.9989-tag', { tag: tags.t !== undefined ? 't' : 'psd' }) });
  }

  // RFC 7489 §6.6.3 step 6 / RFC 9989 §4.7: without a valid p, a record whose rua holds a
  // valid URI is treated as p=none; otherwise receivers apply no DMARC processing.
  if (rec.p) rec.policy = rec.p;
  else if (rec.rua.some((u) => u.valid)) {
    rec.policy = 'none';
    findings.push({ level: 'warn', code: 'dmarc.p-fallback', message: say('dmarc.p-fallback') });
  } else {
    rec.usable = false;
    findings.push({ level: 'error', code: 'dmarc.unusable', message: say('dmarc.unusable'), fix: say('dmarc.unusable.fix') });
  }
  return rec;
}

// ---------------------------------------------------------------------------------------
// Discovery

export interface DmarcLookup {
  /** The domain whose _dmarc name was asked. */
  target: string;
  name: string;
  outcome: 'record' | 'none' | 'multiple' | 'error';
  /** The TXT records that start with v=DMARC1. */
  records: string[];
  /** TXT records there that are not DMARC records (discarded, RFC 7489 §6.6.3 step 2). */
  otherTxt: number;
  /** Of those, the ones written as DMARC records but discarded for a wrong version tag. */
  malformed?: string[];
  error?: DnsErrorCode;
  message?: string;
}

export type DmarcDiscoveryStatus = 'found' | 'none' | 'multiple' | 'invalid' | 'temperror';

export interface DmarcDiscovery {
  domain: string;
  mode: DmarcMode;
  status: DmarcDiscoveryStatus;
  /** Every _dmarc lookup, in the RFC's order (tree walk or domain + PSL org domain). */
  lookups: DmarcLookup[];
  record?: DmarcRecord;
  recordDomain?: string;
  /** The record was not published at the domain itself but found higher up. */
  inherited: boolean;
  /** The organizational domain by the mode's method. */
  orgDomain: string;
  orgDomainMethod: 'psl' | 'tree-walk';
  orgDomainRule?: string;
  orgDomainPsl: string;
  orgDomainTreeWalk?: string;
  /** RFC 9989 existence test (RFC 8020: NXDOMAIN means the name does not exist); null when unknown. */
  domainExists?: boolean | null;
  /** The policy for mail with this domain in From, as published (p, sp or np). */
  policy?: DmarcPolicy;
  policySource?: 'p' | 'sp' | 'np' | 'rua-fallback';
  /** The policy receivers apply to failing mail: t=y lowers it one step (RFC 9989). */
  effectivePolicy?: DmarcPolicy;
  /** The policy for subdomains of this domain that have no record of their own. */
  subdomainPolicy?: DmarcPolicy;
  error?: string;
  /** Records written as DMARC but discarded by receivers (wrong version tag), at the names
   *  discovery went through up to the one that decided. */
  malformed?: BrokenDmarcRecord[];
}

export interface DmarcOptions {
  resolve: Resolve;
  mode?: DmarcMode;
}

/** One _dmarc.<target> TXT lookup, classified. */
export async function lookupDmarc(resolve: Resolve, target: string): Promise<DmarcLookup> {
  const name = `_dmarc.${target}`;
  try {
    const txt = await resolve(name, 'TXT');
    const records = txt.filter(isDmarcRecord);
    const malformed = txt.filter(looksLikeDmarc);
    return { target, name, outcome: records.length === 0 ? 'none' : records.length > 1 ? 'multiple' : 'record', records, otherTxt: txt.length - records.length, ...(malformed.length > 0 ? { malformed } : {}) };
  } catch (e) {
    if (isDnsError(e) && (e.dnsCode === 'ENOTFOUND' || e.dnsCode === 'ENODATA')) return { target, name, outcome: 'none', records: [], otherTxt: 0 };
    return { target, name, outcome: 'error', records: [], otherTxt: 0, error: isDnsError(e) ? e.dnsCode : 'EBADRESP', message: (e as Error).message };
  }
}

function walkAnswer(l: DmarcLookup): WalkAnswer {
  switch (l.outcome) {
    case 'record': {
      const psd = parseTagList(l.records[0]!).tags.find((t) => t.name === 'psd')?.value.trim().toLowerCase();
      return { kind: 'record', psd: psd === 'y' || psd === 'n' || psd === 'u' ? psd : undefined };
    }
    case 'none': return { kind: 'none' };
    case 'multiple': return { kind: 'multiple' };
    case 'error': return { kind: 'error', code: l.error ?? 'EBADRESP' };
  }
}

const lower = (p: DmarcPolicy): DmarcPolicy => (p === 'reject' ? 'quarantine' : 'none');

/** A memo of _dmarc lookups for one evaluation (org domains of several identifiers share names). */
type LookupMemo = Map<string, Promise<DmarcLookup>>;
function memoLookup(resolve: Resolve, memo: LookupMemo, target: string): Promise<DmarcLookup> {
  let p = memo.get(target);
  if (!p) { p = lookupDmarc(resolve, target); memo.set(target, p); }
  return p;
}

async function domainExists(resolve: Resolve, domain: string): Promise<boolean | null> {
  try {
    await resolve(domain, 'A');
    return true;
  } catch (e) {
    if (!isDnsError(e)) return null;
    if (e.dnsCode === 'ENOTFOUND') return false;
    return e.dnsCode === 'ENODATA' ? true : null;
  }
}

/**
 * Policy discovery for mail whose From domain is `domain`. All names are asked at once.
 * - rfc7489 (§6.6.3): _dmarc.<domain>, then _dmarc.<PSL org domain> if the first has none.
 * - rfc9989 (§4.10): the tree walk; the first name with exactly one record is the policy
 *   record; the organizational domain follows §4.10.2 (psd=n, psd=y, fewest labels).
 * Both: several DMARC records at one name end discovery without a policy (rfc7489 step 5;
 * for RFC 9989 we do the same at the first such name rather than skip it, so a broken
 * record set never silently hands a subdomain a weaker parent policy).
 */
export async function discoverDmarc(domain: string, opts: DmarcOptions, memo: LookupMemo = new Map()): Promise<DmarcDiscovery> {
  const d = normalizeDomain(domain);
  if (!isValidDomainName(d)) throw new UsageError(`"${domain}" is not a domain name`);
  const mode = opts.mode ?? 'rfc9989';
  const psl = orgDomainPsl(d);
  const targets = mode === 'rfc9989' ? treeWalkTargets(d) : [...new Set([d, psl])];
  const [lookups, exists] = await Promise.all([
    Promise.all(targets.map((t) => memoLookup(opts.resolve, memo, t))),
    mode === 'rfc9989' ? domainExists(opts.resolve, d) : Promise.resolve(undefined),
  ]);
  const out: DmarcDiscovery = { domain: d, mode, status: 'none', lookups, inherited: false, orgDomain: psl, orgDomainMethod: 'psl', orgDomainPsl: psl };
  if (mode === 'rfc9989') {
    const walk = decideTreeWalk(d, lookups.map((l) => ({ target: l.target, answer: walkAnswer(l) })));
    out.orgDomain = walk.orgDomain;
    out.orgDomainMethod = 'tree-walk';
    out.orgDomainRule = walk.rule;
    out.orgDomainTreeWalk = walk.orgDomain;
    out.domainExists = exists ?? null;
  }
  for (const l of lookups) {
    for (const txt of l.malformed ?? []) (out.malformed ??= []).push(diagnoseMalformed(l.name, txt, l.target, mode));
    if (l.outcome === 'none') continue;
    if (l.outcome === 'error') {
      out.status = 'temperror';
      out.error = l.message;
      return out;
    }
    if (l.outcome === 'multiple') {
      out.status = 'multiple';
      out.recordDomain = l.target;
      return out;
    }
    const rec = parseDmarcRecord(l.records[0]!, l.target, mode);
    out.record = rec;
    out.recordDomain = l.target;
    out.inherited = l.target !== d;
    if (!rec.usable) {
      out.status = 'invalid';
      return out;
    }
    out.status = 'found';
    break;
  }
  const rec = out.record;
  if (!rec || out.status !== 'found') return out;
  // The policy for this domain (RFC 7489 §6.6.3 / RFC 9989 §4.7, §4.10.1): the record's own
  // domain gets p; a subdomain without its own record gets np if it does not exist
  // (RFC 9989), else sp, else p.
  if (!rec.p) {
    out.policy = 'none';
    out.policySource = 'rua-fallback';
  } else if (!out.inherited) {
    out.policy = rec.p;
    out.policySource = 'p';
  } else if (mode === 'rfc9989' && rec.np && out.domainExists === false) {
    out.policy = rec.np;
    out.policySource = 'np';
  } else if (rec.sp) {
    out.policy = rec.sp;
    out.policySource = 'sp';
  } else {
    out.policy = rec.p;
    out.policySource = 'p';
  }
  out.effectivePolicy = mode === 'rfc9989' && rec.t ? lower(out.policy) : out.policy;
  out.subdomainPolicy = rec.p ? (out.inherited ? out.policy : rec.sp ?? rec.p) : 'none';
  return out;
}

// ---------------------------------------------------------------------------------------
// Alignment and the DMARC result

export interface AuthenticatedDomain {
  domain: string;
  /** The SPF or DKIM result for this domain; only 'pass' can align. Default 'pass'. */
  result?: string;
}

export interface AlignmentCandidate { domain: string; result: string; orgDomain: string; aligned: boolean }

export interface AlignmentCheck {
  mode: 'relaxed' | 'strict';
  strict: boolean;
  aligned: boolean;
  /** The authenticated domain that aligned. */
  domain?: string;
  /** Its organizational domain. */
  orgDomain?: string;
  candidates: AlignmentCandidate[];
}

export type DmarcResultWord = 'pass' | 'fail' | 'none' | 'temperror' | 'permerror';

export interface DmarcEvaluation {
  result: DmarcResultWord;
  /** The RFC5322.From domain (header.from). */
  fromDomain: string;
  /** The domain whose record applied (header.d in mailauth's words). */
  policyDomain?: string;
  /** What a receiver applies to this message if it fails (t=y already applied). */
  policy?: DmarcPolicy;
  /** RFC 7489 mode: the share of failing mail the policy applies to. */
  pct?: number;
  alignment: { spf: AlignmentCheck; dkim: AlignmentCheck };
  /** One line in Authentication-Results style (RFC 8601 §2.7.1 words). */
  authResults: string;
}

/** The domain of an address; an address without "@" is taken as a domain. */
export function domainOfAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return normalizeDomain((at >= 0 ? address.slice(at + 1) : address).replace(/>$/, ''));
}

async function orgDomainOf(domain: string, mode: DmarcMode, resolve: Resolve, memo: LookupMemo): Promise<string> {
  const d = normalizeDomain(domain);
  if (mode === 'rfc7489') return orgDomainPsl(d);
  const targets = treeWalkTargets(d);
  const lookups = await Promise.all(targets.map((t) => memoLookup(resolve, memo, t)));
  return decideTreeWalk(d, lookups.map((l) => ({ target: l.target, answer: walkAnswer(l) }))).orgDomain;
}

async function align(fromDomain: string, fromOrg: string, mode: Alignment, ids: readonly AuthenticatedDomain[], dmarcMode: DmarcMode, resolve: Resolve, memo: LookupMemo): Promise<AlignmentCheck> {
  const strict = mode === 's';
  const candidates = await Promise.all(ids.map(async (id): Promise<AlignmentCandidate> => {
    const domain = normalizeDomain(id.domain);
    const result = (id.result ?? 'pass').toLowerCase();
    const orgDomain = await orgDomainOf(domain, dmarcMode, resolve, memo);
    // RFC 7489 §3.1.1/§3.1.2: strict = identical domains; relaxed = same organizational domain.
    const same = strict ? domain === fromDomain : orgDomain === fromOrg;
    return { domain, result, orgDomain, aligned: result === 'pass' && same };
  }));
  const hit = candidates.find((c) => c.aligned);
  return { mode: strict ? 'strict' : 'relaxed', strict, aligned: Boolean(hit), ...(hit ? { domain: hit.domain, orgDomain: hit.orgDomain } : {}), candidates };
}

/**
 * The DMARC result for a message From `discovery.domain` authenticated by the given SPF
 * and DKIM domains: pass when one passing identifier aligns (RFC 7489 §4.2; pct never
 * changes pass/fail, RFC 9989 §A.6).
 */
export async function evaluateDmarc(
  discovery: DmarcDiscovery,
  ids: { spf?: readonly AuthenticatedDomain[]; dkim?: readonly AuthenticatedDomain[] },
  opts: DmarcOptions,
  memo: LookupMemo = new Map(),
): Promise<DmarcEvaluation> {
  const mode = discovery.mode;
  for (const l of discovery.lookups) if (!memo.has(l.target)) memo.set(l.target, Promise.resolve(l));
  const rec = discovery.record;
  const from = discovery.domain;
  const [spf, dkim] = await Promise.all([
    align(from, discovery.orgDomain, rec?.aspf ?? 'r', ids.spf ?? [], mode, opts.resolve, memo),
    align(from, discovery.orgDomain, rec?.adkim ?? 'r', ids.dkim ?? [], mode, opts.resolve, memo),
  ]);
  let result: DmarcResultWord;
  switch (discovery.status) {
    case 'found': result = spf.aligned || dkim.aligned ? 'pass' : 'fail'; break;
    case 'temperror': result = 'temperror'; break;
    default: result = 'none'; // no record, several records, or an unusable one: no DMARC processing
  }
  const ev: DmarcEvaluation = { result, fromDomain: from, alignment: { spf, dkim }, authResults: '' };
  if (discovery.status === 'found') {
    ev.policyDomain = discovery.recordDomain;
    ev.policy = discovery.effectivePolicy;
    if (mode === 'rfc7489') ev.pct = rec?.pct ?? 100;
  }
  const props = discovery.status === 'found' && rec
    ? ` (p=${(rec.policy ?? 'none').toUpperCase()} sp=${(rec.sp ?? rec.policy ?? 'none').toUpperCase()} dis=${(result === 'pass' ? 'none' : ev.policy ?? 'none').toUpperCase()})`
    : '';
  ev.authResults = `dmarc=${result}${props} header.from=${from}`;
  return ev;
}

/** Discovery + evaluation in one call: what a receiver does for one message. */
export async function verifyDmarc(
  input: { from: string; spf?: readonly AuthenticatedDomain[]; dkim?: readonly AuthenticatedDomain[] },
  opts: DmarcOptions,
): Promise<{ discovery: DmarcDiscovery; evaluation: DmarcEvaluation }> {
  const memo: LookupMemo = new Map();
  const discovery = await discoverDmarc(domainOfAddress(input.from), opts, memo);
  const evaluation = await evaluateDmarc(discovery, input, opts, memo);
  return { discovery, evaluation };
}

// ---------------------------------------------------------------------------------------
// Report destinations (RFC 7489 §7.1, kept by DMARCbis: external destinations must consent)

/**
 * For each rua/ruf mailto: address whose organizational domain differs from the record's,
 * asks <record-domain>._report._dmarc.<destination> for a TXT record starting with v=DMARC1.
 * Without it, receivers do not send reports there. Org domains here use the PSL in both
 * modes (the destination's own DMARC setup says nothing about whom it accepts reports for).
 */
export async function checkReportDestinations(rec: DmarcRecord, resolve: Resolve): Promise<void> {
  const own = orgDomainPsl(rec.domain);
  await Promise.all([...rec.rua, ...rec.ruf].map(async (u) => {
    if (!u.valid || !u.domain) return;
    u.external = orgDomainPsl(u.domain) !== own;
    if (!u.external) return;
    u.authorizationName = `${rec.domain}._report._dmarc.${u.domain}`;
    try {
      const txt = await resolve(u.authorizationName, 'TXT');
      u.authorized = txt.some(isDmarcRecord);
    } catch (e) {
      u.authorized = isDnsError(e) && (e.dnsCode === 'ENOTFOUND' || e.dnsCode === 'ENODATA') ? false : null;
    }
  }));
}

// ---------------------------------------------------------------------------------------
// The check

export interface DmarcCheckOptions extends DmarcOptions {
  /** Domains SPF checked for the evaluated IP (the MAIL FROM or HELO domain), with their
   *  results. May be a promise: discovery does not wait for it, only alignment does. */
  spf?: readonly AuthenticatedDomain[] | PromiseLike<readonly AuthenticatedDomain[]>;
  /** Domains of passing DKIM signatures (d=); may be a promise too. */
  dkim?: readonly AuthenticatedDomain[] | PromiseLike<readonly AuthenticatedDomain[]>;
  /** Compute alignment and the DMARC result (needs spf and/or dkim). */
  evaluate?: boolean;
}

export interface DmarcDetails {
  domain: string;
  mode: DmarcMode;
  discovery: DmarcDiscovery;
  evaluation?: DmarcEvaluation;
  /** Records written as DMARC that are broken (result permerror). */
  broken?: BrokenDmarcRecord[];
}

/** A corrected version of a broken record: its valid tags kept, p= defaulting to none. */
function suggestRecord(b: BrokenDmarcRecord, orgDomain: string, mode: DmarcMode): string {
  const rec = parseDmarcRecord(b.discarded ? repairedVersion(b.text) : b.text, orgDomain, mode);
  const parts = ['v=DMARC1', `p=${rec.p ?? 'none'}`];
  if (rec.sp) parts.push(`sp=${rec.sp}`);
  if (rec.tags.adkim && rec.adkim === 's') parts.push('adkim=s');
  if (rec.tags.aspf && rec.aspf === 's') parts.push('aspf=s');
  const rua = rec.rua.filter((u) => u.valid).map((u) => u.uri);
  parts.push(`rua=${rua.length > 0 ? rua.join(',') : `mailto:dmarc-reports@${orgDomain}`}`);
  return parts.join('; ');
}

/** Discovery, record validation, report destinations, and (optionally) the DMARC result. */
export async function checkDmarc(domain: string, opts: DmarcCheckOptions): Promise<CheckSummary<DmarcDetails>> {
  const queries: DnsQueryLog[] = [];
  const resolve = withQueryLog(opts.resolve, queries);
  const memo: LookupMemo = new Map();
  const mode = opts.mode ?? 'rfc9989';
  const discovery = await discoverDmarc(domain, { resolve, mode }, memo);
  const d = discovery.domain;
  const rec = discovery.record;
  // The report-destination lookups need only the record: start them before waiting for SPF.
  const destinations = rec && discovery.status === 'found' ? checkReportDestinations(rec, resolve) : Promise.resolve();
  const [spfIds, dkimIds] = await Promise.all([opts.spf, opts.dkim]);
  const evaluation = opts.evaluate ? await evaluateDmarc(discovery, { spf: spfIds, dkim: dkimIds }, { resolve, mode }, memo) : undefined;
  await destinations;
  const findings: Finding[] = [];
  let status: CheckStatus = 'pass';
  let summary: string;
  const starter = `v=DMARC1; p=none; rua=mailto:dmarc-reports@${discovery.orgDomain}`;
  // Records the owner wrote as DMARC that are broken: discarded ones (wrong version tag) and
  // the record receivers read when it has errors. Either way the owner must fix the record in
  // place; "no record" would make them publish a second one (two records void both).
  const broken: BrokenDmarcRecord[] = [...(discovery.malformed ?? [])];
  if (rec && (discovery.status === 'found' || discovery.status === 'invalid')) {
    const problems = recordProblems(rec);
    if (problems.length > 0 || discovery.status === 'invalid') broken.push({ name: `_dmarc.${discovery.recordDomain}`, text: rec.raw, problems: problems.length > 0 ? problems : [say('dmarc.neither-p-nor-rua')], discarded: discovery.status === 'invalid' });
  }
  switch (discovery.status) {
    case 'none':
      status = 'fail';
      summary = discovery.orgDomain !== d ? say('dmarc.none-org', { domain: d, org: discovery.orgDomain }) : say('dmarc.none', { domain: d });
      if (broken.length === 0) findings.push({ level: 'error', code: 'dmarc.no-record', message: say('dmarc.no-record', { summaryMsg: summary, domain: d }), fix: say('dmarc.no-record.fix', { org: discovery.orgDomain, starter }) });
      break;
    case 'multiple': {
      status = 'fail';
      const texts = discovery.lookups.find((l) => l.target === discovery.recordDomain)?.records ?? [];
      summary = texts.length ? say('dmarc.multiple', { n: texts.length, domain: discovery.recordDomain }) : say('dmarc.multiple-some', { domain: discovery.recordDomain });
      findings.push({ level: 'error', code: 'dmarc.multiple-records', message: texts.length > 0 ? say('dmarc.multiple.records', { summaryMsg: summary, records: texts.map((t) => `"${t}"`).join(', ') }) : say('dmarc.multiple.detail', { summaryMsg: summary }), fix: say('dmarc.multiple.fix', { domain: discovery.recordDomain }) });
      break;
    }
    case 'invalid':
      status = 'fail';
      summary = say('dmarc.unusable-record', { domain: discovery.recordDomain });
      break;
    case 'temperror':
      status = 'error';
      summary = say('dmarc.temperror', { errorMsg: (discovery.error ?? say('dmarc.dns-failure')).replace(/\.$/, '') });
      findings.push({ level: 'warn', code: 'dmarc.dns-error', message: summary, fix: say('dmarc.temperror.fix') });
      break;
    case 'found':
      summary = say(`dmarc.policy${discovery.effectivePolicy !== discovery.policy ? '-test' : ''}${discovery.inherited ? '-inherited' : ''}`, { domain: d, policy: discovery.effectivePolicy ?? '', declared: discovery.policy ?? '', from: discovery.recordDomain, source: discovery.policySource ?? '' });
      break;
  }
  if (broken.length > 0 && discovery.status !== 'temperror') {
    status = 'fail';
    const applies = discovery.status === 'found'
      ? say('dmarc.applies-policy', { policy: discovery.effectivePolicy ?? '', domain: discovery.recordDomain })
      : say(discovery.status === 'multiple' ? 'dmarc.applies-none' : 'dmarc.applies-nothing');
    const first = broken[0]!;
    // The summary names each fault in a few words; the finding below has the full text.
    const short = first.problems.map(shortFault);
    summary = say('dmarc.broken', { name: first.name, faultsMsg: `${short.slice(0, 2).join(', ')}${short.length > 2 ? ` (+${short.length - 2})` : ''}` });
    for (const b of broken) {
      const consequence = b.discarded ? say('dmarc.discarded', { appliesMsg: applies }) : say('dmarc.ignored-tags');
      findings.push({
        level: 'error',
        code: b.discarded ? 'dmarc.malformed-record' : 'dmarc.invalid-tags',
        message: `${say('dmarc.holds', { name: b.name, text: b.text, problemsMsg: b.problems.join(' · ') })} ${consequence}`,
        fix: say('dmarc.correct-in-place', { record: suggestRecord(b, discovery.orgDomain, mode) }),
      });
    }
  }
  // The record's own tag errors are summed up in the broken-record finding above.
  if (rec) findings.push(...rec.findings.filter((f) => f.level !== 'error' || f.code === 'dmarc.unusable' || !broken.some((b) => b.text === rec.raw)));
  if (rec && discovery.status === 'found') {
    if (discovery.inherited) {
      findings.push({ level: 'info', code: 'dmarc.inherited', message: say('dmarc.inherited', { domain: d, from: discovery.recordDomain, source: discovery.policySource ?? '', policy: discovery.policy ?? '' }) });
    }
    if (discovery.policySource === 'np') findings.push({ level: 'info', code: 'dmarc.np-applied', message: say('dmarc.np-applied', { domain: d, np: rec.np ?? '' }) });
    if (discovery.policy === 'none') {
      findings.push({ level: 'warn', code: 'dmarc.p-none', message: say('dmarc.p-none'), fix: say('dmarc.p-none.fix') });
    }
    if (rec.rua.filter((u) => u.valid).length === 0) {
      findings.push({ level: 'warn', code: 'dmarc.no-rua', message: say('dmarc.no-rua'), fix: say('dmarc.no-rua.fix', { org: discovery.orgDomain }) });
    }
    for (const u of [...rec.rua, ...rec.ruf]) {
      if (u.external && u.authorized === false) {
        findings.push({ level: 'warn', code: 'dmarc.report-not-authorized', message: say('dmarc.report-not-authorized', { address: u.address ?? '', domain: u.domain ?? '', name: u.authorizationName ?? '', for: rec.domain }), fix: say('dmarc.report-not-authorized.fix', { domain: u.domain ?? '' }) });
      } else if (u.external && u.authorized === null) {
        findings.push({ level: 'info', code: 'dmarc.report-authorization-unknown', message: say('dmarc.report-authorization-unknown', { domain: u.domain ?? '', for: rec.domain }) });
      } else if (u.external && u.authorized) {
        findings.push({ level: 'ok', code: 'dmarc.report-authorized', message: say('dmarc.report-authorized', { domain: u.domain ?? '', for: rec.domain }) });
      }
    }
  }
  if (discovery.mode === 'rfc9989' && discovery.orgDomainTreeWalk && discovery.orgDomainTreeWalk !== discovery.orgDomainPsl) {
    findings.push({ level: 'warn', code: 'dmarc.org-domain-differs', message: say('dmarc.org-domain-differs', { walk: discovery.orgDomainTreeWalk, psl: discovery.orgDomainPsl }), fix: say('dmarc.org-domain-differs.fix') });
  }
  if (evaluation) {
    const spfId = spfIds?.[0];
    if (evaluation.result === 'pass') {
      // The mode is a catalog sentence of its own, so the pass line reads in the language asked for.
      const modeMsg = (mode: 'relaxed' | 'strict'): string => say(`dmarc.mode.${mode}`);
      findings.push({ level: 'ok', code: 'dmarc.pass', message: evaluation.alignment.spf.aligned ? say('dmarc.pass-spf', { auth: evaluation.alignment.spf.domain ?? '', domain: d, modeMsg: modeMsg(evaluation.alignment.spf.mode) }) : say('dmarc.pass-dkim', { auth: evaluation.alignment.dkim.domain ?? '', domain: d, modeMsg: modeMsg(evaluation.alignment.dkim.mode) }) });
    } else if (evaluation.result === 'fail') {
      const why = !spfId
        ? say('dmarc.why.no-spf')
        : spfId.result !== 'pass'
          ? say('dmarc.why.spf-result', { domain: spfId.domain, result: spfId.result })
          : say(evaluation.alignment.spf.strict ? 'dmarc.why.strict' : 'dmarc.why.relaxed', { domain: spfId.domain, target: d, mode: evaluation.alignment.spf.mode });
      findings.push({ level: 'warn', code: 'dmarc.spf-not-aligned', message: say('dmarc.spf-not-aligned', { whyMsg: why, domain: d, policy: evaluation.policy ?? 'none' }), fix: say('dmarc.spf-not-aligned.fix', { org: discovery.orgDomain, domain: d }) });
    }
  }
  if (status === 'pass' && findings.some((f) => f.level === 'warn' || f.level === 'error')) status = 'warn';
  if (status === 'pass') findings.unshift({ level: 'ok', code: 'dmarc.ok', message: say('dmarc.ok', { domain: discovery.recordDomain, policy: rec?.policy ?? '' }) });
  // RFC 8601 §2.7.1: permerror is "a syntactically incorrect DMARC record", whatever the IP.
  const result = discovery.status === 'temperror' ? 'temperror'
    : broken.length > 0 || discovery.status === 'multiple' || discovery.status === 'invalid' ? 'permerror'
      : evaluation ? evaluation.result : discovery.status === 'found' ? 'found' : 'none';
  return { check: 'dmarc', status, result, subject: d, summary, findings, details: { domain: d, mode, discovery, ...(evaluation ? { evaluation } : {}), ...(broken.length > 0 ? { broken } : {}) }, queries };
}
