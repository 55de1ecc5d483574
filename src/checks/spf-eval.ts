// check_host() of RFC 7208 §4-§6 over the injected resolver: record lookup and selection, every
// mechanism, include/redirect recursion, the processing limits of §4.6.4 (10 DNS-querying terms,
// 10 MX hosts, 10 PTR names, 2 void lookups, a time limit), loop detection, exp= explanations
// (§6.2), and a trace of which term decided. It returns plain data: what the DNS does is a result
// word (temperror, permerror), never an exception; only a malformed client IP is thrown (UsageError).
import { say } from '../catalog/messages.js';
import { UsageError } from '../errors.js';
import { isDnsError, type RecordMap, type Resolve, type RRType } from '../dns/resolver.js';
import { dotFormat, formatIp, inNetwork, parseAnswerIp, parseIp, reverseName, sameIp, type SpfIp } from './spf-ip.js';
import { expandMacroString, expandTokens, parseMacroString, truncateDomain, type MacroContext } from './spf-macro.js';
import {
  parseSpfRecord, selectSpfRecords, SPF_LOOKUP_LIMIT, SPF_VOID_LIMIT,
  type ParsedSpfRecord, type SpfMechanism, type SpfQualifier,
} from './spf-record.js';

/** The result words of RFC 7208 §2.6 (and RFC 8601's spf method). */
export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror';

export interface CheckHostOptions {
  resolve: Resolve;
  /** The HELO/EHLO name, for %{h}. */
  helo?: string;
  /** The checking host's name, for %{r} in explanations ("unknown" when absent). */
  receiver?: string;
  /** Clock for %{t} (ms since the epoch). */
  now?: () => number;
  /** §4.6.4 limits; the defaults are the RFC's (10 terms, 2 void lookups). */
  maxLookups?: number;
  maxVoidLookups?: number;
  /** §4.6.4: "SHOULD allow at least 20 seconds"; past it the result is temperror. */
  timeLimitMs?: number;
}

/** One include:/redirect= followed on the way to a record. */
export interface SpfChainLink { domain: string; term: string }

export interface SpfDecision {
  /** mechanism: a mechanism matched · default: none matched (neutral, §4.7) · error: the term that
   *  raised temperror/permerror · no-record: no SPF record (none). */
  kind: 'mechanism' | 'default' | 'error' | 'no-record';
  /** The deciding term as written ("ip4:192.0.2.0/24", "-all"); for include matches the innermost
   *  matching mechanism; for errors the term being evaluated, if any. */
  term?: string;
  /** The domain whose record holds the term. */
  domain: string;
  /** The include:/redirect= terms followed from the top record to that record, outermost first. */
  via: SpfChainLink[];
  /** The directive whose qualifier gave the result: the matching mechanism itself, or the
   *  include: that matched because its target passed ("-include:x" turns x's pass into fail). */
  directive?: SpfChainLink;
}

/** One evaluated term, in evaluation order (the report's "why"). */
export interface SpfTraceStep {
  /** 0 for the top record, +1 per include/redirect. */
  depth: number;
  domain: string;
  term: string;
  outcome: 'match' | 'no-match' | 'error';
  /** DNS-querying terms counted so far (after this one). */
  lookups: number;
  note?: string;
}

export interface SpfLookupCount { count: number; limit: number; void: number; voidLimit: number }

export interface SpfCheckResult {
  result: SpfResult;
  ip: string;
  domain: string;
  sender: string;
  /** One line: why this result. */
  comment: string;
  /** For fail: the expanded exp= text (§6.2), when the record has one and it could be fetched. */
  explanation?: string;
  decidedBy: SpfDecision;
  /** The top domain's SPF record, when one was found. */
  record?: string;
  lookups: SpfLookupCount;
  trace: SpfTraceStep[];
}

const DEFAULT_TIME_LIMIT_MS = 20_000;
const MAX_MX_HOSTS = 10;
const MAX_PTR_NAMES = 10;

/** The §4.6.4 time limit ran out: temperror, whatever was being evaluated. */
class SpfTimeLimit extends Error {}

class SpfStop extends Error {
  constructor(readonly result: 'temperror' | 'permerror', message: string, readonly domain: string, readonly term: string | undefined, readonly via: SpfChainLink[]) {
    super(message);
  }
}

interface State {
  ip: SpfIp;
  ipText: string;
  sender: string;
  helo: string;
  receiver?: string;
  now: () => number;
  resolve: Resolve;
  maxLookups: number;
  maxVoid: number;
  timeLimitMs: number;
  deadlineAt: number;
  lookups: number;
  voids: number;
  trace: SpfTraceStep[];
  ptrNames?: Promise<string[] | null>;
}

interface Frame {
  domain: string;
  via: SpfChainLink[];
  depth: number;
  /** exp= is used only by the record that produced the fail, not through include (§6.2). */
  wantExplanation: boolean;
  /** Lower-cased domains on the include/redirect path, for loop detection. */
  path: string[];
}

interface Outcome {
  result: SpfResult;
  decision: SpfDecision;
  comment: string;
  explanation?: string;
  record?: string;
}

const QUALIFIER_RESULT: Record<SpfQualifier, SpfResult> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };

/** A name a DNS query can be built from: 1-63 octet labels, ≤ 253 in all, printable ASCII
 *  (spaces allowed: macros can put them there, §7.4's "%_"). */
export function isQueryableName(name: string): boolean {
  if (name === '' || name.length > 253 || /[^\x20-\x7e]/.test(name)) return false;
  return name.split('.').every((l) => l.length >= 1 && l.length <= 63);
}

/** §4.3: a <domain> check_host() can look up: well-formed and multi-label, not a literal. */
export function isValidSpfDomain(domain: string): boolean {
  const d = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  return isQueryableName(d) && !/[\s[\]]/.test(d) && d.includes('.');
}

function normalizeSender(sender: string, domain: string): string {
  const s = sender.replace(/^<|>$/g, '');
  const at = s.lastIndexOf('@');
  if (at === -1) return `postmaster@${s || domain}`;
  // §4.3: "If the <sender> has no local-part, substitute the string 'postmaster' for the local-part."
  return at === 0 ? `postmaster${s}` : s;
}

function describeDnsError(e: unknown): string {
  return isDnsError(e) ? e.message : say('spf.eval.dns-failed', { error: (e as Error)?.message ?? String(e) });
}

type LookupAnswer<T extends RRType> = { kind: 'ok'; records: RecordMap[T] } | { kind: 'void'; why: string } | { kind: 'error'; why: string };

async function lookup<T extends RRType>(st: State, name: string, type: T): Promise<LookupAnswer<T>> {
  const left = st.deadlineAt - Date.now();
  const late = (): SpfTimeLimit => new SpfTimeLimit(say('spf.eval.time-limit', { ms: st.timeLimitMs, type, name }));
  if (left <= 0) throw late();
  let timer: NodeJS.Timeout | undefined;
  try {
    const records = await Promise.race([
      st.resolve(name, type),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(late()), left); }),
    ]);
    if (!Array.isArray(records) || records.length === 0) return { kind: 'void', why: say('spf.eval.no-records', { type, name }) };
    return { kind: 'ok', records };
  } catch (e) {
    if (e instanceof SpfTimeLimit) throw e;
    // §4.4 / §5: NXDOMAIN (RCODE 3) and "no records" are answers; every other RCODE or a
    // timeout is a DNS error.
    if (isDnsError(e) && (e.dnsCode === 'ENOTFOUND' || e.dnsCode === 'ENODATA')) return { kind: 'void', why: e.message };
    return { kind: 'error', why: describeDnsError(e) };
  } finally {
    clearTimeout(timer);
  }
}

function stop(f: Frame, result: 'temperror' | 'permerror', message: string, term?: string): SpfStop {
  return new SpfStop(result, message, f.domain, term, f.via);
}

/** §4.6.4: count a DNS-querying term; the 11th is a permerror. */
function countTerm(st: State, f: Frame, term: string): void {
  st.lookups++;
  if (st.lookups > st.maxLookups) {
    throw stop(f, 'permerror', say('spf.too-many-terms', { term, n: st.lookups, max: st.maxLookups }), term);
  }
}

/** §4.6.4: a term whose query answers NXDOMAIN or no records is a void lookup; the 3rd is a permerror. */
function countVoid(st: State, f: Frame, term: string, why: string): void {
  st.voids++;
  if (st.voids > st.maxVoid) {
    throw stop(f, 'permerror', say('spf.eval.void-limit', { term, n: st.voids, whyMsg: why, max: st.maxVoid }), term);
  }
}

function macroContext(st: State, domain: string): MacroContext {
  return {
    sender: st.sender,
    domain,
    ipDotted: dotFormat(st.ip),
    ipReadable: st.ipText,
    ipVersion: st.ip.family === 4 ? 'in-addr' : 'ip6',
    helo: st.helo,
    ...(st.receiver ? { receiver: st.receiver } : {}),
    timestamp: Math.floor(st.now() / 1000),
    validatedName: () => validatedDomainName(st, domain),
  };
}

/** Expand a domain-spec into the name to query (§7.3 truncation, trailing dot dropped). */
async function targetName(st: State, f: Frame, spec: string | undefined): Promise<string> {
  if (spec === undefined) return f.domain;
  const x = await expandMacroString(spec, 'domain', macroContext(st, f.domain));
  // The record was syntax-checked before evaluation, so expansion cannot fail here.
  return x.ok ? truncateDomain(x.value) : '';
}

const addrType = (ip: SpfIp): 'A' | 'AAAA' => (ip.family === 4 ? 'A' : 'AAAA');

function matchesAny(st: State, addrs: readonly string[], m: SpfMechanism): boolean {
  const prefix = st.ip.family === 4 ? m.cidr4 ?? 32 : m.cidr6 ?? 128;
  return addrs.some((a) => {
    const b = parseAnswerIp(a, st.ip.family);
    return b !== null && inNetwork(st.ip.bytes, b, prefix);
  });
}

/** PTR names of the client IP, first 10 only (§4.6.4); null when the PTR lookup failed or was void. */
function ptrNames(st: State): Promise<string[] | null> {
  st.ptrNames ??= lookup(st, reverseName(st.ip), 'PTR').then((r) => (r.kind === 'ok' ? r.records.slice(0, MAX_PTR_NAMES) : null));
  return st.ptrNames;
}

/** §5.5: a name is validated when one of its A/AAAA addresses is the client IP. DNS errors on
 *  these lookups skip the name ("the search continues"). */
async function isValidated(st: State, name: string): Promise<boolean> {
  if (!isQueryableName(name)) return false;
  const r = await lookup(st, name, addrType(st.ip));
  if (r.kind !== 'ok') return false;
  return r.records.some((a) => {
    const b = parseAnswerIp(a, st.ip.family);
    return b !== null && sameIp(st.ip, b);
  });
}

const isAtOrUnder = (name: string, domain: string): boolean => {
  const n = name.toLowerCase().replace(/\.$/, '');
  const d = domain.toLowerCase().replace(/\.$/, '');
  return n === d || n.endsWith(`.${d}`);
};

/** %{p} (§7.3): the domain itself if validated, else a validated subdomain of it, else any
 *  validated name, else "unknown". */
async function validatedDomainName(st: State, domain: string): Promise<string> {
  const names = await ptrNames(st);
  if (!names) return 'unknown';
  const validated: string[] = [];
  for (const n of names) if (await isValidated(st, n)) validated.push(n);
  const d = domain.toLowerCase();
  return validated.find((n) => n.toLowerCase() === d)
    ?? validated.find((n) => isAtOrUnder(n, domain))
    ?? validated[0]
    ?? 'unknown';
}

interface MatchResult { matched: boolean; note?: string; inner?: Outcome }

async function matchMechanism(st: State, f: Frame, m: SpfMechanism): Promise<MatchResult> {
  switch (m.name) {
    case 'all':
      return { matched: true };
    case 'ip4':
    case 'ip6': {
      // §5.6: ip4 matches only IPv4 clients, ip6 only IPv6 ones (an IPv4-mapped client is IPv4).
      const fam = m.name === 'ip4' ? 4 : 6;
      if (st.ip.family !== fam || !m.networkBytes) return { matched: false };
      const prefix = fam === 4 ? m.cidr4 ?? 32 : m.cidr6 ?? 128;
      return { matched: inNetwork(st.ip.bytes, m.networkBytes, prefix) };
    }
    case 'a': {
      countTerm(st, f, m.text);
      const name = await targetName(st, f, m.domainSpec);
      // A target that no query can be built from (empty or over-long label) does not exist.
      if (!isQueryableName(name)) return { matched: false, note: `"${name}" is not a valid domain name; no match` };
      const r = await lookup(st, name, addrType(st.ip));
      if (r.kind === 'error') throw stop(f, 'temperror', r.why, m.text);
      if (r.kind === 'void') { countVoid(st, f, m.text, r.why); return { matched: false, note: r.why }; }
      return { matched: matchesAny(st, r.records, m) };
    }
    case 'mx': {
      countTerm(st, f, m.text);
      const name = await targetName(st, f, m.domainSpec);
      if (!isQueryableName(name)) return { matched: false, note: `"${name}" is not a valid domain name; no match` };
      const r = await lookup(st, name, 'MX');
      if (r.kind === 'error') throw stop(f, 'temperror', r.why, m.text);
      // §5.4: no MX records → no match; the target is not its own implicit MX.
      if (r.kind === 'void') { countVoid(st, f, m.text, r.why); return { matched: false, note: r.why }; }
      // §4.6.4: "the evaluation of each 'MX' record MUST NOT result in querying more than 10
      // address records ... If this limit is exceeded, the 'mx' mechanism MUST produce a permerror".
      if (r.records.length > MAX_MX_HOSTS) {
        throw stop(f, 'permerror', `"${m.text}": ${name} has ${r.records.length} MX hosts; RFC 7208 §4.6.4 allows ${MAX_MX_HOSTS}`, m.text);
      }
      const hosts = [...r.records].sort((a, b) => a.priority - b.priority).map((x) => x.exchange.replace(/\.$/, ''));
      for (const host of hosts) {
        // A null MX (RFC 7505, exchange ".") has no addresses; these lookups are not counted as terms.
        if (host === '' || !isQueryableName(host)) continue;
        const ar = await lookup(st, host, addrType(st.ip));
        if (ar.kind === 'error') throw stop(f, 'temperror', ar.why, m.text);
        if (ar.kind === 'ok' && matchesAny(st, ar.records, m)) return { matched: true, note: `MX host ${host}` };
      }
      return { matched: false };
    }
    case 'ptr': {
      countTerm(st, f, m.text);
      const target = await targetName(st, f, m.domainSpec);
      // §5.5: a DNS error on the PTR lookup means no match; names beyond the first 10 are ignored.
      // A missing PTR is not counted as a void lookup: PTR records belong to the owner of the
      // connecting IP, not to the publisher whose record the void limit protects (§4.6.4, §11.1).
      const names = await ptrNames(st);
      if (!names) return { matched: false, note: `no PTR record for ${st.ipText}` };
      for (const n of names) {
        if (isAtOrUnder(n, target) && (await isValidated(st, n))) return { matched: true, note: `validated PTR name ${n}` };
      }
      return { matched: false };
    }
    case 'exists': {
      countTerm(st, f, m.text);
      const name = await targetName(st, f, m.domainSpec);
      if (!isQueryableName(name)) return { matched: false, note: `"${name}" is not a valid domain name; no match` };
      // §5.7: always an A query, whatever the client's address family.
      const r = await lookup(st, name, 'A');
      if (r.kind === 'error') throw stop(f, 'temperror', r.why, m.text);
      if (r.kind === 'void') { countVoid(st, f, m.text, r.why); return { matched: false, note: r.why }; }
      return { matched: true, note: `${name} exists` };
    }
    case 'include': {
      countTerm(st, f, m.text);
      const name = await targetName(st, f, m.domainSpec);
      const inner = await recurse(st, f, m.text, name, false);
      // §5.2 table: pass → match; fail/softfail/neutral → no match; temperror → temperror;
      // permerror or none → permerror. (Errors inside the target usually arrive here already
      // thrown, naming the innermost term; the two error cases below are for completeness.)
      switch (inner.result) {
        case 'pass': return { matched: true, inner };
        case 'fail': case 'softfail': case 'neutral': return { matched: false, note: `${name} says ${inner.result}` };
        case 'temperror': throw stop(f, 'temperror', say('spf.include-inner', { name, commentMsg: inner.comment }), m.text);
        case 'permerror': throw stop(f, 'permerror', say('spf.include-inner', { name, commentMsg: inner.comment }), m.text);
        case 'none': throw stop(f, 'permerror', say('spf.include-none', { term: m.text, name }), m.text);
      }
    }
  }
}

/** Evaluate check_host() for an include:/redirect= target, with loop detection. */
async function recurse(st: State, f: Frame, term: string, name: string, wantExplanation: boolean): Promise<Outcome> {
  const key = name.toLowerCase();
  if (f.path.includes(key)) {
    throw stop(f, 'permerror', say('spf.eval.loop', { term, name, path: [...f.path, key].join(' → ') }), term);
  }
  const child: Frame = {
    domain: name,
    via: [...f.via, { domain: f.domain, term }],
    depth: f.depth + 1,
    wantExplanation,
    path: [...f.path, key],
  };
  if (!isQueryableName(name)) {
    // Returned as none, which include and redirect turn into permerror (§5.2, §6.1).
    return { result: 'none', decision: { kind: 'no-record', domain: name, via: child.via }, comment: say('spf.not-valid-domain', { domain: name }) };
  }
  return evaluate(st, child, { term, frame: f });
}

/** Fetch and pick the SPF record of f.domain (§4.4, §4.5). */
async function fetchRecord(st: State, f: Frame, parent: ParentTerm | undefined): Promise<string | null> {
  const r = await lookup(st, f.domain, 'TXT');
  // §4.4: a server failure or timeout → temperror.
  if (r.kind === 'error') throw new SpfStop('temperror', say('spf.eval.txt-failed', { domain: f.domain, errorMsg: r.why }), f.domain, undefined, f.via);
  if (r.kind === 'void') {
    // The include/redirect term's own query was void (§4.6.4); the top lookup is not a term.
    if (parent) countVoid(st, parent.frame, parent.term, r.why);
    return null;
  }
  const spf = selectSpfRecords(r.records);
  // §4.5: "If the resultant record set includes more than one record, check_host() produces
  // the 'permerror' result."
  if (spf.length > 1) {
    throw new SpfStop('permerror', say('spf.eval.multiple', { domain: f.domain, n: spf.length }), f.domain, undefined, f.via);
  }
  return spf[0] ?? null;
}

/** The include:/redirect= term (and its record's frame) that led to a record. */
interface ParentTerm { term: string; frame: Frame }

async function evaluate(st: State, f: Frame, parent?: ParentTerm): Promise<Outcome> {
  const text = await fetchRecord(st, f, parent);
  if (text === null) {
    return { result: 'none', decision: { kind: 'no-record', domain: f.domain, via: f.via }, comment: say('spf.no-spf-record', { domain: f.domain }) };
  }
  const rec = parseSpfRecord(text);
  if (!rec.valid) {
    // §4.6: "If there are any syntax errors anywhere in the record, check_host() returns
    // immediately with the result 'permerror', without further interpretation or evaluation."
    throw new SpfStop('permerror', say('spf.eval.syntax', { domain: f.domain, errorMsg: rec.errors[0]?.message ?? '' }), f.domain, undefined, f.via);
  }
  for (const m of rec.mechanisms) {
    let r: MatchResult;
    try {
      r = await matchMechanism(st, f, m);
    } catch (e) {
      if (e instanceof SpfStop && e.domain === f.domain && e.term === m.text) {
        st.trace.push({ depth: f.depth, domain: f.domain, term: m.text, outcome: 'error', lookups: st.lookups, note: e.message });
      }
      throw e;
    }
    st.trace.push({ depth: f.depth, domain: f.domain, term: m.text, outcome: r.matched ? 'match' : 'no-match', lookups: st.lookups, ...(r.note ? { note: r.note } : {}) });
    if (!r.matched) continue;
    const result = QUALIFIER_RESULT[m.qualifier];
    const directive = { domain: f.domain, term: m.text };
    const decision: SpfDecision = r.inner?.decision.kind === 'mechanism'
      ? { ...r.inner.decision, directive }
      : { kind: 'mechanism', term: m.text, domain: f.domain, via: f.via, directive };
    const out: Outcome = { result, decision, comment: describeMatch(result, decision, st.ipText), record: text };
    // §6.2: exp= is looked up only for fail, and only from the record that produced it.
    if (result === 'fail' && f.wantExplanation) {
      const x = await explanation(st, f, rec);
      if (x !== undefined) out.explanation = x;
    }
    return out;
  }
  // §6.1: redirect applies when no mechanism matched; with an "all" we never get here (§5.1).
  if (rec.redirect) {
    countTerm(st, f, rec.redirect.text);
    const name = await targetName(st, f, rec.redirect.value);
    const inner = await recurse(st, f, rec.redirect.text, name, f.wantExplanation);
    st.trace.push({ depth: f.depth, domain: f.domain, term: rec.redirect.text, outcome: 'match', lookups: st.lookups, note: `${name} says ${inner.result}` });
    if (inner.result === 'none') {
      // §6.1: "if no SPF record is found, or if the <target-name> is malformed, the result is a
      // 'permerror' rather than 'none'".
      throw stop(f, 'permerror', say('spf.redirect-none', { term: rec.redirect.text, commentMsg: inner.comment }), rec.redirect.text);
    }
    return { ...inner, record: text };
  }
  // §4.7: "If none of the mechanisms match and there is no 'redirect' modifier, then the
  // check_host() returns a result of 'neutral', just as if '?all' were specified as the last directive."
  return { result: 'neutral', decision: { kind: 'default', domain: f.domain, via: f.via }, comment: say('spf.no-match-neutral', { domain: f.domain, ip: st.ipText }), record: text };
}

function describeMatch(result: SpfResult, d: SpfDecision, ip: string): string {
  const viaMsg = d.via.map((l) => say('spf.via-item', { term: l.term, domain: l.domain })).join(', ');
  // "-include:x" turns x's pass into fail: say so when the include's qualifier is not "+".
  const dir = d.directive && d.directive.term !== d.term && /^[-~?]/.test(d.directive.term) ? d.directive : undefined;
  const key = `spf.match${viaMsg ? '-via' : ''}${dir ? '-dir' : ''}`;
  return say(key, { ip, term: d.term, domain: d.domain, viaMsg, directive: dir?.term, dirDomain: dir?.domain, result });
}

/**
 * §6.2: expand exp=, fetch its TXT, expand that as an explain-string. Every failure along the
 * way ("any DNS processing errors ..., no records ..., more than one record ..., syntax errors
 * in the explanation string") means: proceed as if there were no exp=. Not a counted term.
 */
async function explanation(st: State, f: Frame, rec: ParsedSpfRecord): Promise<string | undefined> {
  if (!rec.exp) return undefined;
  try {
    const ctx = macroContext(st, f.domain);
    const x = await expandMacroString(rec.exp.value, 'domain', ctx);
    if (!x.ok) return undefined;
    const name = truncateDomain(x.value);
    if (!isQueryableName(name)) return undefined;
    const r = await lookup(st, name, 'TXT');
    if (r.kind !== 'ok' || r.records.length !== 1) return undefined;
    const p = parseMacroString(r.records[0] as string, 'explain');
    if (!p.ok) return undefined;
    return await expandTokens(p.tokens, ctx);
  } catch {
    return undefined;
  }
}

/**
 * RFC 7208 §4: check_host(<ip>, <domain>, <sender>). `sender` is the MAIL FROM address, or
 * postmaster@<HELO> for a null reverse-path or the HELO identity (§2.4; see spfIdentity()).
 * Throws UsageError only for an IP that is not an address.
 */
export async function checkHost(ip: string, domain: string, sender: string, opts: CheckHostOptions): Promise<SpfCheckResult> {
  const parsedIp = parseIp(ip);
  if (!parsedIp) throw new UsageError(`not an IP address: ${JSON.stringify(ip)}`);
  const now = opts.now ?? Date.now;
  const d = domain.trim().replace(/\.$/, '');
  const st: State = {
    ip: parsedIp,
    ipText: formatIp(parsedIp),
    sender: normalizeSender(sender, d),
    helo: opts.helo ?? 'unknown',
    ...(opts.receiver ? { receiver: opts.receiver } : {}),
    now,
    resolve: opts.resolve,
    maxLookups: opts.maxLookups ?? SPF_LOOKUP_LIMIT,
    maxVoid: opts.maxVoidLookups ?? SPF_VOID_LIMIT,
    timeLimitMs: opts.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS,
    deadlineAt: Date.now() + (opts.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS),
    lookups: 0,
    voids: 0,
    trace: [],
  };
  const lookups = (): SpfLookupCount => ({ count: st.lookups, limit: st.maxLookups, void: st.voids, voidLimit: st.maxVoid });
  const base = { ip: st.ipText, domain: d, sender: st.sender };
  // §4.3: a malformed or single-label <domain> (or a domain literal) → none, without any query.
  if (!isValidSpfDomain(d)) {
    return {
      ...base, result: 'none', comment: say('spf.not-multi-label', { domain }),
      decidedBy: { kind: 'no-record', domain: d, via: [] }, lookups: lookups(), trace: st.trace,
    };
  }
  const top: Frame = { domain: d, via: [], depth: 0, wantExplanation: true, path: [d.toLowerCase()] };
  try {
    const o = await evaluate(st, top);
    return {
      ...base, result: o.result, comment: o.comment, ...(o.explanation !== undefined ? { explanation: o.explanation } : {}),
      decidedBy: o.decision, ...(o.record !== undefined ? { record: o.record } : {}), lookups: lookups(), trace: st.trace,
    };
  } catch (e) {
    if (e instanceof SpfStop) {
      return {
        ...base, result: e.result, comment: e.message,
        decidedBy: { kind: 'error', ...(e.term ? { term: e.term } : {}), domain: e.domain, via: e.via },
        lookups: lookups(), trace: st.trace,
      };
    }
    if (e instanceof SpfTimeLimit) {
      return { ...base, result: 'temperror', comment: e.message, decidedBy: { kind: 'error', domain: d, via: [] }, lookups: lookups(), trace: st.trace };
    }
    // A resolver that broke its contract: not the sender's fault, and not decidable now.
    return {
      ...base, result: 'temperror', comment: say('spf.eval-failed', { errorMsg: (e as Error)?.message ?? String(e) }),
      decidedBy: { kind: 'error', domain: d, via: [] }, lookups: lookups(), trace: st.trace,
    };
  }
}

/** Which identity is checked (RFC 7208 §2.3, §2.4) and the check_host() arguments for it. */
export interface SpfIdentity {
  scope: 'mfrom' | 'helo';
  domain: string;
  sender: string;
}

/**
 * §2.4: the MAIL FROM identity; for a null reverse-path ("" or "<>") it is postmaster@<HELO>.
 * §2.3: the HELO identity is postmaster@<HELO>.
 */
export function spfIdentity(mailFrom: string | undefined, helo: string | undefined): SpfIdentity | null {
  const mf = mailFrom === undefined ? undefined : mailFrom.trim().replace(/^<(.*)>$/, '$1');
  if (mf) {
    const at = mf.lastIndexOf('@');
    const domain = at === -1 ? mf : mf.slice(at + 1);
    return { scope: 'mfrom', domain, sender: at === -1 ? `postmaster@${mf}` : mf };
  }
  if (!helo) return null;
  return { scope: mf === '' ? 'mfrom' : 'helo', domain: helo, sender: `postmaster@${helo}` };
}
