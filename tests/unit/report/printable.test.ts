// printable() and terminalSafe(): the one terminal cleaning. Properties over arbitrary
// strings (never a control, escape, bidi or invisible format character out; printable text
// unchanged) plus the named hostile cases; terminalSafe keeps SGR colours and JSON values.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Chalk } from 'chalk';
import { hasUnsafe, printable, printableLines, terminalSafe } from '../../../src/report/printable.js';

// Every character a terminal could act on, spelled out (independent of the module's regex).
const DANGEROUS = [
  ...Array.from({ length: 32 }, (_, i) => i), 0x7f, ...Array.from({ length: 32 }, (_, i) => 0x80 + i),
  0x061c, 0x200b, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e,
  0x2060, 0x2066, 0x2067, 0x2068, 0x2069, 0xfeff, 0xe0001, 0xe0041,
].map((c) => String.fromCodePoint(c));
const isDangerous = (s: string): boolean => DANGEROUS.some((d) => s.includes(d));

const fullChar = fc.integer({ min: 0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c));
// Any string: full Unicode, plus a good share of the dangerous characters.
const anyText = fc.array(fc.oneof(fullChar, fc.constantFrom(...DANGEROUS), fc.constantFrom('\u200c', '\u200d', 'é', 'न्', 'ا', '\ud800')), { maxLength: 40 }).map((a) => a.join(''));
// Printable text: nothing a terminal acts on (letters, marks, symbols, spaces, ZWJ/ZWNJ).
const safeText = fc.array(fc.oneof(
  fullChar.filter((c) => /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(c)),
  fc.constantFrom('\u200c', '\u200d', 'क्ष', 'ü', '日本', '😀'),
), { maxLength: 40 }).map((a) => a.join(''));

describe('printable()', () => {
  it('never lets a control, escape, bidi or invisible format character through (property)', () => {
    fc.assert(fc.property(anyText, (s) => {
      const out = printable(s);
      expect(isDangerous(out)).toBe(false);
      expect(hasUnsafe(out)).toBe(false);
      expect(printable(out)).toBe(out); // idempotent
    }), { numRuns: 2000 });
  });

  it('leaves printable text unchanged (property)', () => {
    fc.assert(fc.property(safeText, (s) => {
      expect(printable(s)).toBe(s);
    }), { numRuns: 2000 });
  });

  it('replaces each dangerous character by one "?"', () => {
    expect(printable('mx\u001b]0;pwned\u0007.evil.test')).toBe('mx?]0;pwned?.evil.test');
    expect(printable('a\u009b31mb')).toBe('a?31mb'); // C1 CSI
    expect(printable('evil\u202Etxt.exe')).toBe('evil?txt.exe');
    expect(printable('\u2066x\u2069 \u200ey\u200f')).toBe('?x? ?y?');
    expect(printable('a\r\nb\tc\u0000')).toBe('a??b c?');
    expect(printable('tag\u{E0041}')).toBe('tag?');
    expect(printable('lone \ud800 half')).toBe('lone ? half');
  });

  it('printableLines keeps our own line breaks and cleans the rest', () => {
    expect(printableLines('one\u001b[2K\ntwo\r')).toBe('one?[2K\ntwo?');
  });
});

describe('terminalSafe()', () => {
  const c = new Chalk({ level: 1 });

  it('keeps chalk colours, newlines and tabs; escapes anything else visibly', () => {
    const coloured = `${c.red('LISTED')}\n\tok`;
    expect(terminalSafe(coloured)).toBe(coloured);
    expect(terminalSafe('x\u001b]8;;http://evil\u0007y')).toBe('x\\u001b]8;;http://evil\\u0007y');
    expect(terminalSafe('a\u202Eb\u{E0041}')).toBe('a\\u202eb\\udb40\\udc41');
    expect(terminalSafe('a,b\r\nc,d\r\n')).toBe('a,b\r\nc,d\r\n'); // CSV rows
    expect(terminalSafe('fake\rline')).toBe('fake\\u000dline');
  });

  it('never leaves a dangerous character outside an SGR sequence (property)', () => {
    fc.assert(fc.property(anyText, (s) => {
      const out = terminalSafe(s).replace(/\u001b\[[0-9;]*m/g, '');
      // CRLF is kept on purpose (CSV rows, see above): a CR is dangerous only on its own.
      expect(isDangerous(out.replace(/\r\n|[\n\t]/g, ''))).toBe(false);
    }), { numRuns: 2000 });
  });

  it('inside JSON it is the same value: parse(terminalSafe(stringify(x))) equals x (property)', () => {
    fc.assert(fc.property(fc.dictionary(anyText, anyText, { maxKeys: 4 }), (x) => {
      const json = terminalSafe(JSON.stringify(x, null, 2));
      expect(JSON.parse(json)).toEqual(x);
      expect(isDangerous(json.replace(/\n/g, ''))).toBe(false);
    }), { numRuns: 1000 });
  });
});
