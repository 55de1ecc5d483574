// One SPF record (RFC 7208 §4.5, §4.6, §5, §6, §12 ABNF): selecting "v=spf1" records among TXT
// answers, parsing a record into mechanisms (qualifier, domain-spec, CIDR lengths) and modifiers
// (redirect, exp, unknown ones), every syntax problem as a finding, and the publishing risks
// (ptr, +all, ?all, no all, terms after all, size over 512 bytes). Pure: it never queries DNS and
// never throws; whatever the input, the result is a ParsedSpfRecord.
import { say } from '../catalog/messages.js';
import type { Finding } from './types.js';
import { checkDomainSpec, parseMacroString } from './spf-macro.js';
import { hasHostBits, parseIp4, parseIp6 } from './spf-ip.js';

export type SpfQualifier = '+' | '-' | '~' | '?';
export type SpfMechanismName = 'all' | 'include' | 'a' | 'mx' | 'ptr' | 'ip4' | 'ip6' | 'exists';

export interface SpfMechanism {
  kind: 'mechanism';
  /** The term as written in the record. */
  text: string;
  qualifier: SpfQualifier;
  name: SpfMechanismName;
  /** include, exists (required); a, mx, ptr (optional: the current domain when absent). */
  domainSpec?: string;
  /** ip4 / ip6 network as written. */
  network?: string;
  networkBytes?: Uint8Array;
  /** ip4-cidr-length (ip4, a, mx); default 32. */
  cidr4?: number;
  /** ip6-cidr-length (ip6, a, mx); default 128. */
  cidr6?: number;
}

export interface SpfModifier {
  kind: 'modifier';
  text: string;
  /** Lower-cased name: 'redirect', 'exp' or an unknown modifier's name. */
  name: string;
  value: string;
}

export type SpfTerm = SpfMechanism | SpfModifier;

export interface ParsedSpfRecord {
  text: string;
  /** Length in octets (RFC 7208 §3.4 asks that answers fit 512 octets). */
  bytes: number;
  /** False when check_host() must return permerror: any syntax error anywhere (§4.6). */
  valid: boolean;
  /** The terms that parsed, in order (bad terms are left out and reported in `errors`). */
  terms: SpfTerm[];
  mechanisms: SpfMechanism[];
  redirect?: SpfModifier;
  exp?: SpfModifier;
  /** Syntax errors: each makes the record a permerror. */
  errors: Finding[];
  /** Legal but risky or useless constructions. */
  warnings: Finding[];
}

/** Terms that cause DNS queries and count toward the limit of 10 (RFC 7208 §4.6.4). */
export const DNS_TERMS: ReadonlySet<string> = new Set(['include', 'a', 'mx', 'ptr', 'exists', 'redirect']);
export const SPF_LOOKUP_LIMIT = 10;
export const SPF_VOID_LIMIT = 2;
/** §3.4: records SHOULD keep the DNS answer within 512 octets. */
export const SPF_RECORD_SIZE_LIMIT = 512;

/** §4.5: "exactly 'v=spf1'" (case-insensitive, as ABNF strings are), ended by SP or the record's end. */
export function isSpfRecord(txt: string): boolean {
  return /^v=spf1(?: |$)/i.test(txt);
}

/** The TXT answers that are SPF records (§4.5): others are ignored. More than one is a permerror. */
export function selectSpfRecords(txts: readonly string[]): string[] {
  return txts.filter(isSpfRecord);
}

export function isDnsTerm(t: SpfTerm): boolean {
  return t.kind === 'mechanism' ? DNS_TERMS.has(t.name) : t.name === 'redirect';
}

const MECHANISMS: ReadonlySet<string> = new Set(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists']);
/** name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "=" (§12). */
const MODIFIER = /^([A-Za-z][A-Za-z0-9\-_.]*)=([\s\S]*)$/;

/** ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT), ip6: 0*2DIGIT; no leading zeros (§12). */
function cidr(digits: string, max: number, term: string, errs: string[]): number | undefined {
  if (!/^(?:0|[1-9]\d*)$/.test(digits) || Number(digits) > max) {
    errs.push(say('spf.term.bad-prefix', { term, digits, max }));
    return undefined;
  }
  return Number(digits);
}

function parseTerm(t: string, errs: string[]): SpfTerm | null {
  const mod = MODIFIER.exec(t);
  if (mod) {
    const name = (mod[1] as string).toLowerCase();
    const value = mod[2] as string;
    if (name === 'redirect' || name === 'exp') {
      // redirect = "redirect" "=" domain-spec; explanation = "exp" "=" domain-spec (§6.1, §6.2)
      const why = checkDomainSpec(value);
      if (why) { errs.push(say('spf.term.problem', { term: t, problemMsg: why })); return null; }
    } else {
      // unknown-modifier = name "=" macro-string: ignored, but its syntax must hold (§6, §12)
      const p = parseMacroString(value, 'modifier');
      if (!p.ok) { errs.push(say('spf.term.problem', { term: t, problemMsg: p.error })); return null; }
    }
    return { kind: 'modifier', text: t, name, value };
  }
  const m = /^([+\-~?]?)([A-Za-z0-9]*)([\s\S]*)$/.exec(t) as RegExpExecArray;
  const qualifier = (m[1] || '+') as SpfQualifier;
  const name = (m[2] as string).toLowerCase();
  const rest = m[3] as string;
  if (!MECHANISMS.has(name)) {
    if (name === 'redirect' || name === 'exp') errs.push(say('spf.term.modifier-colon', { term: t, name }));
    else if (name === '') errs.push(say('spf.term.neither', { term: t }));
    else errs.push(say('spf.term.unknown', { term: t, name }));
    return null;
  }
  const mech: SpfMechanism = { kind: 'mechanism', text: t, qualifier, name: name as SpfMechanismName };
  const before = errs.length;
  switch (name) {
    case 'all':
      // all = "all" (§5.1): nothing may follow
      if (rest !== '') errs.push(say('spf.term.all-argument', { term: t }));
      break;
    case 'include':
    case 'exists': {
      // include = "include" ":" domain-spec; exists = "exists" ":" domain-spec (§5.2, §5.7)
      if (!rest.startsWith(':')) { errs.push(say('spf.term.needs-domain', { term: t, name })); break; }
      mech.domainSpec = rest.slice(1);
      const why = checkDomainSpec(mech.domainSpec);
      if (why) errs.push(`"${t}": ${why}`);
      break;
    }
    case 'ptr': {
      // PTR = "ptr" [ ":" domain-spec ] (§5.5)
      if (rest === '') break;
      if (!rest.startsWith(':')) { errs.push(say('spf.term.ptr-prefix', { term: t })); break; }
      mech.domainSpec = rest.slice(1);
      const why = checkDomainSpec(mech.domainSpec);
      if (why) errs.push(`"${t}": ${why}`);
      break;
    }
    case 'a':
    case 'mx': {
      // a = "a" [ ":" domain-spec ] [ dual-cidr-length ]; same for mx (§5.3, §5.4)
      // dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
      let body = rest;
      if (body !== '' && !body.startsWith(':') && !body.startsWith('/')) { errs.push(say('spf.term.unexpected', { term: t, name })); break; }
      let spec: string | undefined;
      if (body.startsWith(':')) {
        const parts = /^([\s\S]*?)((?:\/\d+)?(?:\/\/\d+)?)$/.exec(body.slice(1)) as RegExpExecArray;
        spec = parts[1] as string;
        body = parts[2] as string;
      }
      const c = /^(?:\/(\d+))?(?:\/\/(\d+))?$/.exec(body);
      if (!c) { errs.push(say('spf.term.bad-dual-prefix', { term: t })); break; }
      if (c[1] !== undefined) mech.cidr4 = cidr(c[1], 32, t, errs);
      if (c[2] !== undefined) mech.cidr6 = cidr(c[2], 128, t, errs);
      if (spec !== undefined) {
        mech.domainSpec = spec;
        const why = checkDomainSpec(spec);
        if (why) errs.push(`"${t}": ${why}`);
      }
      break;
    }
    case 'ip4':
    case 'ip6': {
      // ip4 = "ip4" ":" ip4-network [ ip4-cidr-length ]; ip6 likewise (§5.6)
      if (!rest.startsWith(':')) { errs.push(say('spf.term.needs-address', { term: t, name })); break; }
      const nm = /^([^/]*)(?:\/(\d+))?$/.exec(rest.slice(1));
      if (!nm) { errs.push(say(name === 'ip4' ? 'spf.term.bad-prefix-length' : 'spf.term.bad-prefix-ip6', { term: t })); break; }
      const addr = nm[1] as string;
      const bytes = name === 'ip4' ? parseIp4(addr) : parseIp6(addr);
      if (!bytes) {
        errs.push(say(name === 'ip4' ? 'spf.term.not-ipv4' : 'spf.term.not-ipv6', { term: t, address: addr }));
        break;
      }
      mech.network = addr;
      mech.networkBytes = bytes;
      if (nm[2] !== undefined) {
        const v = cidr(nm[2], name === 'ip4' ? 32 : 128, t, errs);
        if (name === 'ip4') mech.cidr4 = v; else mech.cidr6 = v;
      }
      break;
    }
  }
  return errs.length > before ? null : mech;
}

/** Parse one record. `text` should be a record selected by isSpfRecord (a wrong version is an error). */
export function parseSpfRecord(text: string): ParsedSpfRecord {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const terms: SpfTerm[] = [];
  const bytes = Buffer.byteLength(text, 'utf8');
  const err = (code: string, message: string, fix?: string): void => { errors.push({ level: 'error', code, message, ...(fix ? { fix } : {}) }); };
  const warn = (code: string, message: string, fix?: string, level: 'warn' | 'info' = 'warn'): void => {
    warnings.push({ level, code, message, ...(fix ? { fix } : {}) });
  };

  if (!isSpfRecord(text)) {
    err('spf.version', say('spf.rec.version'));
    return { text, bytes, valid: false, terms, mechanisms: [], errors, warnings };
  }
  // §3.1 / §12: records are 7-bit ASCII; terms are separated by SP only (§4.6.1), so a tab,
  // CR or LF inside the record is not a separator but a bad character in a term.
  if (/[^\x20-\x7e]/.test(text)) {
    const bad = /[^\x20-\x7e]/.exec(text) as RegExpExecArray;
    const c = bad[0].charCodeAt(0);
    err('spf.syntax', c > 0x7e ? say('spf.rec.non-ascii', { pos: bad.index + 1 }) : say('spf.rec.control-char', { hex: `0x${c.toString(16).padStart(2, '0')}`, pos: bad.index + 1 }),
      say('spf.rec.ascii.fix'));
  }
  const raw = text.slice(6).split(' ').filter((t) => t !== '');
  const termErrors: string[] = [];
  for (const t of raw) {
    const term = parseTerm(t, termErrors);
    if (term) terms.push(term);
  }
  for (const m of termErrors) err('spf.syntax', say('spf.rec.syntax-error', { errorMsg: m }));

  const mechanisms = terms.filter((t): t is SpfMechanism => t.kind === 'mechanism');
  const mods = terms.filter((t): t is SpfModifier => t.kind === 'modifier');
  let redirect: SpfModifier | undefined;
  let exp: SpfModifier | undefined;
  for (const m of mods) {
    if (m.name !== 'redirect' && m.name !== 'exp') continue;
    // §6: "These two modifiers MUST NOT appear in a record more than once each."
    if ((m.name === 'redirect' ? redirect : exp) !== undefined) {
      err('spf.duplicate-modifier', say('spf.rec.duplicate-modifier', { name: m.name }), say('spf.rec.duplicate-modifier.fix', { name: m.name }));
      continue;
    }
    if (m.name === 'redirect') redirect = m; else exp = m;
  }

  // Publishing risks (only meaningful for a record that parses).
  const allIdx = mechanisms.findIndex((m) => m.name === 'all');
  const all = allIdx === -1 ? undefined : mechanisms[allIdx];
  if (all?.qualifier === '+') {
    warn('spf.all-pass', say('spf.rec.all-pass', { term: all.text }), say('spf.rec.all-pass.fix'));
  } else if (all?.qualifier === '?') {
    warn('spf.all-neutral', say('spf.rec.all-neutral', { term: all.text }), say('spf.rec.end-all.fix'));
  }
  if (all && allIdx < mechanisms.length - 1) {
    warn('spf.after-all', say('spf.rec.after-all', { n: mechanisms.length - allIdx - 1, term: all.text }), say('spf.rec.after-all.fix'));
  }
  if (all && redirect) {
    warn('spf.redirect-ignored', say('spf.rec.redirect-ignored', { term: redirect.text }), say('spf.rec.redirect-ignored.fix'));
  }
  if (!all && !redirect && errors.length === 0) {
    warn('spf.no-all', say('spf.rec.no-all'), say('spf.rec.end-all.fix'));
  }
  for (const m of mechanisms) {
    if (m.name === 'ptr') {
      warn('spf.ptr-deprecated', say('spf.rec.ptr-deprecated', { term: m.text }), say('spf.rec.ptr-deprecated.fix'));
    }
    if (m.networkBytes) {
      const prefix = m.name === 'ip4' ? m.cidr4 ?? 32 : m.cidr6 ?? 128;
      if (hasHostBits(m.networkBytes, prefix)) {
        warn('spf.host-bits', say('spf.rec.host-bits', { term: m.text, prefix }), say('spf.rec.host-bits.fix'), 'info');
      }
    }
  }
  for (const m of mods) {
    if (m.name !== 'redirect' && m.name !== 'exp') {
      warn('spf.unknown-modifier', say('spf.rec.unknown-modifier', { term: m.text }), undefined, 'info');
    }
  }
  if (bytes > SPF_RECORD_SIZE_LIMIT) {
    warn('spf.record-size', say('spf.rec.size', { bytes, limit: SPF_RECORD_SIZE_LIMIT }), say('spf.rec.size.fix'));
  }
  return { text, bytes, valid: errors.length === 0, terms, mechanisms, ...(redirect ? { redirect } : {}), ...(exp ? { exp } : {}), errors, warnings };
}

/** DNS-querying terms a record's evaluation can reach: mechanisms up to the first "all", and
 *  redirect= only when there is no "all" (§5.1, §6.1). */
export function reachableTerms(rec: ParsedSpfRecord): SpfTerm[] {
  const out: SpfTerm[] = [];
  for (const m of rec.mechanisms) {
    out.push(m);
    if (m.name === 'all') return out;
  }
  if (rec.redirect) out.push(rec.redirect);
  return out;
}
