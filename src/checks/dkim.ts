// DKIM public keys in DNS (RFC 6376 §3.6, RFC 8301, RFC 8463): the tag-list parser that
// DMARC reuses, key-record validation, the real key size from node:crypto, and checkDkim()
// which looks up the given selectors and a list of common ones all at once. Holds no
// signature verification (there is no message) and never prints; DNS comes in as Resolve.
import { say } from '../catalog/messages.js';
import { createPublicKey } from 'node:crypto';
import selectorsJson from '../../data/dkim-selectors.json' with { type: 'json' };
import { isDnsError, withQueryLog, type DnsErrorCode, type DnsQueryLog, type Resolve } from '../dns/resolver.js';
import { UsageError } from '../errors.js';
import type { CheckStatus, CheckSummary, Finding } from './types.js';

// ---------------------------------------------------------------------------------------
// Tag lists (RFC 6376 §3.2; DMARC records use the same syntax, RFC 7489 §6.4)

export interface Tag { name: string; value: string }

export interface TagList {
  /** Tags in record order; a repeated name keeps only its first occurrence. */
  tags: Tag[];
  /** Syntax problems, in words. Empty when the text is a valid tag-list. */
  errors: string[];
}

// tag-name = ALPHA *ALNUMPUNC (RFC 6376 §3.2); ALNUMPUNC = ALPHA / DIGIT / "_"
const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
// tval = 1*VALCHAR with VALCHAR = %x21-3A / %x3C-7E; FWS may separate tvals.
const TAG_VALUE = /^(?:[\x21-\x3a\x3c-\x7e]+(?:[ \t\r\n]+[\x21-\x3a\x3c-\x7e]+)*)?$/;

/**
 * Parses `tag=value; tag=value;` leniently: every problem becomes an error string and
 * parsing goes on, so a diagnostic can show all of them. Never throws, for any input.
 */
export function parseTagList(text: string): TagList {
  const tags: Tag[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  const parts = text.split(';');
  for (const [i, raw] of parts.entries()) {
    const part = raw.trim();
    if (part === '') {
      // tag-list = tag-spec *( ";" tag-spec ) [ ";" ]: only the last one may be empty.
      if (i !== parts.length - 1 && parts.length > 1) errors.push(say('dkim.tag.empty'));
      continue;
    }
    const eq = part.indexOf('=');
    if (eq < 0) {
      errors.push(say('dkim.tag.not-pair', { part: clip(part) }));
      continue;
    }
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!TAG_NAME.test(name)) {
      errors.push(say('dkim.tag.bad-name', { name: clip(name) }));
      continue;
    }
    if (!TAG_VALUE.test(value)) errors.push(say('dkim.tag.bad-value', { name }));
    // RFC 6376 §3.2: "Tags with duplicate names MUST NOT occur within a single tag-list".
    if (seen.has(name)) {
      errors.push(say('dkim.tag.duplicate', { name }));
      continue;
    }
    seen.add(name);
    tags.push({ name, value });
  }
  return { tags, errors };
}

function clip(s: string, n = 40): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

export function tagMap(list: TagList): Map<string, string> {
  return new Map(list.tags.map((t) => [t.name, t.value]));
}

// ---------------------------------------------------------------------------------------
// Public keys

export type DkimKeyType = 'rsa' | 'ed25519';

export interface PublicKeyFacts {
  type: DkimKeyType;
  bits: number;
  /** How p= was encoded: RFC 6376 wants SPKI for RSA, RFC 8463 §4.2 the raw 32 bytes for ed25519. */
  encoding: 'spki' | 'pkcs1' | 'raw';
}

// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): SEQUENCE, AlgorithmIdentifier
// id-Ed25519 (1.3.101.112), BIT STRING of 33 octets (0 unused bits + 32 key bytes).
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Decodes p= (base64, FWS allowed inside: RFC 6376 §3.6.1) and measures the real key. */
export function inspectPublicKey(p: string, k: string): { facts?: PublicKeyFacts; error?: string } {
  const b64 = p.replace(/[ \t\r\n]+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) return { error: say('dkim.key.bad-base64') };
  const der = Buffer.from(b64, 'base64');
  if (der.length === 0) return { error: say('dkim.key.empty') };
  if (k === 'ed25519') {
    let spki: Buffer;
    let encoding: PublicKeyFacts['encoding'] = 'raw';
    if (der.length === 32) spki = Buffer.concat([ED25519_SPKI_PREFIX, der]);
    else if (der.length === 44 && der.subarray(0, 12).equals(ED25519_SPKI_PREFIX)) { spki = der; encoding = 'spki'; }
    else return { error: say('dkim.key.ed25519-size', { n: der.length }) };
    try {
      const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
      if (key.asymmetricKeyType !== 'ed25519') return { error: say('dkim.key.not-ed25519') };
      return { facts: { type: 'ed25519', bits: 256, encoding } };
    } catch (e) {
      return { error: say('dkim.key.ed25519-parse', { error: (e as Error).message }) };
    }
  }
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      if (key.asymmetricKeyType !== 'rsa') return { error: say('dkim.key.not-rsa', { type: key.asymmetricKeyType ?? 'non-RSA' }) };
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      return { facts: { type: 'rsa', bits, encoding: type } };
    } catch {
      // try the next encoding
    }
  }
  return { error: say('dkim.key.not-rsa-key') };
}

// ---------------------------------------------------------------------------------------
// Key records

export type DkimSelectorStatus = 'ok' | 'weak' | 'invalid' | 'revoked' | 'testing' | 'not-found' | 'error';

export interface DkimSelectorResult {
  selector: string;
  /** The DNS name asked: <selector>._domainkey.<domain>. */
  name: string;
  /** Given with --dkim-selector (a miss matters), or one of the common selectors (a miss is normal). */
  requested: boolean;
  status: DkimSelectorStatus;
  keyType: DkimKeyType | null;
  keyBits: number | null;
  /** The key record as published (TXT strings joined). */
  record?: string;
  /** t=y: the domain is testing DKIM (RFC 6376 §3.6.1). */
  testing: boolean;
  /** h=: the hash algorithms the key may be used with (absent = all). */
  hashes?: string[];
  findings: Finding[];
  dnsError?: DnsErrorCode;
}

/** RFC 8301 §3.2: verifiers MUST NOT consider signatures with RSA keys under 1024 bits valid. */
export const RSA_MIN_BITS = 1024;
/** RFC 8301 §3.2: signers SHOULD use at least 2048 bits. */
export const RSA_GOOD_BITS = 2048;

/**
 * Judges one TXT answer at <selector>._domainkey.<domain>: syntax (RFC 6376 §3.6.1), key
 * type, real key size, revocation, testing flag, hash and service restrictions.
 */
export function evaluateKeyRecord(selector: string, name: string, record: string, requested: boolean): DkimSelectorResult {
  const findings: Finding[] = [];
  const out: DkimSelectorResult = { selector, name, requested, status: 'ok', keyType: null, keyBits: null, record, testing: false, findings };
  const list = parseTagList(record);
  const tags = tagMap(list);
  let invalid = false;
  const bad = (code: string, message: string, fix?: string): void => {
    invalid = true;
    findings.push({ level: 'error', code, message, ...(fix ? { fix } : {}) });
  };
  for (const e of list.errors) bad('dkim.syntax', say('dkim.syntax', { errorMsg: e }), say('dkim.syntax.fix'));

  // v= is optional, but if present "MUST be set to DKIM1" and be the first tag (§3.6.1).
  const v = tags.get('v');
  if (v !== undefined) {
    if (v !== 'DKIM1') bad('dkim.bad-version', say('dkim.bad-version', { v }), say('dkim.bad-version.fix'));
    else if (list.tags[0]?.name !== 'v') bad('dkim.version-not-first', say('dkim.version-not-first'), say('dkim.version-not-first.fix'));
  }

  // k= defaults to rsa; ed25519 per RFC 8463. Unknown key types are unusable.
  const k = (tags.get('k') ?? 'rsa').toLowerCase();
  if (k !== 'rsa' && k !== 'ed25519') bad('dkim.unknown-key-type', say('dkim.unknown-key-type', { k }));

  // h= restricts the hash algorithms. RFC 8301 §3.1: rsa-sha1 MUST NOT be used for verifying.
  const h = tags.get('h');
  if (h !== undefined) {
    out.hashes = h.split(':').map((x) => x.trim().toLowerCase()).filter(Boolean);
    if (out.hashes.length > 0 && !out.hashes.includes('sha256')) {
      bad('dkim.sha1-only', say('dkim.sha1-only', { h, hashes: out.hashes.join(', ') }), say('dkim.sha1-only.fix'));
    }
  }

  // s= service types: "*" or "email" must be among them for mail (§3.6.1).
  const s = tags.get('s');
  if (s !== undefined) {
    const services = s.split(':').map((x) => x.trim().toLowerCase());
    if (!services.includes('*') && !services.includes('email')) bad('dkim.not-for-email', say('dkim.not-for-email', { s }), say('dkim.not-for-email.fix'));
  }

  // t= flags: y = testing (verifiers treat failures as unsigned), s = i= must equal d=.
  const flags = (tags.get('t') ?? '').split(':').map((x) => x.trim().toLowerCase());
  if (flags.includes('y')) {
    out.testing = true;
    findings.push({ level: 'warn', code: 'dkim.testing', message: say('dkim.testing'), fix: say('dkim.testing.fix') });
  }

  const n = tags.get('n');
  if (n !== undefined && n !== '') findings.push({ level: 'info', code: 'dkim.notes', message: say('dkim.notes', { text: n }) });

  const p = tags.get('p');
  if (p === undefined) {
    bad('dkim.no-key', say('dkim.no-key'), say('dkim.no-key.fix'));
  } else if (p.replace(/\s+/g, '') === '') {
    // §3.6.1: "An empty value means that this public key has been revoked."
    out.status = 'revoked';
    const f: Finding = { level: requested ? 'error' : 'info', code: 'dkim.revoked', message: say('dkim.revoked') };
    if (requested) f.fix = say('dkim.revoked.fix');
    findings.push(f);
    return out;
  } else if (k === 'rsa' || k === 'ed25519') {
    const r = inspectPublicKey(p, k);
    if (r.error) bad('dkim.bad-key', say('dkim.bad-key', { errorMsg: r.error }), say('dkim.bad-key.fix'));
    if (r.facts) {
      out.keyType = r.facts.type;
      out.keyBits = r.facts.bits;
      if (r.facts.encoding === 'pkcs1') findings.push({ level: 'warn', code: 'dkim.pkcs1-key', message: say('dkim.pkcs1-key'), fix: say('dkim.pkcs1-key.fix') });
      if (r.facts.encoding === 'spki' && r.facts.type === 'ed25519') findings.push({ level: 'warn', code: 'dkim.ed25519-spki', message: say('dkim.ed25519-spki'), fix: say('dkim.ed25519-spki.fix') });
      if (r.facts.type === 'rsa') {
        if (r.facts.bits < RSA_MIN_BITS) {
          bad('dkim.key-too-small', say('dkim.key-too-small', { bits: r.facts.bits, min: RSA_MIN_BITS }), say('dkim.key-too-small.fix', { good: RSA_GOOD_BITS }));
        } else if (r.facts.bits < RSA_GOOD_BITS) {
          findings.push({ level: 'warn', code: 'dkim.key-weak', message: say('dkim.key-weak', { bits: r.facts.bits ?? 0, good: RSA_GOOD_BITS }), fix: say('dkim.key-weak.fix', { good: RSA_GOOD_BITS }) });
          if (!invalid) out.status = 'weak';
        }
      }
    }
  }
  if (invalid) out.status = 'invalid';
  else if (out.status === 'ok' && out.testing) out.status = 'testing';
  if (out.status === 'ok') findings.unshift({ level: 'ok', code: 'dkim.key-ok', message: say('dkim.key-ok', { type: out.keyType === 'ed25519' ? 'Ed25519' : 'RSA', bits: out.keyBits ?? 0 }) });
  return out;
}

// ---------------------------------------------------------------------------------------
// The check

interface SelectorEntry { selector: string; provider: string; source: string }
export const COMMON_SELECTORS: readonly string[] = (selectorsJson as { selectors: SelectorEntry[] }).selectors.map((s) => s.selector);

/** RFC 6376 §3.1: selector = sub-domain *( "." sub-domain ). */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
export function isValidSelector(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split('.').every((l) => LABEL.test(l));
}
export function isValidDomainName(d: string): boolean {
  const x = d.replace(/\.$/, '');
  return x.length > 0 && x.length <= 253 && x.split('.').every((l) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/.test(l));
}

export interface DkimOptions {
  resolve: Resolve;
  /** Selectors the user named (a miss is a problem); the common list is always added. */
  selectors?: readonly string[];
  /** Replace the common list (tests); default COMMON_SELECTORS. */
  commonSelectors?: readonly string[];
}

export interface DkimDetails {
  domain: string;
  selectors: DkimSelectorResult[];
  /** Only the selectors that answered with something (not 'not-found'), in lookup order. */
  found: DkimSelectorResult[];
}

const looksLikeKeyRecord = (txt: string): boolean => /(^|;)\s*p\s*=/.test(txt) || /^\s*v\s*=\s*DKIM1/i.test(txt);

async function lookupSelector(resolve: Resolve, domain: string, selector: string, requested: boolean): Promise<DkimSelectorResult> {
  const name = `${selector}._domainkey.${domain}`;
  const base = { selector, name, requested, keyType: null, keyBits: null, testing: false } as const;
  let txt: string[];
  try {
    txt = await resolve(name, 'TXT');
  } catch (e) {
    if (isDnsError(e) && (e.dnsCode === 'ENOTFOUND' || e.dnsCode === 'ENODATA')) {
      return { ...base, status: 'not-found', findings: requested ? [{ level: 'error', code: 'dkim.selector-not-found', message: say('dkim.selector-not-found', { name, selector }), fix: say('dkim.selector-not-found.fix', { name }) }] : [] };
    }
    const code = isDnsError(e) ? e.dnsCode : 'EBADRESP';
    return { ...base, status: 'error', dnsError: code, findings: [{ level: 'warn', code: 'dkim.dns-error', message: say('dkim.lookup-failed', { name, errorMsg: (e as Error).message.replace(/\.$/, '') }) }] };
  }
  // A wildcard TXT (or an SPF record on a wildcard) answers for every selector; such
  // answers are not key records. RFC 6376 §3.6.2.2 leaves several records undefined.
  const keys = txt.filter(looksLikeKeyRecord);
  if (keys.length === 0) {
    if (!requested) return { ...base, status: 'not-found', findings: [] };
    return { ...base, status: 'invalid', record: txt[0], findings: [{ level: 'error', code: 'dkim.not-a-key', message: say('dkim.not-a-key', { name, text: clip(txt[0] ?? '', 60) }), fix: say('dkim.not-a-key.fix') }] };
  }
  const r = evaluateKeyRecord(selector, name, keys[0]!, requested);
  if (keys.length > 1) {
    r.findings.push({ level: 'warn', code: 'dkim.multiple-records', message: say('dkim.multiple-records', { name, n: keys.length }), fix: say('dkim.multiple-records.fix') });
  }
  return r;
}

const STATUS_RANK: Record<DkimSelectorStatus, number> = { invalid: 6, weak: 5, testing: 4, revoked: 3, error: 2, ok: 1, 'not-found': 0 };

/** Looks up every selector at once (one DNS round trip, whatever the list's length). */
export async function checkDkim(domain: string, opts: DkimOptions): Promise<CheckSummary<DkimDetails>> {
  const d = domain.trim().toLowerCase().replace(/\.$/, '');
  if (!isValidDomainName(d)) throw new UsageError(`"${domain}" is not a domain name`);
  const requested = [...new Set((opts.selectors ?? []).map((s) => s.trim().toLowerCase()))];
  for (const s of requested) if (!isValidSelector(s)) throw new UsageError(`"${s}" is not a valid DKIM selector (RFC 6376 §3.1: dot-separated DNS labels)`);
  const common = (opts.commonSelectors ?? COMMON_SELECTORS).filter((s) => !requested.includes(s));
  const queries: DnsQueryLog[] = [];
  const resolve = withQueryLog(opts.resolve, queries);
  const selectors = await Promise.all([
    ...requested.map((s) => lookupSelector(resolve, d, s, true)),
    ...common.map((s) => lookupSelector(resolve, d, s, false)),
  ]);
  const found = selectors.filter((s) => s.status !== 'not-found' && s.status !== 'error');
  const errors = selectors.filter((s) => s.status === 'error');
  const problems = selectors.filter((s) => s.status === 'invalid' || (s.requested && (s.status === 'not-found' || s.status === 'revoked')));
  const findings: Finding[] = [];
  let status: CheckStatus;
  let summary: string;
  const list = (xs: DkimSelectorResult[]): string => xs.map((x) => x.selector).join(', ');
  if (problems.length > 0) {
    status = 'fail';
    summary = say('dkim.summary.problem', { selectors: list(problems), detailsMsg: problems.map((p) => p.findings.find((f) => f.level === 'error')?.message ?? p.status).join('; ') });
  } else if (found.length === 0 && errors.length > 0) {
    status = 'error';
    // The reasons, not just a count: the distinct error messages of the failed lookups.
    const reasons = [...new Set(errors.map((e) => (e.findings[0]?.message ?? e.dnsError ?? 'unknown error').replace(/^The lookup of \S+ failed: /, '').replace(/\.$/, '')))];
    summary = say('dkim.summary.errors', { n: errors.length, reasonsMsg: `${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? '; …' : ''}` });
  } else if (found.length === 0) {
    status = 'info';
    summary = say('dkim.summary.none', { n: selectors.length, domain: d });
    findings.push({ level: 'info', code: 'dkim.none-found', message: summary, fix: say('dkim.summary.none.fix') });
  } else if (found.some((s) => s.status === 'weak' || s.status === 'testing')) {
    status = 'warn';
    const attention = found.filter((s) => s.status === 'weak' || s.status === 'testing');
    summary = say(found.length > 1 ? 'dkim.summary.attention' : 'dkim.summary.attention-one', { found: list(found), attention: list(attention), whyMsg: attention.map((s) => s.status === 'weak' ? say('dkim.weak-rsa', { bits: s.keyBits ?? 0 }) : say('dkim.testing-mode')).join('; ') });
  } else {
    status = 'pass';
    const usable = found.filter((s) => s.status === 'ok');
    summary = usable.length > 0 ? say(usable.length > 1 ? 'dkim.summary.found' : 'dkim.summary.found-one', { selectors: list(usable), keys: usable.map((s) => `${s.keyType} ${s.keyBits}`).join(', ') }) : say('dkim.summary.revoked-only', { selectors: list(found) });
    if (usable.length === 0) status = 'info';
  }
  // Most important selectors first for the report; lookup order kept in `selectors`.
  const ranked = [...found].sort((a, b) => STATUS_RANK[b.status] - STATUS_RANK[a.status]);
  for (const s of [...ranked, ...selectors.filter((x) => x.requested && x.status === 'not-found'), ...errors]) {
    for (const f of s.findings) findings.push({ ...f, message: say('common.subject-text', { subjectMsg: s.selector, textMsg: f.message }) });
  }
  return {
    check: 'dkim',
    status,
    result: found.length > 0 ? 'found' : errors.length > 0 ? 'temperror' : 'none',
    subject: d,
    summary,
    findings,
    details: { domain: d, selectors, found },
    queries,
  };
}
