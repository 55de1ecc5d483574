// SPF macro strings (RFC 7208 §7): the syntax check of a macro-string, a domain-spec's end and an
// explain-string, and their expansion (letters s l o d i p v h, exp-only c r t, the digit and "r"
// transformers, delimiters, upper-case URL escaping, %% %_ %-). Expansion takes everything it
// needs in a context, including %{p}'s lookup as a function: this module never queries DNS,
// never reads the clock itself and never throws on bad input (syntax problems are returned).
import { say } from '../catalog/messages.js';

/** Where a macro-string appears decides which letters and characters it may hold (§7.1). */
export type MacroMode =
  /** domain-spec of a mechanism, redirect= or exp=: letters s l o d i p v h only. */
  | 'domain'
  /** the value of an unknown modifier: any macro-letter, no spaces (ABNF macro-string). */
  | 'modifier'
  /** the TXT record named by exp=: all letters, spaces allowed (explain-string). */
  | 'explain';

export type MacroToken =
  | { kind: 'literal'; text: string }
  | {
      kind: 'macro';
      /** Lower-cased letter. */
      letter: MacroLetter;
      /** Upper-case letter: the expansion is URL-escaped (§7.3). */
      escape: boolean;
      /** Keep this many right-hand parts; undefined keeps all. */
      digits?: number;
      reverse: boolean;
      /** Split characters; '.' when none are given. */
      delimiters: string;
      raw: string;
    };

export type MacroLetter = 's' | 'l' | 'o' | 'd' | 'i' | 'p' | 'v' | 'h' | 'c' | 'r' | 't';

export type MacroParse =
  | { ok: true; tokens: MacroToken[] }
  | { ok: false; error: string; at: number };

const DOMAIN_LETTERS = 'slodipvh';
const ALL_LETTERS = 'slodipvhcrt';
/** delimiter = "." / "-" / "+" / "," / "/" / "_" / "=" (§7.1) */
const DELIMITERS = '.-+,/_=';

/** Read a macro-string (or explain-string) into tokens, or say where its syntax breaks (§7.1). */
export function parseMacroString(s: string, mode: MacroMode): MacroParse {
  const tokens: MacroToken[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit) tokens.push({ kind: 'literal', text: lit });
    lit = '';
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const code = ch.charCodeAt(0);
    if (ch !== '%') {
      // macro-literal = %x21-24 / %x26-7E (visible ASCII except "%"); explain-string adds SP.
      if ((code >= 0x21 && code <= 0x7e) || (code === 0x20 && mode === 'explain')) {
        lit += ch;
        continue;
      }
      return { ok: false, error: code > 0x7e ? say('spf.macro.non-ascii') : say('spf.macro.bad-char', { charMsg: describe(ch) }), at: i };
    }
    const next = s[i + 1];
    // "%%" / "%_" / "%-" (§7.1): a percent sign, a space, a URL-encoded space.
    if (next === '%') { lit += '%'; i++; continue; }
    if (next === '_') { lit += ' '; i++; continue; }
    if (next === '-') { lit += '%20'; i++; continue; }
    if (next !== '{') {
      // §7.1: "A '%' character not followed by a '{', '%', '-', or '_' character is a syntax error."
      return { ok: false, error: next === undefined ? say('spf.macro.percent') : say('spf.macro.percent-not', { charMsg: describe(next) }), at: i };
    }
    const end = s.indexOf('}', i + 2);
    if (end === -1) return { ok: false, error: say('spf.macro.unclosed'), at: i };
    const body = s.slice(i + 2, end);
    const raw = s.slice(i, end + 1);
    // macro-expand = "%{" macro-letter transformers *delimiter "}"; transformers = *DIGIT [ "r" ]
    const m = /^([A-Za-z])(\d*)([rR]?)(.*)$/.exec(body);
    if (!m) return { ok: false, error: say('spf.macro.no-letter', { macro: raw }), at: i };
    const [, L = '', digits = '', rev = '', delims = ''] = m;
    const letter = L.toLowerCase();
    const allowed = mode === 'domain' ? DOMAIN_LETTERS : ALL_LETTERS;
    if (!allowed.includes(letter)) {
      return {
        ok: false,
        error: ALL_LETTERS.includes(letter)
          ? say('spf.macro.explain-only', { letter: L, macro: raw })
          : say('spf.macro.bad-letter', { letter: L, macro: raw }),
        at: i,
      };
    }
    for (const d of delims) {
      if (!DELIMITERS.includes(d)) return { ok: false, error: say('spf.macro.bad-delimiter', { charMsg: describe(d), macro: raw }), at: i };
    }
    let n: number | undefined;
    if (digits) {
      n = Number(digits.length > 6 ? '999999' : digits);
      // §7.3: "If a DIGIT is specified, the value MUST be nonzero."
      if (n === 0) return { ok: false, error: say('spf.macro.zero', { macro: raw }), at: i };
    }
    flush();
    tokens.push({
      kind: 'macro',
      letter: letter as MacroLetter,
      escape: L !== letter,
      ...(n === undefined ? {} : { digits: n }),
      reverse: rev !== '',
      delimiters: delims || '.',
      raw,
    });
    i = end;
  }
  flush();
  return { ok: true, tokens };
}

function describe(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c < 0x20 || c === 0x7f) return say('spf.char.control', { hex: `0x${c.toString(16).padStart(2, '0')}` });
  if (c === 0x20) return say('spf.char.space');
  return `"${ch}"`;
}

/** True when the string holds a macro (anything with "%{"), i.e. it depends on the sender or IP. */
export function hasMacro(s: string): boolean {
  return s.includes('%{');
}

/** toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
const TOPLABEL = /^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])$/;

/**
 * domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand
 * (§7.1). Returns null when valid, else why not. An all-numeric last label is the common
 * mistake of writing an IP address where a name belongs (a:192.0.2.1), so it is named.
 */
export function checkDomainSpec(spec: string): string | null {
  if (spec === '') return say('spf.spec.empty');
  const p = parseMacroString(spec, 'domain');
  if (!p.ok) return p.error;
  const last = p.tokens[p.tokens.length - 1];
  if (last?.kind === 'macro') return null;
  // "%%", "%_" and "%-" are macro-expands too (§7.1), so a domain-spec may end in one.
  if (endsWithEscape(spec)) return null;
  const body = spec.endsWith('.') ? spec.slice(0, -1) : spec;
  const dot = body.lastIndexOf('.');
  if (dot === -1) return say('spf.spec.no-dot', { spec });
  const top = body.slice(dot + 1);
  if (/^\d+$/.test(top)) return /^\d+(\.\d+){3}$/.test(body) ? say('spf.spec.ip', { spec }) : say('spf.spec.digits', { top });
  if (!TOPLABEL.test(top)) return say('spf.spec.bad-top', { top });
  return null;
}

/** True when the string ends with a complete "%%", "%_" or "%-" escape (counting escapes from the left). */
function endsWithEscape(spec: string): boolean {
  let i = 0;
  let lastWasEscape = false;
  while (i < spec.length) {
    if (spec[i] === '%' && i + 1 < spec.length && '%_-'.includes(spec[i + 1] as string)) { i += 2; lastWasEscape = true; continue; }
    lastWasEscape = false;
    i++;
  }
  return lastWasEscape;
}

export interface MacroContext {
  /** <sender> with "postmaster" already put in for an empty local-part (§4.3). */
  sender: string;
  /** <domain>: the domain whose record is being evaluated. */
  domain: string;
  /** %{i} text (dotted quad, or IPv6 nibbles). */
  ipDotted: string;
  /** %{c} text (dotted quad, or RFC 5952). */
  ipReadable: string;
  /** %{v}: "in-addr" or "ip6". */
  ipVersion: 'in-addr' | 'ip6';
  /** %{h}: the HELO/EHLO name. */
  helo: string;
  /** %{r}: the checking host's name; "unknown" when not known (§7.3). */
  receiver?: string;
  /** %{t}: seconds since the epoch. */
  timestamp?: number;
  /** %{p}: the validated domain name of the IP, or "unknown" (§7.3); looked up only when used. */
  validatedName?: () => Promise<string>;
}

/** §7.3: upper-case macro letters are URL-escaped; everything outside unreserved is %HH. */
export function urlEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function localPart(sender: string): string {
  const at = sender.lastIndexOf('@');
  return at === -1 ? 'postmaster' : sender.slice(0, at) || 'postmaster';
}

function senderDomain(sender: string): string {
  const at = sender.lastIndexOf('@');
  return at === -1 ? sender : sender.slice(at + 1);
}

async function letterValue(letter: MacroLetter, ctx: MacroContext): Promise<string> {
  switch (letter) {
    case 's': return ctx.sender;
    case 'l': return localPart(ctx.sender);
    case 'o': return senderDomain(ctx.sender);
    case 'd': return ctx.domain;
    case 'i': return ctx.ipDotted;
    case 'c': return ctx.ipReadable;
    case 'v': return ctx.ipVersion;
    case 'h': return ctx.helo;
    case 'p': return ctx.validatedName ? ctx.validatedName() : 'unknown';
    case 'r': return ctx.receiver || 'unknown';
    case 't': return String(ctx.timestamp ?? 0);
  }
}

/**
 * §7.3: split on the delimiters (default "."), reverse when asked, keep the right-most
 * `digits` parts, rejoin with "." (not the original splitting characters). Without any
 * transformer or delimiter the value is used exactly as it is.
 */
export function transform(value: string, t: { digits?: number; reverse: boolean; delimiters: string }): string {
  let parts = value.split(new RegExp(`[${t.delimiters.replace(/[-\\\]^]/g, '\\$&')}]`));
  if (t.reverse) parts = parts.reverse();
  if (t.digits !== undefined && t.digits < parts.length) parts = parts.slice(parts.length - t.digits);
  return parts.join('.');
}

/** Expand parsed tokens. Asynchronous only because of %{p}. */
export async function expandTokens(tokens: readonly MacroToken[], ctx: MacroContext): Promise<string> {
  let out = '';
  for (const t of tokens) {
    if (t.kind === 'literal') { out += t.text; continue; }
    const value = await letterValue(t.letter, ctx);
    const plain = t.digits === undefined && !t.reverse && t.delimiters === '.' ? value : transform(value, t);
    out += t.escape ? urlEscape(plain) : plain;
  }
  return out;
}

export type MacroExpansion = { ok: true; value: string } | { ok: false; error: string };

/** Parse and expand in one step. */
export async function expandMacroString(s: string, mode: MacroMode, ctx: MacroContext): Promise<MacroExpansion> {
  const p = parseMacroString(s, mode);
  if (!p.ok) return { ok: false, error: p.error };
  return { ok: true, value: await expandTokens(p.tokens, ctx) };
}

/**
 * §7.3: an expanded name longer than 253 characters loses labels from the left until it
 * fits; a trailing dot is ignored for domains (§7.3 / the test suite's trailing-dot-domain).
 */
export function truncateDomain(name: string): string {
  let n = name.endsWith('.') ? name.slice(0, -1) : name;
  while (n.length > 253) {
    const dot = n.indexOf('.');
    if (dot === -1) break;
    n = n.slice(dot + 1);
  }
  return n;
}
