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

/** Every sentence of the check, in one place (to move to the message catalogue). */
export const DANE_TEXT = {
  none: (host: string, name: string) => `${host} publishes no TLSA record at ${name}: DANE is not used for it`,
  noneFix: () => 'optional: with a DNSSEC-signed zone, a TLSA record (e.g. "3 1 1" + the SHA-256 of the server key) lets senders require and authenticate TLS (RFC 7672)',
  dnsError: (name: string, code: string) => `the TLSA lookup of ${name} failed (${code}); senders that validate DNSSEC defer mail to this host while it fails`,
  dnsErrorFix: () => 'make the name servers of the zone answer TLSA queries (NODATA or NXDOMAIN when there is none, never SERVFAIL or a timeout)',
  notAuthenticated: (name: string) => `the TLSA records of ${name} were read but not authenticated: the resolver did not set the AD bit (DNSSEC-validated); senders use TLSA records only from a signed zone`,
  notAuthenticatedFix: () => 'sign the zone with DNSSEC (and check with a validating resolver, --resolver); unsigned TLSA records have no effect',
  unusable: (rec: string, why: string) => `TLSA ${rec} is unusable: ${why}`,
  unusableFix: () => 'publish "3 1 1" (DANE-EE, SHA-256 of the public key) or "2 1 1" (DANE-TA, SHA-256 of the issuing CA key) records',
  allUnusable: (name: string) => `no TLSA record of ${name} is usable: senders still require TLS to this host but cannot authenticate it`,
  noStartTls: (at: string) => `${at}: TLSA records are published but the server does not offer STARTTLS; DANE senders will not deliver there`,
  noStartTlsFix: (host: string) => `offer STARTTLS on ${host}, or remove the TLSA records`,
  tlsFailed: (at: string, why: string) => `${at}: TLSA records are published but STARTTLS did not complete (${why}); DANE senders will not deliver there`,
  tlsFailedFix: () => 'fix the TLS set-up of the server (certificate and key, protocol versions)',
  noMatch: (at: string, why: string) => `${at}: no usable TLSA record matches the certificate chain the server presented${why ? ` (${why})` : ''}; DANE-validating senders will not deliver there`,
  noMatchFix: (suggest: string) => `publish a TLSA record for the certificate in use${suggest ? `, e.g. "${suggest}"` : ''}, and keep old and new records during a key rollover`,
  matched: (at: string, rec: string, what: string) => `${at}: TLSA ${rec} matches ${what}`,
  noSessions: (name: string) => `the TLSA records of ${name} were not compared with a certificate: no STARTTLS session to port 25 of this host was made`,
} as const;

const USAGE_01 = 'usages 0 (PKIX-TA) and 1 (PKIX-EE) are not used for SMTP (RFC 7672 §3.1.3)';

/** Why a sender ignores this record (RFC 7671 §4.1, RFC 7672 §3.1.3), or undefined when usable. */
export function unusableReason(r: TlsaRecord): string | undefined {
  if (isMalformedTlsa(r)) return `the RDATA is malformed (${r.malformed})`;
  if (r.usage === 0 || r.usage === 1) return USAGE_01;
  if (r.usage > 3) return `certificate usage ${r.usage} is not defined`;
  if (r.selector > 1) return `selector ${r.selector} is not defined`;
  if (r.matchingType > 2) return `matching type ${r.matchingType} is not defined`;
  const want = DIGEST_OCTETS[r.matchingType];
  if (want !== undefined && r.data.length !== want * 2) return `a ${MATCHING_NAMES[r.matchingType]} digest is ${want} octets, this one ${r.data.length / 2}`;
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
  if (!leaf) return { matched: false, reason: 'the server sent no certificate' };
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
      if (c.presented === false) { notes.push(`${r.text} matches ${c.subject}, but the server did not send it (it is in the local trust store); senders need it in the chain the server sends`); continue; }
      const linked = t.chain.slice(1, i + 1).every((x) => x.signsPrevious === true);
      if (!linked) { notes.push(`${r.text} matches ${c.subject}, which does not sign the chain down to the leaf`); continue; }
      // §3.2.2: the reference identifiers are the MX host name and the next-hop (recipient) domain.
      if (!leaf.subjectAltNames.some((s) => names.some((n) => sanMatches(s, n)))) { notes.push(`${r.text} matches the CA ${c.subject}, but the leaf certificate does not name ${names.join(' or ')}`); continue; }
      if (leaf.daysLeft < 0) { notes.push(`${r.text} matches the CA ${c.subject}, but the leaf certificate has expired`); continue; }
      return { matched: true, match: { record: r.text, depth: i, subject: c.subject } };
    }
  }
  if (recs.some((x) => x.usage === 2) && t.chain.filter((x) => x.presented !== false).length < 2 && notes.length === 0) notes.push('DANE-TA records need the CA certificate in the chain the server sends, and it sent only its own');
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
      return { ...base, status: 'none', summary: 'no TLSA records', authenticated: null, records: [], sessions: [], findings: [{ level: 'info', code: 'dane.none', message: DANE_TEXT.none(host, name), fix: DANE_TEXT.noneFix() }] };
    }
    return { ...base, status: 'error', summary: `the TLSA lookup failed (${code})`, authenticated: null, records: [], sessions: [], dnsError: code, findings: [{ level: 'error', code: 'dane.dns-error', message: DANE_TEXT.dnsError(name, code), fix: DANE_TEXT.dnsErrorFix() }] };
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
      one.reason = 'no STARTTLS offered';
      findings.push({ level: 'error', code: 'dane.no-starttls', message: DANE_TEXT.noStartTls(at), fix: DANE_TEXT.noStartTlsFix(host) });
    } else if (!s.tls) {
      one.reason = 'STARTTLS did not complete';
      findings.push({ level: 'error', code: 'dane.tls-failed', message: DANE_TEXT.tlsFailed(at, one.reason), fix: DANE_TEXT.tlsFailedFix() });
    } else if (usable.length > 0) {
      const refNames = [host, ...(deps.domain && deps.domain.toLowerCase().replace(/\.$/, '') !== host ? [deps.domain.toLowerCase().replace(/\.$/, '')] : [])];
      Object.assign(one, judgeTls(refNames, usable, s.tls));
      if (one.matched && one.match) {
        const what = one.match.depth === 0 ? `the server's own certificate (${one.match.subject})` : `the CA certificate ${one.match.subject} at depth ${one.match.depth}, which chains the leaf`;
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
  const counts = `${records.length} TLSA record(s), ${usable.length} usable${authenticated ? ', DNSSEC-validated' : ', not authenticated (no AD bit)'}`;
  const matchWord = judged.length === 0 ? 'no session to compare'
    : judged.some((x) => !x.starttls) ? 'the server offers no STARTTLS'
      : judged.some((x) => !x.tls) ? 'STARTTLS did not complete'
        : judged.every((x) => x.matched) ? 'the certificate matches'
          : usable.length === 0 ? 'nothing usable to match' : 'no record matches the certificate presented';
  return { ...base, status, summary: `${counts}; ${matchWord}`, authenticated, records, sessions: judged, findings };
}
