// Address syntax for recipient verification: an RFC 5321 Mailbox (dot-string or quoted
// local part; domain or address literal), also written as an RFC 5322 name-addr
// ("Bob <bob@example.com>"); IDN domains become A-labels (node:url domainToASCII); RFC 6531
// UTF-8 local parts are allowed and marked, to be sent only where SMTPUTF8 is offered.
// Pure: returns the normalized address or one clear error, never throws on input.
import net from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import { say } from '../catalog/messages.js';

/** RFC 5321 §4.5.3.1.1 */
export const MAX_LOCAL_OCTETS = 64;
/** RFC 5321 §4.5.3.1.2 */
export const MAX_DOMAIN_OCTETS = 255;
/** RFC 5321 §4.5.3.1.3: a path is 256 octets with its angle brackets (RFC 3696 erratum 1690). */
export const MAX_ADDRESS_OCTETS = 254;
/** Anything longer is not an address (and is not worth parsing). */
export const MAX_INPUT_CHARS = 1024;

export interface MailAddress {
  /** The mailbox as sent in RCPT TO: local part (quoted only when it must be) @ A-label domain. */
  address: string;
  /** The local part as sent (quoted form when it needs quotes). */
  local: string;
  /** The domain in A-label (ASCII) form, lower case; "[192.0.2.1]" for an address literal. */
  domain: string;
  /** The domain for people (U-labels); equals `domain` when it is ASCII. */
  domainUnicode: string;
  /** For an address literal: the IP address to talk to. */
  literal?: string;
  /** The local part has non-ASCII characters: only a server offering SMTPUTF8 may see it. */
  utf8: boolean;
}

export type ParsedAddress = { ok: true; value: MailAddress } | { ok: false; error: string };

// RFC 5321 §4.1.2 atext (RFC 5322 §3.2.3), plus RFC 6531 §3.3 UTF8-non-ascii.
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]+$/u;
const DOT_STRING = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]+)*$/u;
const ASCII = /^[\x00-\x7f]*$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const octets = (s: string): number => Buffer.byteLength(s, 'utf8');
const fail = (error: string): ParsedAddress => ({ ok: false, error });

function isDotString(s: string): boolean {
  return DOT_STRING.test(s);
}

/** Unescape a quoted local part's content; undefined if it breaks the RFC 5321 qcontent rules. */
function quotedContent(inner: string): string | undefined {
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i] as string;
    if (c === '\\') {
      const n = inner[i + 1];
      // quoted-pairSMTP = %d92 %d32-126 (and UTF-8 under RFC 6531)
      if (n === undefined || CONTROL.test(n)) return undefined;
      out += n;
      i++;
    } else if (c === '"') {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

/** The local part as it must be written: bare when it is a dot-string, else quoted with escapes. */
export function formatLocalPart(content: string): string {
  if (isDotString(content)) return content;
  return `"${content.replace(/(["\\])/g, '\\$1')}"`;
}

/** Split "local@domain" at the @ that is not inside the quoted local part. */
function splitAtSign(s: string): { local: string; domain: string } | undefined {
  if (s.startsWith('"')) {
    for (let i = 1; i < s.length; i++) {
      if (s[i] === '\\') i++;
      else if (s[i] === '"') {
        if (s[i + 1] !== '@') return undefined;
        return { local: s.slice(0, i + 1), domain: s.slice(i + 2) };
      }
    }
    return undefined;
  }
  const at = s.lastIndexOf('@');
  if (at < 0) return undefined;
  return { local: s.slice(0, at), domain: s.slice(at + 1) };
}

/** "Bob <bob@x>" or "<bob@x>" → "bob@x" (RFC 5322 name-addr); anything else as given. */
function stripNameAddr(s: string): string {
  if (!s.endsWith('>')) return s;
  const m = /^(?:"(?:[^"\\]|\\.)*"|[^<>"]*)\s*<([^<>]*)>$/.exec(s);
  return m ? (m[1] ?? '').trim() : s;
}

function parseDomain(raw: string): { domain: string; unicode: string; literal?: string } | string {
  if (raw === '') return say('verify.address.domain-missing');
  if (raw.startsWith('[')) {
    const m = /^\[(?:IPv6:([0-9A-Fa-f:.]+)|([0-9.]+))\]$/.exec(raw);
    if (!m) return say('verify.address.literal-bad', { value: raw });
    const ip = m[1] ?? m[2] ?? '';
    if (m[1] !== undefined ? !net.isIPv6(ip) : !net.isIPv4(ip)) return say('verify.address.literal-ip', { value: raw });
    const lit = m[1] !== undefined ? `[IPv6:${ip.toLowerCase()}]` : `[${ip}]`;
    return { domain: lit, unicode: lit, literal: ip.toLowerCase() };
  }
  if (raw.endsWith('.')) return say('verify.address.domain-dot', { value: raw });
  if (net.isIPv4(raw)) return say('verify.address.domain-ip', { value: raw });
  if (/(?:^|\.)[0-9]+$/.test(raw)) return say('verify.address.domain-numeric', { value: raw });
  const ascii = domainToASCII(raw);
  if (ascii === '') return say('verify.address.domain-idna', { value: raw });
  if (octets(ascii) > MAX_DOMAIN_OCTETS) return say('verify.address.domain-long', { max: MAX_DOMAIN_OCTETS });
  const labels = ascii.split('.');
  if (labels.length < 2) return say('verify.address.domain-single', { value: raw });
  for (const label of labels) {
    if (label.length > 63) return say('verify.address.label-long');
    if (!LABEL.test(label)) return say('verify.address.label-bad', { value: raw, label });
  }
  return { domain: ascii, unicode: ascii.includes('xn--') ? domainToUnicode(ascii) || ascii : ascii };
}

/** "mailto:bob@x?subject=hi" (RFC 6068) → "bob@x"; percent-escapes decoded; anything else as given. */
function stripMailto(s: string): string | { error: string } {
  const m = /^mailto:([^?#]*)(?:[?#].*)?$/i.exec(s);
  if (!m) return s;
  const to = m[1] ?? '';
  if (to.includes(',')) return { error: say('verify.address.mailto-many') };
  try {
    return decodeURIComponent(to);
  } catch {
    return { error: say('verify.address.mailto-escape') };
  }
}

/** Parse one address as a person would type it (also "Name <addr>" and "mailto:addr"). Never throws. */
export function parseAddress(input: string): ParsedAddress {
  if (input.length > MAX_INPUT_CHARS) return fail(say('verify.address.input-long', { max: MAX_INPUT_CHARS }));
  if (/[\r\n\0]/.test(input)) return fail(say('verify.address.crlf'));
  const unlinked = stripMailto(stripNameAddr(input.trim()));
  if (typeof unlinked !== 'string') return fail(unlinked.error);
  if (/[\r\n\0]/.test(unlinked)) return fail(say('verify.address.crlf'));
  const s = stripNameAddr(unlinked.trim());
  if (s === '') return fail(say('verify.address.empty'));
  if (CONTROL.test(s)) return fail(say('verify.address.control'));
  const parts = splitAtSign(s);
  if (!parts) return fail(say('verify.address.no-form', { value: s }));
  const { local: rawLocal, domain: rawDomain } = parts;
  if (rawLocal === '') return fail(say('verify.address.local-empty'));

  let content: string;
  if (rawLocal.startsWith('"')) {
    const inner = rawLocal.endsWith('"') && rawLocal.length >= 2 ? quotedContent(rawLocal.slice(1, -1)) : undefined;
    if (inner === undefined) return fail(say('verify.address.quoted-bad', { value: rawLocal }));
    content = inner;
  } else {
    if (rawLocal.startsWith('.') || rawLocal.endsWith('.')) return fail(say('verify.address.local-dot-ends'));
    if (rawLocal.includes('..')) return fail(say('verify.address.local-dots'));
    if (rawLocal.includes('@')) return fail(say('verify.address.many-at'));
    if (!isDotString(rawLocal)) {
      const bad = [...rawLocal].find((c) => c !== '.' && !ATEXT.test(c));
      return fail(say('verify.address.local-char', { char: bad ?? '?' }));
    }
    content = rawLocal;
  }
  // RFC 6532 §3.1: UTF-8 text should be in NFC, so the same name is the same bytes.
  const utf8 = !ASCII.test(content);
  if (utf8) content = content.normalize('NFC');
  const local = formatLocalPart(content);
  if (octets(local) > MAX_LOCAL_OCTETS) return fail(say('verify.address.local-long', { n: octets(local), max: MAX_LOCAL_OCTETS }));

  const d = parseDomain(rawDomain);
  if (typeof d === 'string') return fail(d);
  const address = `${local}@${d.domain}`;
  if (octets(address) > MAX_ADDRESS_OCTETS) return fail(say('verify.address.long', { n: octets(address), max: MAX_ADDRESS_OCTETS }));
  const value: MailAddress = { address, local, domain: d.domain, domainUnicode: d.unicode, utf8 };
  if (d.literal) value.literal = d.literal;
  return { ok: true, value };
}

/** The local part without quotes, lower case and without a +tag: what role lists compare. */
export function baseLocalPart(a: MailAddress): string {
  let s = a.local.startsWith('"') ? (quotedContent(a.local.slice(1, -1)) ?? a.local) : a.local;
  const plus = s.indexOf('+');
  if (plus > 0) s = s.slice(0, plus);
  return s.toLowerCase();
}
