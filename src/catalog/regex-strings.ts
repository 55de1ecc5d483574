// Literal strings a regex source stands for, read from its text without running it: the
// strings every match starts with (leadingStrings, for gating a regex by a needle search in the
// word scan) and the whole language of a regex that matches only a few strings (finiteLanguage,
// so that it is tested with indexOf instead of a regex). Pure.
import { closeAt, isLookaround, META, quantAt, splitTopLevel } from './regex-literals.js';

/** The literal strings an atom at `i` can consume (null: too many or not literal), and its end. */
function atomOptions(s: string, i: number): { opts: string[] | null; end: number; group?: string } {
  const c = s[i] as string;
  if (c === '[') {
    const end = closeAt(s, i);
    const body = s.slice(i + 1, end);
    if (body.startsWith('^')) return { opts: null, end };
    const chars: string[] = [];
    for (let j = 0; j < body.length; j++) {
      let ch = body[j] as string;
      if (ch === '\\') {
        const n = body[j + 1] ?? '';
        if (/[A-Za-z0-9]/.test(n)) return { opts: null, end };
        ch = n;
        j++;
      }
      if (body[j + 1] === '-' && j + 2 < body.length) {
        const to = body.charCodeAt(j + 2);
        if (body[j + 2] === '\\' || to - ch.charCodeAt(0) > 12) return { opts: null, end };
        for (let u = ch.charCodeAt(0); u <= to; u++) chars.push(String.fromCharCode(u));
        j += 2;
      } else chars.push(ch);
    }
    return { opts: chars.length > 0 && chars.length <= 12 ? [...new Set(chars)] : null, end };
  }
  if (c === '(') {
    const end = closeAt(s, i);
    if (isLookaround(s, i)) return { opts: [''], end };
    const inner = s[i + 1] === '?' ? (s[i + 2] === '<' ? s.indexOf('>', i) + 1 : i + 3) : i + 1;
    return { opts: null, end, group: s.slice(inner, end) };
  }
  if (c === '\\') {
    const n = s[i + 1] ?? '';
    if (n === 'd') return { opts: '0123456789'.split(''), end: i + 1 };
    if (n === 'b' || n === 'B') return { opts: [''], end: i + 1 };
    if (/[A-Za-z0-9]/.test(n)) return { opts: null, end: i + 1 };
    return { opts: [n], end: i + 1 };
  }
  if (c === '^' || c === '$') return { opts: [''], end: i };
  if (c === '.' || c === '|' || c === ')') return { opts: null, end: i };
  return { opts: [c], end: i };
}

interface Lead { strs: string[]; complete: boolean }

/**
 * The strings a match of `seq` (no top-level `|`) starts with: literal units, small classes,
 * groups and optional parts are expanded; a string stops growing once it is `need` units long
 * and the next atom branches, or at `max`. `complete`: the strings are whole matches of `seq`.
 */
function lead(seq: string, need: number, max: number, limit: number): Lead | null {
  let cur = [''];
  const done: string[] = [];
  let i = 0;
  while (i < seq.length && cur.length > 0) {
    const a = atomOptions(seq, i);
    let opts = a.opts;
    let complete = true;
    if (a.group !== undefined) {
      const shortest = cur.reduce((m, x) => Math.min(m, x.length), Infinity);
      const alts = splitTopLevel(a.group).map((g) => lead(g, Math.max(1, need - shortest), max, limit));
      if (alts.every((x) => x !== null)) {
        opts = [...new Set(alts.flatMap((x) => (x as Lead).strs))];
        complete = alts.every((x) => (x as Lead).complete);
      }
    }
    const o = opts;
    const stop = (x: string): boolean => x.length >= max || (x.length >= need && (o === null || o.length > 1));
    for (const x of cur) if (stop(x)) done.push(x);
    cur = cur.filter((x) => !stop(x));
    if (o === null) return { strs: [...done, ...cur], complete: false };
    const q = quantAt(seq, a.end + 1);
    const qc = seq[a.end + 1];
    const braces = qc === '{' && q.len > 0 ? /^\{([0-9]*)(,[0-9]*)?\}/.exec(seq.slice(a.end + 1)) : null;
    const reps = braces ? Number(braces[1] || 0) : q.optional ? 0 : 1;
    // Repeated beyond `reps` (*, +, {n,m}): the expansion ends after this atom.
    let more = braces ? braces[2] !== undefined && braces[2] !== `,${braces[1]}` : qc === '*' || qc === '+';
    const grow = (from: string[]): string[] => from.flatMap((x) => o.map((y) => x + y));
    let next = cur;
    for (let r = 0; r < reps; r++) {
      next = grow(next);
      if (next.length > limit) return null;
      if (r + 1 < reps && next.every((x) => x.length >= need)) {
        more = true;
        break;
      }
    }
    // An optional atom: with and without it.
    if (reps === 0) next = [...new Set([...cur, ...grow(cur)])];
    if (next.length + done.length > limit) return null;
    cur = next;
    if (!complete || more) return { strs: [...done, ...cur], complete: false };
    i = a.end + 1 + q.len;
  }
  return { strs: [...done, ...cur], complete: done.length === 0 && i >= seq.length };
}

/**
 * Strings at least one of which every match of regex `src` contains (each match starts with
 * one of the strings expanded from its start; those containing a shorter one are dropped), each
 * at least `min` units long and at most `max`, or null when the source begins too widely (".",
 * \w, a large or negated class, an unbounded repeat before `min` units). For gating a regex by
 * a needle search.
 */
export function leadingStrings(src: string, min = 3, max = 8, limit = 256): string[] | null {
  const out = new Set<string>();
  for (const alt of splitTopLevel(src)) {
    const l = lead(alt, min, max, limit);
    if (!l) return null;
    for (const x of l.strs) {
      if (x.length < Math.min(min, 2)) return null;
      out.add(x.slice(0, max));
    }
  }
  // A string containing another is redundant: the shorter one is found wherever it is.
  const all = [...out].sort((x, z) => x.length - z.length);
  return all.filter((x, k) => !all.slice(0, k).some((y) => x.includes(y)));
}

// Finite languages: a regex whose matches are a few literal strings is tested without a regex.

const PLAIN = /[^\\()[\]{}.*+?^$|]+/y;

/** The strings `src` matches, when they are at most `limit` (with '' when it can match empty). */
function lang(src: string, limit: number): string[] | null {
  const out = new Set<string>();
  for (const alt of splitTopLevel(src)) {
    let cur = [''];
    // Plain units are gathered and appended at once (most of a branch is plain text).
    let run = '';
    const flush = (): void => {
      if (run) cur = cur.map((x) => x + run);
      run = '';
    };
    let i = 0;
    while (i < alt.length) {
      // A stretch of plain characters at once (not its last one when a quantifier follows).
      PLAIN.lastIndex = i;
      const p = PLAIN.exec(alt);
      if (p) {
        const q = alt[i + p[0].length];
        const take = q === '?' || q === '*' || q === '+' || q === '{' ? p[0].length - 1 : p[0].length;
        if (take > 0) {
          run += p[0].slice(0, take);
          i += take;
          continue;
        }
      }
      const c = alt[i] as string;
      let opts: string[] | null = null;
      let end = i;
      if (c === '(') {
        end = closeAt(alt, i);
        if (alt[i + 1] === '?' && alt[i + 2] !== ':') return null;
        opts = lang(alt.slice(alt[i + 1] === '?' ? i + 3 : i + 1, end), limit);
      } else if (c === '[') {
        end = closeAt(alt, i);
        const a = atomOptions(alt, i);
        opts = a.opts && a.opts.every((o) => o.length === 1) ? a.opts : null;
      } else if (c === '\\') {
        const n = alt[i + 1] ?? '';
        if (/[A-Za-z0-9]/.test(n) || n === '') return null;
        opts = [n];
        end = i + 1;
      } else if (!META.has(c) && c !== ']' && c !== '}') opts = [c];
      if (!opts) return null;
      const o = opts;
      const q = alt[end + 1];
      if (o.length === 1 && q !== '?' && q !== '{' && q !== '*' && q !== '+') {
        run += o[0] as string;
        i = end + 1;
        continue;
      }
      flush();
      const grow = (from: string[]): string[] => from.flatMap((x) => o.map((y) => x + y));
      if (q === '?') {
        cur = [...cur, ...grow(cur)];
        i = end + 2 + (alt[end + 2] === '?' ? 1 : 0);
      } else if (q === '{') {
        const m = /^\{([0-9]+)\}/.exec(alt.slice(end + 1));
        if (!m || Number(m[1]) > 8) return null;
        for (let r = 0; r < Number(m[1]); r++) cur = grow(cur);
        i = end + 1 + m[0].length;
      } else if (q === '*' || q === '+') return null;
      else {
        cur = grow(cur);
        i = end + 1;
      }
      if (cur.length > limit) return null;
    }
    flush();
    for (const x of cur) out.add(x);
    if (out.size > limit) return null;
  }
  return [...out];
}

/**
 * The literal strings regex `src` matches (case-sensitively, no assertions), or null when it
 * matches more than `limit` strings, the empty string, or anything a literal set cannot say.
 */
export function finiteLanguage(src: string, limit = 24): string[] | null {
  const l = lang(src, limit);
  return l && !l.includes('') ? l : null;
}
