// Address syntax for recipient verification: an RFC 5321 Mailbox (dot-string or quoted
// local part; domain or address literal), also written as an RFC 5322 name-addr
// ("Bob <bob@example.com>"); IDN domains become A-labels (node:url domainToASCII); RFC 6531
// UTF-8 local parts are allowed and marked, to be sent only where SMTPUTF8 is offered.
// Pure: returns the normalized address or one clear error, never throws on input.
import net from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';

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
  if (raw === '') return 'the domain is missing after the @';
  if (raw.startsWith('[')) {
    const m = /^\[(?:IPv6:([0-9A-Fa-f:.]+)|([0-9.]+))\]$/.exec(raw);
    if (!m) return `"${raw}" is not an address literal this tool can use ([192.0.2.1] or [IPv6:2001:db8::1])`;
    const ip = m[1] ?? m[2] ?? '';
    if (m[1] !== undefined ? !net.isIPv6(ip) : !net.isIPv4(ip)) return `"${raw}" is not a valid IP address literal`;
    const lit = m[1] !== undefined ? `[IPv6:${ip.toLowerCase()}]` : `[${ip}]`;
    return { domain: lit, unicode: lit, literal: ip.toLowerCase() };
  }
  if (raw.endsWith('.')) return `the domain "${raw}" ends with a dot`;
  if (net.isIPv4(raw)) return `"${raw}" is an IP address: write it as an address literal, [${raw}]`;
  if (/(?:^|\.)[0-9]+$/.test(raw)) return `the domain "${raw}" ends in an all-numeric label, which no top-level domain is`;
  const ascii = domainToASCII(raw);
  if (ascii === '') return `the domain "${raw}" is not a valid domain name (IDNA rejects it)`;
  if (octets(ascii) > MAX_DOMAIN_OCTETS) return `the domain is longer than ${MAX_DOMAIN_OCTETS} octets (RFC 5321 §4.5.3.1.2)`;
  const labels = ascii.split('.');
  if (labels.length < 2) return `the domain "${raw}" has a single label; a mail domain on the internet has at least two (example.com)`;
  for (const label of labels) {
    if (label.length > 63) return `the domain has a label longer than 63 octets (RFC 1035 §2.3.4)`;
    if (!LABEL.test(label)) return `the domain "${raw}" has an invalid label "${label}" (letters, digits and inner hyphens only)`;
  }
  return { domain: ascii, unicode: ascii.includes('xn--') ? domainToUnicode(ascii) || ascii : ascii };
}

/** "mailto:bob@x?subject=hi" (RFC 6068) → "bob@x"; percent-escapes decoded; anything else as given. */
function stripMailto(s: string): string | { error: string } {
  const m = /^mailto:([^?#]*)(?:[?#].*)?$/i.exec(s);
  if (!m) return s;
  const to = m[1] ?? '';
  if (to.includes(',')) return { error: 'the mailto: link names more than one address; give them one by one' };
  try {
    return decodeURIComponent(to);
  } catch {
    return { error: 'the mailto: link has a broken %-escape' };
  }
}

/** Parse one address as a person would type it (also "Name <addr>" and "mailto:addr"). Never throws. */
export function parseAddress(input: string): ParsedAddress {
  if (input.length > MAX_INPUT_CHARS) return fail(`the input is longer than ${MAX_INPUT_CHARS} characters, far beyond any address`);
  if (/[\r\n\0]/.test(input)) return fail('the address contains a CR, LF or NUL character');
  const unlinked = stripMailto(stripNameAddr(input.trim()));
  if (typeof unlinked !== 'string') return fail(unlinked.error);
  if (/[\r\n\0]/.test(unlinked)) return fail('the address contains a CR, LF or NUL character');
  const s = stripNameAddr(unlinked.trim());
  if (s === '') return fail('the address is empty');
  if (CONTROL.test(s)) return fail('the address contains a control character');
  const parts = splitAtSign(s);
  if (!parts) return fail(`"${s}" is not an address of the form local-part@domain`);
  const { local: rawLocal, domain: rawDomain } = parts;
  if (rawLocal === '') return fail('the local part (before the @) is empty');

  let content: string;
  if (rawLocal.startsWith('"')) {
    const inner = rawLocal.endsWith('"') && rawLocal.length >= 2 ? quotedContent(rawLocal.slice(1, -1)) : undefined;
    if (inner === undefined) return fail(`the quoted local part ${rawLocal} is not closed properly or has a bare quote or backslash`);
    content = inner;
  } else {
    if (rawLocal.startsWith('.') || rawLocal.endsWith('.')) return fail('the local part starts or ends with a dot (RFC 5321 §4.1.2)');
    if (rawLocal.includes('..')) return fail('the local part has two dots in a row; quote it if it is really meant ("a..b"@example.com)');
    if (rawLocal.includes('@')) return fail('the address has more than one @ outside quotes');
    if (!isDotString(rawLocal)) {
      const bad = [...rawLocal].find((c) => c !== '.' && !ATEXT.test(c));
      return fail(`the local part has the character "${bad ?? '?'}", which is only allowed inside quotes ("…"@example.com)`);
    }
    content = rawLocal;
  }
  // RFC 6532 §3.1: UTF-8 text should be in NFC, so the same name is the same bytes.
  const utf8 = !ASCII.test(content);
  if (utf8) content = content.normalize('NFC');
  const local = formatLocalPart(content);
  if (octets(local) > MAX_LOCAL_OCTETS) return fail(`the local part is ${octets(local)} octets, more than the ${MAX_LOCAL_OCTETS} allowed (RFC 5321 §4.5.3.1.1)`);

  const d = parseDomain(rawDomain);
  if (typeof d === 'string') return fail(d);
  const address = `${local}@${d.domain}`;
  if (octets(address) > MAX_ADDRESS_OCTETS) return fail(`the address is ${octets(address)} octets, more than the ${MAX_ADDRESS_OCTETS} allowed (RFC 5321 §4.5.3.1.3)`);
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
