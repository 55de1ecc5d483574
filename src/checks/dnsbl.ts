// The DNS blocklist check: one subject (IP or domain) against every zone at once, each
// lookup bounded by the resolver's own deadline; the RFC 5782 self-test of the zones
// (--health); and the CheckSummary the probe and the exit code use. Plain data out: never
// prints, never reads process.*, and never reports an error answer as a listing (the
// answer rules live in dnsbl-zones.ts).
import { say } from '../catalog/messages.js';
import { DNS_ERROR_TEXT, isDnsError, withQueryLog, type DnsErrorCode, type DnsQueryLog, type Resolve } from '../dns/resolver.js';
import { UsageError } from '../errors.js';
import type { CheckSummary, Finding } from './types.js';
import {
  ZONES, classifyAnswers, displayZone, isNonPublicAddress, maskKeys, overallEffect, parseSubject, planQuery,
  resolveZones, testPoints, zoneFor,
  type AnswerError, type CodeMeaning, type Effect, type Subject, type Zone,
} from './dnsbl-zones.js';

export * from './dnsbl-zones.js';

export type ZoneStatus = 'listed' | 'clean' | 'error' | 'timeout' | 'not-applicable';

/** Why a zone could not be checked: a DNS failure, or an answer that is an error code. */
export interface ZoneProblem {
  source: 'dns' | 'answer';
  /** A DNS error code (ESERVFAIL, …) or the answer's reason (public-resolver, over-quota, …). */
  code: string;
  /** For answer errors: the address(es) the list answered with. */
  address?: string;
  message: string;
  fix: string;
}

export interface ZoneResult {
  zone: string;
  id: string;
  name: string;
  kind: Zone['kind'];
  type: Zone['type'];
  status: ZoneStatus;
  /** The name looked up (absent when not applicable). */
  query?: string;
  /** For 'listed': block (a problem), allow (vouched for: good news) or neutral (information). */
  effect?: Effect;
  /** For 'listed': each A answer with its meaning. */
  codes: CodeMeaning[];
  /** For 'listed': the list's TXT explanation, as sent (untrusted text: renderers sanitise it). */
  txt?: string[];
  problem?: ZoneProblem;
  /** Answers outside 127.0.0.0/8 that were ignored. */
  ignored?: string[];
  /** For 'not-applicable': why this zone was not asked. */
  reason?: string;
  /** Something to keep in mind about this result (e.g. a public resolver and this list). */
  note?: string;
  lookupUrl?: string;
  removalUrl?: string;
  ms: number;
}

export interface BlocklistCounts {
  total: number;
  checked: number;
  listed: number;
  listedBlock: number;
  listedAllow: number;
  listedNeutral: number;
  clean: number;
  error: number;
  timeout: number;
  notApplicable: number;
}

/** Lists that could not answer, grouped by one cause (a DNS error code or an error answer). */
export interface FailureGroup {
  /** The DNS error code (EREFUSED, ESERVFAIL, ETIMEOUT, …) or the error answer's reason (public-resolver, over-quota, …). */
  cause: string;
  count: number;
  zones: string[];
  /** One line: "the resolver refused 33 of 34 queries". */
  message: string;
  fix: string;
}

/**
 * "Clean" needs enough lists to have answered: at least half of the lists asked (block lists
 * and allow-lists alike). Below that the verdict is "could not check" (exit 3), never clean:
 * through a resolver that the big lists refuse, "not listed" would only mean "not answered".
 */
export const MIN_ANSWERED_SHARE = 0.5;

export interface BlocklistResult {
  subject: string;
  subjectKind: Subject['kind'];
  /** Domain lists that hold registered domains only were asked about this name. */
  registeredDomain?: string;
  /** listed: on at least one block list · clean: on none, with at least MIN_ANSWERED_SHARE of
   *  the lists answering · error: could not check (too few lists answered to judge). */
  verdict: 'listed' | 'clean' | 'error';
  /** The lists that could not answer, one group per cause, largest first. */
  failures: FailureGroup[];
  /** For a domain: false when DNS says it does not exist (NXDOMAIN), null when unknown. The
   *  lists may still hold it; not listed + not existing is exit 6 in the CLI, as in probe/verify. */
  subjectExists?: boolean | null;
  /** Lists that answered (listed or clean) and the share needed for a "clean" verdict. */
  answered: { count: number; of: number; needed: number };
  /** One line a person can act on. */
  summary: string;
  subjectNote?: string;
  counts: BlocklistCounts;
  /** Block lists the subject is on (zone names). */
  listedOn: string[];
  /** Allow-lists the subject is on. */
  allowedBy: string[];
  zones: ZoneResult[];
  queries: DnsQueryLog[];
  ms: number;
}

export interface CheckBlocklistsOptions {
  resolve: Resolve;
  /** Replaces the catalog: the zones to check (catalog zone names, Zone objects, or --zone style names). */
  zones?: readonly (Zone | string)[];
  /** Added zones (--zone), e.g. 'KEY.zen.dq.spamhaus.net'. */
  extraZones?: readonly string[];
  /** Check only extraZones (--zones-only). */
  zonesOnly?: boolean;
  /** Called as each zone's result arrives (progress). */
  onResult?: (r: ZoneResult) => void;
  /** The resolver is a big public one (8.8.8.8 …): lists that refuse those get a note. */
  publicResolver?: boolean;
  now?: () => number;
}

const MAX_TXT_RECORDS = 5;
const MAX_TXT_CHARS = 512;

const DNS_FIX: Partial<Record<DnsErrorCode, string>> = {
  ESERVFAIL: say('dnsbl.fix.eservfail'),
  EREFUSED: say('dnsbl.fix.erefused'),
  ECONNREFUSED: say('dnsbl.fix.econnrefused'),
  ETIMEOUT: say('dnsbl.fix.etimeout'),
  EFORMERR: say('dnsbl.fix.eformerr'),
  EBADRESP: say('dnsbl.fix.ebadresp'),
};

const PUBLIC_NOTE = say('dnsbl.public-note');

/** Well-known public resolvers: several lists refuse them or answer with error codes. */
export const PUBLIC_RESOLVERS: readonly string[] = [
  '8.8.8.8', '8.8.4.4', '2001:4860:4860::8888', '2001:4860:4860::8844', // Google
  '1.1.1.1', '1.0.0.1', '2606:4700:4700::1111', '2606:4700:4700::1001', // Cloudflare
  '9.9.9.9', '149.112.112.112', '2620:fe::fe', '2620:fe::9', // Quad9
  '208.67.222.222', '208.67.220.220', '2620:119:35::35', '2620:119:53::53', // OpenDNS
  '94.140.14.14', '94.140.15.15', // AdGuard
  '185.228.168.9', '185.228.169.9', // CleanBrowsing
  '64.6.64.6', '64.6.65.6', // Verisign
  '76.76.2.0', '76.76.10.0', // Control D
  '114.114.114.114', '223.5.5.5', '180.76.76.76', // big Chinese public resolvers
];

export function isPublicResolver(address: string): boolean {
  return PUBLIC_RESOLVERS.includes(address.toLowerCase());
}

/** The zones a run asks: catalog (or `zones`) plus --zone additions, without duplicates. */
export function selectZones(opts: Pick<CheckBlocklistsOptions, 'zones' | 'extraZones' | 'zonesOnly'>): Zone[] {
  const extra = (opts.extraZones ?? []).map(zoneFor);
  if (opts.zonesOnly && extra.length === 0) throw new UsageError('--zones-only needs at least one --zone');
  const base = opts.zonesOnly ? [] : opts.zones ? resolveZones(opts.zones) : [...ZONES];
  const out: Zone[] = [];
  const seen = new Set<string>();
  for (const z of [...base, ...extra]) {
    if (seen.has(z.zone)) continue;
    seen.add(z.zone);
    // A keyed --zone replaces the catalog's key-less entry of the same list.
    if (z.keyed) {
      const i = out.findIndex((o) => o.id === z.id && !o.keyed);
      if (i !== -1) {
        out[i] = z;
        continue;
      }
    }
    out.push(z);
  }
  return out;
}

function dnsProblem(code: DnsErrorCode, zone: Zone): ZoneProblem {
  let fix = DNS_FIX[code] ?? say('dnsbl.fix.other');
  if (zone.refusesPublicResolvers && (code === 'ESERVFAIL' || code === 'ETIMEOUT' || code === 'EREFUSED')) {
    fix = `${fix} ${say('dnsbl.fix.refuses-public')}`;
  }
  if (zone.access === 'registration') fix = `${fix} ${say('dnsbl.fix.registration')}`;
  const text = DNS_ERROR_TEXT[code];
  return { source: 'dns', code, message: `${text.charAt(0).toUpperCase()}${text.slice(1)}.`, fix };
}

function answerProblem(e: AnswerError): ZoneProblem {
  return { source: 'answer', code: e.reason, address: e.address, message: e.meaning, fix: e.fix };
}

function base(zone: Zone, status: ZoneStatus, ms: number): ZoneResult {
  return {
    zone: displayZone(zone), id: zone.id, name: zone.name, kind: zone.kind, type: zone.type, status, codes: [],
    ...(zone.lookupUrl ? { lookupUrl: zone.lookupUrl } : {}),
    ...(zone.removalUrl ? { removalUrl: zone.removalUrl } : {}),
    ms,
  };
}

async function lookupA(resolve: Resolve, name: string): Promise<{ answers: string[] } | { error: DnsErrorCode }> {
  try {
    return { answers: await resolve(name, 'A') };
  } catch (e) {
    return { error: isDnsError(e) ? e.dnsCode : 'EBADRESP' };
  }
}

/** The TXT explanation of a listing, bounded: it is untrusted text from the network. */
async function lookupTxt(resolve: Resolve, name: string): Promise<string[] | undefined> {
  try {
    const txt = await resolve(name, 'TXT');
    return txt.slice(0, MAX_TXT_RECORDS).map((t) => (t.length > MAX_TXT_CHARS ? `${t.slice(0, MAX_TXT_CHARS)}…` : t));
  } catch {
    return undefined; // the TXT record is optional (RFC 5782 §2.2)
  }
}

/** One zone for one subject. Never throws: every outcome is a ZoneResult. */
export async function checkZone(subject: Subject, zone: Zone, resolve: Resolve, opts: { publicResolver?: boolean; now?: () => number } = {}): Promise<ZoneResult> {
  const now = opts.now ?? Date.now;
  const t0 = now();
  const plan = planQuery(subject, zone);
  if ('notApplicable' in plan) return { ...base(zone, 'not-applicable', 0), reason: plan.notApplicable };
  if (zone.keyZone && !zone.keyed) {
    return { ...base(zone, 'not-applicable', 0), reason: say('dnsbl.needs-key', { zone: zone.keyZone.replace('{key}', 'KEY') }) };
  }
  const query = displayZone(zone) === zone.zone ? plan.name : maskKeys(plan.name, [zone]);
  const a = await lookupA(resolve, plan.name);
  if ('error' in a) {
    const ms = now() - t0;
    if (a.error === 'ENOTFOUND' || a.error === 'ENODATA') {
      const r: ZoneResult = { ...base(zone, 'clean', ms), query };
      if (opts.publicResolver && zone.refusesPublicResolvers) r.note = PUBLIC_NOTE;
      return r;
    }
    const status: ZoneStatus = a.error === 'ETIMEOUT' ? 'timeout' : 'error';
    return { ...base(zone, status, ms), query, problem: dnsProblem(a.error, zone) };
  }
  const c = classifyAnswers(zone, a.answers);
  const ignored = c.ignored.length > 0 ? { ignored: c.ignored } : {};
  if (c.listed.length > 0) {
    const txt = await lookupTxt(resolve, plan.name);
    return { ...base(zone, 'listed', now() - t0), query, effect: overallEffect(c.listed), codes: c.listed, ...(txt ? { txt } : {}), ...ignored };
  }
  const first = c.errors[0];
  const ms = now() - t0;
  if (first) return { ...base(zone, 'error', ms), query, problem: answerProblem(first), ...ignored };
  return { ...base(zone, 'clean', ms), query }; // an empty answer set: nothing listed
}

function countsOf(zones: readonly ZoneResult[]): BlocklistCounts {
  const n = (p: (z: ZoneResult) => boolean): number => zones.filter(p).length;
  const notApplicable = n((z) => z.status === 'not-applicable');
  return {
    total: zones.length,
    checked: zones.length - notApplicable,
    listed: n((z) => z.status === 'listed'),
    listedBlock: n((z) => z.status === 'listed' && z.effect === 'block'),
    listedAllow: n((z) => z.status === 'listed' && z.effect === 'allow'),
    listedNeutral: n((z) => z.status === 'listed' && z.effect === 'neutral'),
    clean: n((z) => z.status === 'clean'),
    error: n((z) => z.status === 'error'),
    timeout: n((z) => z.status === 'timeout'),
    notApplicable,
  };
}

/** "1 list", "3 lists" (or allow-lists) as catalog words. */
function lists(n: number, kind: 'list' | 'allow' = 'list'): string {
  const k = kind === 'allow' ? 'dnsbl.allow-lists' : 'dnsbl.lists';
  return n === 1 ? say(`${k}.one`) : say(`${k}.many`, { n });
}

const OWN_RESOLVER_FIX = say('dnsbl.own-resolver');

/** One line per cause, with the remedy: not one block per list. */
export function groupFailures(zones: readonly ZoneResult[], asked: number): FailureGroup[] {
  const groups = new Map<string, ZoneResult[]>();
  for (const z of zones) {
    if ((z.status !== 'error' && z.status !== 'timeout') || !z.problem) continue;
    const key = z.problem.code;
    groups.set(key, [...(groups.get(key) ?? []), z]);
  }
  const out: FailureGroup[] = [];
  for (const [cause, zs] of groups) {
    const n = zs.length;
    const of = `${n} of ${asked}`;
    const addresses = [...new Set(zs.map((z) => z.problem?.address).filter((a): a is string => Boolean(a)))];
    let message: string;
    let fix = zs[0]!.problem!.fix;
    switch (cause) {
      case 'EREFUSED': message = say('dnsbl.fail.refused', { n, asked }); fix = OWN_RESOLVER_FIX; break;
      case 'ESERVFAIL': message = say('dnsbl.fail.servfail', { n, asked }); fix = say('dnsbl.fail.servfail.fix', { fixMsg: OWN_RESOLVER_FIX }); break;
      case 'ETIMEOUT': message = say('dnsbl.fail.timeout', { n, asked }); fix = say('dnsbl.fail.timeout.fix', { fixMsg: OWN_RESOLVER_FIX }); break;
      case 'ECONNREFUSED': message = say('dnsbl.fail.unreachable', { n, asked }); fix = say('dnsbl.fail.unreachable.fix'); break;
      case 'public-resolver': case 'refused': message = say('dnsbl.fail.query-refused', { n, asked, addresses: addresses.length ? ` (${addresses.join(', ')})` : '' }); fix = OWN_RESOLVER_FIX; break;
      case 'over-quota': message = say('dnsbl.fail.over-quota', { n, asked, addresses: addresses.length ? ` (${addresses.join(', ')})` : '' }); fix = say('dnsbl.fail.over-quota.fix', { fixMsg: OWN_RESOLVER_FIX }); break;
      default: message = say('dnsbl.fail.other', { n, asked, errorMsg: zs[0]!.problem!.message.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase()) });
    }
    out.push({ cause, count: n, zones: zs.map((z) => z.zone), message, fix });
  }
  return out.sort((a, b) => b.count - a.count);
}

function summaryLine(subject: string, c: BlocklistCounts, listedOn: readonly string[], allowedBy: readonly string[], noted: readonly string[], failures: readonly FailureGroup[], tooFew: boolean): string {
  const failed = c.error + c.timeout;
  const cause = failures.map((f) => say('common.subject-text', { subjectMsg: f.message, textMsg: f.fix })).join('; ');
  const failedNote = failed > 0 ? say('dnsbl.failed-note', { listsMsg: lists(failed), causesMsg: failures.map((f) => f.message).join('; ') }) : '';
  // Extra sentences, each one of the catalog's (the renderer localises them one by one).
  const allowNote = (allowedBy.length > 0 ? ` ${say('dnsbl.allow-note', { listsMsg: lists(allowedBy.length, 'allow'), zones: allowedBy.join(', ') })}` : '')
    + (noted.length > 0 ? ` ${say('dnsbl.noted-note', { listsMsg: lists(noted.length), zones: noted.join(', ') })}` : '');
  if (c.checked === 0) return say('dnsbl.summary.none-can', { subject });
  if (failed === c.checked) return say('dnsbl.summary.all-failed', { listsMsg: lists(c.checked), subject, causeMsg: cause });
  if (listedOn.length > 0) {
    const shown = listedOn.length > 5 ? `${listedOn.slice(0, 5).join(', ')}, …` : listedOn.join(', ');
    return say(failedNote ? 'dnsbl.summary.listed-failed' : 'dnsbl.summary.listed', { subject, n: listedOn.length, listsMsg: lists(c.checked - failed), shown, failedMsg: failedNote }) + allowNote;
  }
  if (tooFew) {
    return say('dnsbl.summary.too-few', { subject, answered: c.checked - failed, listsMsg: lists(c.checked), causeMsg: cause });
  }
  return say(failedNote ? 'dnsbl.summary.clean-failed' : 'dnsbl.summary.clean', { subject, listsMsg: lists(c.checked - failed), failedMsg: failedNote }) + allowNote;
}

/**
 * Check `subject` (an IP address or a domain) against the zones, all at once. Throws
 * UsageError only for bad input (not an IP/domain, a malformed --zone); DNS trouble is data.
 * The probe's follow-up passes `zones` (e.g. the ones a rejection names, see zonesNamedIn).
 */
export async function checkBlocklists(subject: string, opts: CheckBlocklistsOptions): Promise<BlocklistResult> {
  const s = parseSubject(subject);
  const zones = selectZones(opts);
  const now = opts.now ?? Date.now;
  const queries: DnsQueryLog[] = [];
  const resolve = withQueryLog(opts.resolve, queries, now);
  const t0 = now();
  // A domain's own existence, asked beside the lists (one query, same round trip).
  const existsP: Promise<boolean | null> | undefined = s.kind === 'domain'
    ? resolve(s.value, 'A').then(() => true, (e: unknown) => (isDnsError(e) ? (e.dnsCode === 'ENOTFOUND' ? false : e.dnsCode === 'ENODATA' ? true : null) : null))
    : undefined;
  const results = await Promise.all(zones.map(async (z) => {
    const r = await checkZone(s, z, resolve, { publicResolver: opts.publicResolver, now });
    opts.onResult?.(r);
    return r;
  }));
  const exists = existsP ? await existsP : undefined;
  const counts = countsOf(results);
  const listedOn = results.filter((r) => r.status === 'listed' && r.effect === 'block').map((r) => r.zone);
  const allowedBy = results.filter((r) => r.status === 'listed' && r.effect === 'allow').map((r) => r.zone);
  const failed = counts.error + counts.timeout;
  const answered = counts.checked - failed;
  const needed = Math.ceil(counts.checked * MIN_ANSWERED_SHARE);
  const tooFew = counts.checked > 0 && answered < needed;
  const verdict = listedOn.length > 0 ? 'listed' : tooFew ? 'error' : 'clean';
  const failures = groupFailures(results, counts.checked);
  const ip = s.kind === 'domain' ? undefined : s.value;
  return {
    subject: s.value,
    subjectKind: s.kind,
    ...(s.kind === 'domain' && s.registered !== s.value ? { registeredDomain: s.registered } : {}),
    verdict,
    summary: summaryLine(s.value, counts, listedOn, allowedBy, results.filter((r) => r.status === 'listed' && r.effect === 'neutral').map((r) => r.zone), failures, tooFew)
      + (exists === false ? ` ${say('dnsbl.nxdomain-note', { subject: s.value })}` : ''),
    failures,
    ...(exists !== undefined ? { subjectExists: exists } : {}),
    answered: { count: answered, of: counts.checked, needed },
    ...(ip && isNonPublicAddress(ip) ? { subjectNote: say('dnsbl.non-public', { ip }) } : {}),
    counts,
    listedOn,
    allowedBy,
    zones: results,
    queries: queries.map((q) => ({ ...q, name: maskKeys(q.name, zones) })),
    ms: now() - t0,
  };
}

// ---------------------------------------------------------------- --health

export type HealthStatus = 'ok' | 'dead' | 'lists-everything' | 'error' | 'timeout' | 'not-applicable';

export interface TestPointOutcome {
  /** The entry tested: 127.0.0.2, ::ffff:7f00:1, test, invalid, … */
  entry: string;
  query: string;
  outcome: 'listed' | 'not-listed' | 'error' | 'timeout';
  answers?: string[];
  problem?: ZoneProblem;
}

export interface ZoneHealth {
  zone: string;
  id: string;
  name: string;
  kind: Zone['kind'];
  type: Zone['type'];
  status: HealthStatus;
  /** The entry RFC 5782 §5 says the zone MUST list. */
  positive?: TestPointOutcome;
  /** The entry it MUST NOT list. */
  negative?: TestPointOutcome;
  message: string;
  fix?: string;
  ms: number;
}

export interface HealthResult {
  zones: ZoneHealth[];
  counts: { total: number; ok: number; dead: number; listsEverything: number; error: number; timeout: number; notApplicable: number };
  summary: string;
  queries: DnsQueryLog[];
  ms: number;
}

async function testEntry(resolve: Resolve, zone: Zone, entry: string, name: string): Promise<TestPointOutcome> {
  const query = maskKeys(name, [zone]);
  const a = await lookupA(resolve, name);
  if ('error' in a) {
    if (a.error === 'ENOTFOUND' || a.error === 'ENODATA') return { entry, query, outcome: 'not-listed' };
    return { entry, query, outcome: a.error === 'ETIMEOUT' ? 'timeout' : 'error', problem: dnsProblem(a.error, zone) };
  }
  const c = classifyAnswers(zone, a.answers);
  if (c.listed.length > 0) return { entry, query, outcome: 'listed', answers: a.answers };
  const first = c.errors[0];
  if (first) return { entry, query, outcome: 'error', answers: a.answers, problem: answerProblem(first) };
  return { entry, query, outcome: 'not-listed', answers: a.answers };
}

/** RFC 5782 §5 self-test of one zone: its "always listed" entry must be, 127.0.0.1/INVALID must not. */
export async function checkOneZoneHealth(zone: Zone, resolve: Resolve, now: () => number = Date.now): Promise<ZoneHealth> {
  const t0 = now();
  const head = { zone: displayZone(zone), id: zone.id, name: zone.name, kind: zone.kind, type: zone.type };
  if (zone.keyZone && !zone.keyed) {
    return { ...head, status: 'not-applicable', message: say('dnsbl.health.needs-key', { zone: zone.keyZone.replace('{key}', 'KEY') }), ms: 0 };
  }
  const tp = testPoints(zone);
  const [positive, negative] = await Promise.all([
    testEntry(resolve, zone, tp.listed, tp.listedName),
    testEntry(resolve, zone, tp.notListed, tp.notListedName),
  ]);
  const ms = now() - t0;
  const r = { ...head, positive, negative, ms };
  if (negative.outcome === 'listed') {
    return { ...r, status: 'lists-everything', message: say('dnsbl.health.lists-everything', { entry: tp.notListed }), fix: say('dnsbl.health.lists-everything.fix') };
  }
  if (positive.outcome === 'error' || positive.outcome === 'timeout') {
    return { ...r, status: positive.outcome, message: positive.problem?.message ?? say('dnsbl.health.test-failed'), ...(positive.problem ? { fix: positive.problem.fix } : {}) };
  }
  if (positive.outcome === 'not-listed') {
    const nothing = negative.outcome === 'not-listed' ? ` ${say('dnsbl.health.no-entries')}` : '';
    return {
      ...r,
      status: 'dead',
      message: `${say('dnsbl.health.dead', { entry: tp.listed })}${nothing}`,
      fix: zone.access === 'registration' ? say('dnsbl.health.dead.fix-registration') : say('dnsbl.health.dead.fix'),
    };
  }
  return { ...r, status: 'ok', message: say('dnsbl.health.ok', { listed: tp.listed, notListed: tp.notListed }) };
}

/** The self-test of every selected zone, all at once. */
export async function checkZoneHealth(opts: Omit<CheckBlocklistsOptions, 'onResult' | 'publicResolver'> & { onResult?: (h: ZoneHealth) => void }): Promise<HealthResult> {
  const zones = selectZones(opts);
  const now = opts.now ?? Date.now;
  const queries: DnsQueryLog[] = [];
  const resolve = withQueryLog(opts.resolve, queries, now);
  const t0 = now();
  const results = await Promise.all(zones.map(async (z) => {
    const h = await checkOneZoneHealth(z, resolve, now);
    opts.onResult?.(h);
    return h;
  }));
  const n = (s: HealthStatus): number => results.filter((h) => h.status === s).length;
  const counts = { total: results.length, ok: n('ok'), dead: n('dead'), listsEverything: n('lists-everything'), error: n('error'), timeout: n('timeout'), notApplicable: n('not-applicable') };
  const bad = counts.dead + counts.listsEverything;
  const tested = counts.total - counts.notApplicable;
  const untested = counts.error + counts.timeout;
  const p = { tested, ok: counts.ok, dead: counts.dead, all: counts.listsEverything, untested, zonesMsg: bad === 1 ? say('dnsbl.zones.one') : say('dnsbl.zones.many', { n: bad }) };
  const summary = tested === 0
    ? say('dnsbl.health.summary.none')
    : bad > 0
      ? say(untested > 0 ? 'dnsbl.health.summary.bad-untested' : 'dnsbl.health.summary.bad', p)
      : say(untested > 0 ? 'dnsbl.health.summary.ok-untested' : 'dnsbl.health.summary.ok', p);
  return { zones: results, counts, summary, queries: queries.map((q) => ({ ...q, name: maskKeys(q.name, zones) })), ms: now() - t0 };
}

// ---------------------------------------------------------------- the common shape

function listingFinding(r: ZoneResult): Finding {
  // Each answer reads back as "answer label" + the zone's meaning (translated data); " · " keeps
  // several answers apart when they are read back (a meaning may hold several sentences).
  const what = r.codes.map((c) => say('common.subject-text', { subjectMsg: `${c.address}${c.label ? ` ${c.label}` : ''}`, textMsg: c.meaning })).join(' · ');
  const where = r.removalUrl ?? r.lookupUrl;
  if (r.effect === 'allow') return { level: 'ok', code: 'dnsbl.allow-listed', message: say('dnsbl.allow-listed', { zone: r.zone, name: r.name, codesMsg: what }) };
  if (r.effect === 'neutral') return { level: 'info', code: 'dnsbl.noted', message: say('dnsbl.noted', { zone: r.zone, name: r.name, codesMsg: what }) };
  return {
    level: 'error',
    code: 'dnsbl.listed',
    message: say('dnsbl.listed', { zone: r.zone, name: r.name, codesMsg: what }),
    fix: where ? say('dnsbl.listed.fix-at', { url: where }) : say('dnsbl.listed.fix-operator'),
  };
}

/** The blocklist result in the shape every check reports in (probe `checks`, exit code 8). */
export function blocklistSummary(r: BlocklistResult): CheckSummary<BlocklistResult> {
  const findings: Finding[] = [];
  for (const z of r.zones) if (z.status === 'listed') findings.push(listingFinding(z));
  // One finding per cause of failure (with its lists), not one per list.
  for (const g of r.failures) {
    findings.push({ level: 'warn', code: g.cause === 'ETIMEOUT' ? 'dnsbl.timeout' : 'dnsbl.query-error', message: say('common.text-paren', { textMsg: g.message, detail: g.zones.length > 6 ? `${g.zones.slice(0, 6).join(', ')}, …` : g.zones.join(', ') }), fix: g.fix });
  }
  if (r.subjectNote) findings.push({ level: 'info', code: 'dnsbl.non-public-address', message: r.subjectNote });
  const status = r.verdict === 'listed' ? 'fail' : r.verdict === 'error' ? 'error' : r.counts.listedNeutral > 0 ? 'warn' : 'pass';
  return {
    check: 'dnsbl',
    status,
    result: r.verdict === 'error' ? 'error' : r.verdict,
    subject: r.subject,
    summary: r.summary,
    findings,
    details: r,
    queries: r.queries,
  };
}
