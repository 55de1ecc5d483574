// Terminal safety: the one cleaning every peer- or DNS-supplied string gets before it reaches
// a terminal (Postfix printable() idea). printable() cleans one value; terminalSafe() is the
// last guard on a whole rendered output (it keeps our own colour codes, escapes the rest).
// What is dangerous: C0/C1 controls (ESC starts escape sequences), DEL, line/paragraph
// separators, and invisible format characters, bidi overrides and isolates above all.

// Cc: C0, DEL, C1. Cf: format characters (bidi embeddings/overrides/isolates U+202A-U+202E,
// U+2066-U+2069, marks U+200E/U+200F/U+061C, zero-width space, BOM, tag characters...), except
// ZWNJ/ZWJ (U+200C/U+200D), which Indic and Arabic text and emoji need. Zl/Zp: U+2028/U+2029
// break lines on some terminals. Cs: a lone surrogate half (not text at all).
const UNSAFE_CLASS = String.raw`\p{Cc}\p{Zl}\p{Zp}\p{Cs}\p{Cf}`;
const UNSAFE = new RegExp(`(?![\\u200c\\u200d])[${UNSAFE_CLASS}]`, 'gu');
const UNSAFE_ONE = new RegExp(`(?![\\u200c\\u200d])[${UNSAFE_CLASS}]`, 'u');

/** True when `s` holds a character printable() would replace. */
export function hasUnsafe(s: string): boolean {
  return UNSAFE_ONE.test(s);
}

/** One value for the terminal: tabs become a space, every unsafe character '?' (one line). */
export function printable(s: string): string {
  return s.replace(/\t/g, ' ').replace(UNSAFE, '?');
}

/** printable() for text whose line breaks are ours (multi-line messages): '\n' is kept. */
export function printableLines(s: string): string {
  return s.split('\n').map(printable).join('\n');
}

// The only escape sequences our renderers write: chalk's SGR colour codes.
const SGR = /\u001b\[[0-9;]*m/y;
const UNSAFE_OR_ESC = new RegExp(`(?![\\u200c\\u200d\\n\\t])[${UNSAFE_CLASS}]`, 'gu');

/** Every UTF-16 unit as \\uXXXX (a tag character is a surrogate pair: two escapes, as JSON writes it). */
const escapeUnits = (ch: string): string => Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/**
 * The last guard on a whole output (human, JSON, CSV): SGR colour codes, newlines (LF, CRLF)
 * and tabs pass; any other unsafe character is written as a \uXXXX escape. Inside JSON that is
 * the same value (JSON.stringify leaves C1, DEL and bidi characters raw); in text it is visible.
 */
export function terminalSafe(s: string): string {
  return s.replace(UNSAFE_OR_ESC, (ch, offset: number) => {
    if (ch === '\u001b') {
      SGR.lastIndex = offset;
      if (SGR.test(s)) return ch;
    }
    if (ch === '\r' && s[offset + 1] === '\n') return ch; // CRLF: CSV rows (RFC 4180)
    return escapeUnits(ch);
  });
}
