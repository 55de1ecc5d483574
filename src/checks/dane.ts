// DANE for SMTP (RFC 7672) for one MX host: the `_25._tcp.<host>` TLSA records, each judged
// usable or not (usage, selector, matching type, digest length), whether the resolver said the
// answer was DNSSEC-validated (AD bit), and the match against the certificate chain each of the
// probe's STARTTLS sessions to that host presented. Pure over the injected Resolve; returns
// findings with a level, the evidence and a fix (texts in DANE_TEXT, one place).
import { createHash } from 'node:crypto';
import { isDnsError, withQueryLog, type DnsErrorCode, type DnsQueryLog, type Resolve } from '../dns/resolver.js';
import { isMalformedTlsa, tlsaText, type TlsaRecord } from '../dns/tlsa.js';
import type { CertFacts, TlsFacts } from '../smtp/tls-facts.js';
import type { Finding } from './types.js';
import { say } from '../catalog/messages.js';

export const USAGE_NAMES: Readonly<Record<number, string>> = { 0: 'PKIX-TA', 1: 'PKIX-EE', 2: 'DANE-TA', 3: 'DANE-EE' };
export const SELECTOR_NAMES: Readonly<Record<number, string>> = { 0: 'Cert', 1: 'SPKI' };
export const MATCHING_NAMES: Readonly<Record<number, string>> = { 0: 'Full', 1: 'SHA2-256', 2: 'SHA2-512' };
const DIGEST_OCTETS: Readonly<Record<number, number>> = { 1: 32, 2: 64 };

export interface DaneRecord {
  /** Presentation form: "3 1 1 <hex>", or "\# n <hex>" for RDATA that could not be decoded. */
  text: string;
  usage?: number;
  selector?: number;
  matchingType?: number;
  data?: string;
  usable: boolean;
  /** Why a sender ignores this record. */
  unusable?: string;
}

/** What one session to the host showed, judged as a DANE sender would. */
export interface DaneSession {
  address: string;
  port: number;
  /** The server offered STARTTLS (in its EHLO reply). */
  starttls: boolean;
  /** The TLS handshake completed. */
  tls: boolean;
  /** Some usable record matched the chain presented. */
  matched: boolean;
  /** The matching record and the chain position it matched (0 = the leaf). */
  match?: { record: string; depth: number; subject: string };
  reason?: string;
}

export interface DaneHostResult {
  host: string;
  /** The TLSA owner name, _25._tcp.<host>. */
  name: string;
  /** ok · fail (DANE senders would not deliver) · warn · none (no TLSA) · error (lookup failed). */
  status: 'ok' | 'warn' | 'fail' | 'none' | 'error';
  summary: string;
  /** The resolver set the AD bit: the records were DNSSEC-validated. null when there were none. */
  authenticated: boolean | null;
  records: DaneRecord[];
  sessions: DaneSession[];
  dnsError?: DnsErrorCode;
  findings: Finding[];
  queries: DnsQueryLog[];
}

/** A session's facts the check needs (SessionResult fits). */
export interface DaneSessionInput {
  address: string;
  port: number;
  /** The EHLO reply came (the server could have offered STARTTLS). */
  ehlo: boolean;
  starttls: boolean;
  tls?: TlsFacts;
}

/** Every sentence of the check: keys of data/messages.json (English here, the report localises). */
export const DANE_TEXT = {
  none: (host: string, name: string) => say('dane.none', { host, name }),
  noneFix: () => say('dane.none.fix'),
  dnsError: (name: string, code: string) => say('dane.dns-error', { name, code }),
  dnsErrorFix: () => say('dane.dns-error.fix'),
  notAuthenticated: (name: string) => say('dane.not-authenticated', { name }),
  notAuthenticatedFix: () => say('dane.not-authenticated.fix'),
  unusable: (rec: string, why: string) => say('dane.unusable', { rec, whyMsg: why }),
  unusableFix: () => say('dane.unusable.fix'),
  allUnusable: (name: string) => say('dane.all-unusable', { name }),
  noStartTls: (at: string) => say('dane.no-starttls', { at }),
  noStartTlsFix: (host: string) => say('dane.no-starttls.fix', { host }),
  tlsFailed: (at: string) => say('dane.tls-failed', { at }),
  tlsFailedFix: () => say('dane.tls-failed.fix'),
  noMatch: (at: string, why: string) => (why ? say('dane.no-match.why', { at, whyMsg: why }) : say('dane.no-match', { at })),
  noMatchFix: (suggest: string) => (suggest ? say('dane.no-match.fix', { suggest }) : say('dane.no-match.fix-plain')),
  matched: (at: string, rec: string, what: string) => say('dane.match', { at, rec, whatMsg: what }),
  noSessions: (name: string) => say('dane.no-sessions', { name }),
} as const;


/** Why a sender ignores this record (RFC 7671 §4.1, RFC 7672 §3.1.3), or undefined when usable. */
export function unusableReason(r: TlsaRecord): string | undefined {
  if (isMalformedTlsa(r)) return say('dane.why.malformed', { detailMsg: r.malformed });
  if (r.usage === 0 || r.usage === 1) return say('dane.why.pkix');
  if (r.usage > 3) return say('dane.why.usage', { n: r.usage });
  if (r.selector > 1) return say('dane.why.selector', { n: r.selector });
  if (r.matchingType > 2) return say('dane.why.matching', { n: r.matchingType });
  const want = DIGEST_OCTETS[r.matchingType];
  if (want !== undefined && r.data.length !== want * 2) return say('dane.why.digest-length', { alg: MATCHING_NAMES[r.matchingType] as string, want, got: r.data.length / 2 });
  return undefined;
}

/** Does the usable record `r` match certificate `c`? (Full data compared by its SHA-256.) */
export function recordMatches(r: { selector: number; matchingType: number; data: string }, c: CertFacts): boolean {
  const [d256, d512] = r.selector === 0 ? [c.sha256, c.sha512] : [c.spkiSha256, c.spkiSha512];
  const data = r.data.toLowerCase();
  if (r.matchingType === 1) return d256 !== undefined && d256 === data;
  if (r.matchingType === 2) return d512 !== undefined && d512 === data;
  // Full match: the DER itself is not kept, its SHA-256 is; equal digests mean equal data.
  return d256 !== undefined && createHash('sha256').update(Buffer.from(data, 'hex')).digest('hex') === d256;
}

/** RFC 6125 DNS-ID match of one SAN against the host (one leftmost "*" label). */
function sanMatches(san: string, host: string): boolean {
  const m = /^DNS:(.+)$/i.exec(san.trim());
  if (!m) return false;
  const n = (m[1] as string).toLowerCase().replace(/\.$/, '');
  if (n === host) return true;
  if (!n.startsWith('*.')) return false;
  const rest = n.slice(1);
  return host.endsWith(rest) && !host.slice(0, host.length - rest.length).includes('.') && host.length > rest.length;
}

function judgeTls(names: readonly string[], recs: readonly (DaneRecord & { usable: true })[], t: TlsFacts): Pick<DaneSession, 'matched' | 'match' | 'reason'> {
  const leaf = t.chain[0];
  if (!leaf) return { matched: false, reason: say('dane.note.no-cert') };
  const notes: string[] = [];
  // DANE-EE (RFC 7672 §3.1.1): the leaf alone; its names and dates do not matter.
  for (const r of recs.filter((x) => x.usage === 3)) {
    if (recordMatches(r as Required<DaneRecord>, leaf)) return { matched: true, match: { record: r.text, depth: 0, subject: leaf.subject } };
  }
  // DANE-TA (RFC 7672 §3.1.2): a CA certificate the server sent, which must chain the leaf;
  // then the leaf must carry the host name and be within its dates.
  for (const r of recs.filter((x) => x.usage === 2)) {
    for (let i = 1; i < t.chain.length; i++) {
      const c = t.chain[i] as CertFacts;
      if (!recordMatches(r as Required<DaneRecord>, c)) continue;
      if (c.presented === false) { notes.push(say('dane.note.not-sent', { rec: r.text, subject: c.subject })); continue; }
      const linked = t.chain.slice(1, i + 1).every((x) => x.signsPrevious === true);
      if (!linked) { notes.push(say('dane.note.not-linked', { rec: r.text, subject: c.subject })); continue; }
      // §3.2.2: the reference identifiers are the MX host name and the next-hop (recipient) domain.
      if (!leaf.subjectAltNames.some((s) => names.some((n) => sanMatches(s, n)))) { notes.push(say('dane.note.name', { rec: r.text, subject: c.subject, names: names.join(', ') })); continue; }
      if (leaf.daysLeft < 0) { notes.push(say('dane.note.expired', { rec: r.text, subject: c.subject })); continue; }
      return { matched: true, match: { record: r.text, depth: i, subject: c.subject } };
    }
  }
  if (recs.some((x) => x.usage === 2) && t.chain.filter((x) => x.presented !== false).length < 2 && notes.length === 0) notes.push(say('dane.note.ta-needs-chain'));
  return { matched: false, reason: notes.join('; ') };
}

/** `deps.domain`: the next-hop domain (the probed domain), also a valid name for DANE-TA. */
export async function checkDane(hostIn: string, sessions: readonly DaneSessionInput[], deps: { resolve: Resolve; domain?: string }): Promise<DaneHostResult> {
  const host = hostIn.toLowerCase().replace(/\.$/, '');
  const name = `_25._tcp.${host}`;
  const queries: DnsQueryLog[] = [];
  const resolve = withQueryLog(deps.resolve, queries);
  const base = { host, name, queries };
  let answer: TlsaRecord[];
  try {
    answer = await resolve(name, 'TLSA');
  } catch (e) {
    const code = isDnsError(e) ? e.dnsCode : 'EBADRESP';
    if (code === 'ENOTFOUND' || code === 'ENODATA') {
      return { ...base, status: 'none', summary: say('dane.summary.none'), authenticated: null, records: [], sessions: [], findings: [{ level: 'info', code: 'dane.none', message: DANE_TEXT.none(host, name), fix: DANE_TEXT.noneFix() }] };
    }
    return { ...base, status: 'error', summary: say('dane.summary.dns-error', { code }), authenticated: null, records: [], sessions: [], dnsError: code, findings: [{ level: 'error', code: 'dane.dns-error', message: DANE_TEXT.dnsError(name, code), fix: DANE_TEXT.dnsErrorFix() }] };
  }
  const findings: Finding[] = [];
  const authenticated = answer.every((r) => r.authenticated);
  const records: DaneRecord[] = answer.map((r) => {
    const why = unusableReason(r);
    const fields = isMalformedTlsa(r) ? {} : { usage: r.usage, selector: r.selector, matchingType: r.matchingType, data: r.data };
    return { text: tlsaText(r), ...fields, usable: why === undefined, ...(why ? { unusable: why } : {}) };
  });
  if (!authenticated) findings.push({ level: 'warn', code: 'dane.not-authenticated', message: DANE_TEXT.notAuthenticated(name), fix: DANE_TEXT.notAuthenticatedFix() });
  for (const r of records.filter((x) => !x.usable)) findings.push({ level: 'warn', code: 'dane.unusable-record', message: DANE_TEXT.unusable(r.text, r.unusable as string), fix: DANE_TEXT.unusableFix() });
  const usable = records.filter((x): x is DaneRecord & { usable: true } => x.usable);
  if (usable.length === 0) findings.push({ level: 'warn', code: 'dane.all-unusable', message: DANE_TEXT.allUnusable(name), fix: DANE_TEXT.unusableFix() });

  const judged: DaneSession[] = [];
  for (const s of sessions.filter((x) => x.ehlo || x.tls)) {
    const at = `${host} [${s.address}]:${s.port}`;
    const one: DaneSession = { address: s.address, port: s.port, starttls: s.starttls || s.tls !== undefined, tls: s.tls !== undefined, matched: false };
    if (!one.starttls) {
      one.reason = say('dane.session.no-starttls');
      findings.push({ level: 'error', code: 'dane.no-starttls', message: DANE_TEXT.noStartTls(at), fix: DANE_TEXT.noStartTlsFix(host) });
    } else if (!s.tls) {
      one.reason = say('dane.session.tls-failed');
      findings.push({ level: 'error', code: 'dane.tls-failed', message: DANE_TEXT.tlsFailed(at), fix: DANE_TEXT.tlsFailedFix() });
    } else if (usable.length > 0) {
      const refNames = [host, ...(deps.domain && deps.domain.toLowerCase().replace(/\.$/, '') !== host ? [deps.domain.toLowerCase().replace(/\.$/, '')] : [])];
      Object.assign(one, judgeTls(refNames, usable, s.tls));
      if (one.matched && one.match) {
        const what = one.match.depth === 0 ? say('dane.match.leaf', { subject: one.match.subject }) : say('dane.match.ca', { subject: one.match.subject, depth: one.match.depth });
        findings.push({ level: 'ok', code: 'dane.match', message: DANE_TEXT.matched(at, one.match.record, what) });
      } else {
        const leaf = s.tls.chain[0];
        const suggest = leaf?.spkiSha256 ? `${name}. IN TLSA 3 1 1 ${leaf.spkiSha256}` : '';
        findings.push({ level: 'error', code: 'dane.no-match', message: DANE_TEXT.noMatch(at, one.reason ?? ''), fix: DANE_TEXT.noMatchFix(suggest) });
      }
    }
    judged.push(one);
  }
  if (judged.length === 0) findings.push({ level: 'info', code: 'dane.no-sessions', message: DANE_TEXT.noSessions(name) });

  const status: DaneHostResult['status'] = findings.some((f) => f.level === 'error') ? 'fail' : findings.some((f) => f.level === 'warn') ? 'warn' : 'ok';
  const matchMsg = judged.length === 0 ? say('dane.summary.no-session')
    : judged.some((x) => !x.starttls) ? say('dane.summary.no-starttls')
      : judged.some((x) => !x.tls) ? say('dane.session.tls-failed')
        : judged.every((x) => x.matched) ? say('dane.summary.matches')
          : usable.length === 0 ? say('dane.summary.nothing-usable') : say('dane.summary.no-match');
  const summary = say('dane.summary', { n: records.length, usable: usable.length, authMsg: say(authenticated ? 'dane.summary.validated' : 'dane.summary.not-authenticated'), matchMsg });
  return { ...base, status, summary, authenticated, records, sessions: judged, findings };
}
