// Regex-source analysis for the word index: which whole words and literal substrings every
// match of a regex branch must contain. Works on the JavaScript regex source text (groups,
// classes, quantifiers, lookarounds, escapes) without running it. Pure and memoised.
import { WORD_CLASS } from './reply-facts.js';

export const WORD = new RegExp(`[${WORD_CLASS}]+`, 'gi');
const WORD_CHAR = new RegExp(`^[${WORD_CLASS}]$`, 'i');

interface Quant { len: number; optional: boolean }

function quantAt(s: string, j: number): Quant {
  const c = s[j];
  if (c === '*' || c === '?') return { len: s[j + 1] === '?' ? 2 : 1, optional: true };
  if (c === '+') return { len: s[j + 1] === '?' ? 2 : 1, optional: false };
  if (c === '{') {
    const m = /^\{([0-9]*)(,[0-9]*)?\}/.exec(s.slice(j, j + 12));
    if (m) return { len: m[0].length + (s[j + m[0].length] === '?' ? 1 : 0), optional: (m[1] ?? '') === '' || Number(m[1]) === 0 };
  }
  return NO_QUANT;
}

const NO_QUANT: Quant = { len: 0, optional: false };

/** Whether the group opened at `i` is a lookaround "(?=", "(?!", "(?<=", "(?<!". */
function isLookaround(s: string, i: number): boolean {
  if (s[i + 1] !== '?') return false;
  const c = s[i + 2];
  return c === '=' || c === '!' || (c === '<' && (s[i + 3] === '=' || s[i + 3] === '!'));
}

/** Index of the character closing the group or class opened at `i`. */
function closeAt(s: string, i: number): number {
  if (s[i] === '[') {
    let j = i + 1;
    if (s[j] === '^') j++;
    if (s[j] === ']') j++;
    for (; j < s.length; j++) {
      if (s[j] === '\\') j++;
      else if (s[j] === ']') return j;
    }
    return s.length - 1;
  }
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') j++;
    else if (c === '[') j = closeAt(s, j);
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return j;
  }
  return s.length - 1;
}

const splitMemo = new Map<string, string[]>();

export function splitTopLevel(src: string): string[] {
  let memo = splitMemo.get(src);
  if (!memo) {
    memo = splitAlternatives(src);
    splitMemo.set(src, memo);
  }
  return memo;
}

function splitAlternatives(src: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let j = 0; j < src.length; j++) {
    const c = src[j];
    if (c === '\\') j++;
    else if (c === '[' || c === '(') j = closeAt(src, j);
    else if (c === '|') {
      out.push(src.slice(start, j));
      start = j + 1;
    }
  }
  out.push(src.slice(start));
  return out;
}

const NON_WORD = (ch: string): boolean => !WORD_CHAR.test(ch);
export const NON_ASCII = /[^\u0000-\u007f]/;

export interface GroupRef { alts: string[]; left: boolean; right: boolean }

export interface BranchLiterals {
  /** Words the branch can only match as whole words (the regex is wrapped in word boundaries). */
  words: string[];
  /** Literal runs the branch always matches, as substrings (case-folded). */
  runs: string[];
  /** Mandatory groups with what surrounds them: one of their alternatives always matches. */
  groups: GroupRef[];
}

const META = new Set('()[]{}.*+?^$|\\'.split(''));

const edgesMemo = new Map<string, boolean>();

/** Whether every alternative of a group's body begins (or ends) with a literal non-word char. */
function edgesNonWord(body: string, end: boolean): boolean {
  const key = `${end ? 1 : 0}${body}`;
  let v = edgesMemo.get(key);
  if (v === undefined) {
    v = edgesOf(body, end);
    edgesMemo.set(key, v);
  }
  return v;
}

function edgesOf(body: string, end: boolean): boolean {
  return splitTopLevel(body).every((alt) => {
    if (alt.length === 0) return false;
    if (end) {
      const last = alt[alt.length - 1] as string;
      const esc = alt.length >= 2 && alt[alt.length - 2] === '\\';
      if (esc) return !/[A-Za-z0-9]/.test(last);
      return !META.has(last) && NON_WORD(last);
    }
    const first = alt[0] as string;
    if (first === '\\') return alt[1] === 's' || alt[1] === 'W' || (alt[1] !== undefined && !/[A-Za-z0-9]/.test(alt[1]));
    return !META.has(first) && NON_WORD(first);
  });
}

const literalsMemo = new Map<string, BranchLiterals>();

/** The literal analysis of a branch, memoised: the index asks for the same branches repeatedly. */
export function branchLiterals(b: string, leftSafe0 = true, rightSafe0 = true): BranchLiterals {
  const key = `${leftSafe0 ? 1 : 0}${rightSafe0 ? 1 : 0}${b}`;
  let lit = literalsMemo.get(key);
  if (!lit) {
    lit = analyseBranch(b, leftSafe0, rightSafe0);
    literalsMemo.set(key, lit);
  }
  return lit;
}

function analyseBranch(b: string, leftSafe0: boolean, rightSafe0: boolean): BranchLiterals {
  const words: string[] = [];
  const runs: string[] = [];
  const groups: GroupRef[] = [];
  let run = '';
  let leftSafe = leftSafe0;
  const flush = (rightSafe: boolean, nextLeftSafe: boolean): void => {
    if (run.length > 0) runs.push(run.toLowerCase());
    WORD.lastIndex = 0;
    for (let m = WORD.exec(run); m !== null; m = WORD.exec(run)) {
      const start = m.index;
      const end = start + m[0].length;
      if ((start > 0 || leftSafe) && (end < run.length || rightSafe)) words.push(m[0].toLowerCase());
    }
    run = '';
    leftSafe = nextLeftSafe;
  };
  /** Is position j (after an atom) followed by a certain non-word character or the branch end? */
  const safeAfter = (j: number): boolean => {
    if (j >= b.length) return rightSafe0;
    const c = b[j] as string;
    if (c === '$') return true;
    if (c === '\\') {
      const n = b[j + 1] ?? '';
      if (n === 's' || n === 'W') return !quantAt(b, j + 2).optional;
      return !/[A-Za-z0-9]/.test(n) && !quantAt(b, j + 2).optional;
    }
    if (c === '(' && !isLookaround(b, j)) {
      const end = closeAt(b, j);
      return edgesNonWord(b.slice(b[j + 1] === '?' ? j + 3 : j + 1, end), false) && (!quantAt(b, end + 1).optional || safeAfter(end + 1 + quantAt(b, end + 1).len));
    }
    return !META.has(c) && NON_WORD(c) && !quantAt(b, j + 1).optional;
  };
  const literal = (ch: string, next: number): number => {
    const q = quantAt(b, next);
    if (q.len === 0) {
      run += ch;
      return next;
    }
    if (!q.optional) run += ch;
    flush(false, false);
    return next + q.len;
  };
  let i = 0;
  while (i < b.length) {
    const c = b[i] as string;
    if (c === '(') {
      const end = closeAt(b, i);
      // Lookarounds take no characters: the text around them is contiguous.
      if (isLookaround(b, i)) {
        i = end + 1;
        continue;
      }
      const body = b.slice(b[i + 1] === '?' ? i + 3 : i + 1, end);
      const q = quantAt(b, end + 1);
      const before = run.length > 0 ? NON_WORD(run[run.length - 1] as string) : leftSafe;
      const after = safeAfter(end + 1 + q.len);
      if (!q.optional && q.len === 0) groups.push({ alts: splitTopLevel(body), left: before, right: after });
      // The run before the group ends at a non-word char when the group starts with one (or is skipped).
      const runRight = edgesNonWord(body, false) && (!q.optional || after);
      const nextLeft = edgesNonWord(body, true) && q.len === 0 ? true : edgesNonWord(body, true) && q.optional && before;
      flush(runRight, nextLeft);
      i = end + 1 + q.len;
      continue;
    }
    if (c === '[') {
      const end = closeAt(b, i);
      const body = b.slice(i + 1, end);
      const q = quantAt(b, end + 1);
      const separator = !body.startsWith('^') && !/\\[dwDSpPbB]/.test(body) && [...body.replace(/\\./g, '')].every(NON_WORD) && !q.optional;
      flush(separator, separator);
      i = end + 1 + q.len;
      continue;
    }
    if (c === '\\') {
      const n = b[i + 1] ?? '';
      if (n === 's' || n === 'W') {
        const q = quantAt(b, i + 2);
        flush(!q.optional, !q.optional);
        i += 2 + q.len;
        continue;
      }
      if (n === 'b') {
        flush(true, true);
        i += 2;
        continue;
      }
      if (/[dDwSBpPuxck0-9]/.test(n)) {
        let len = 2;
        if ((n === 'p' || n === 'P' || n === 'u') && b[i + 2] === '{') len = closeBrace(b, i + 2) - i + 1;
        else if (n === 'x') len = 4;
        else if (n === 'u') len = 6;
        flush(false, false);
        i += len + quantAt(b, i + len).len;
        continue;
      }
      i = literal(n, i + 2);
      continue;
    }
    if (c === '.') {
      flush(false, false);
      i += 1 + quantAt(b, i + 1).len;
      continue;
    }
    if (c === '^' || c === '$') {
      flush(true, true);
      i++;
      continue;
    }
    i = literal(c, i + 1);
  }
  flush(rightSafe0, true);
  return { words, runs, groups };
}

function closeBrace(s: string, i: number): number {
  const j = s.indexOf('}', i);
  return j === -1 ? s.length - 1 : j;
}


// Leading strings: what every match of a regex starts with, for gating a regex by needles.

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

/** The strings `src` matches, when they are at most `limit` (with '' when it can match empty). */
function lang(src: string, limit: number): string[] | null {
  const out = new Set<string>();
  for (const alt of splitTopLevel(src)) {
    let cur = [''];
    let i = 0;
    while (i < alt.length) {
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

/** Forget the analysis memos once every index is built (they only speed up building). */
export function clearAnalysisMemos(): void {
  literalsMemo.clear();
  splitMemo.clear();
  edgesMemo.clear();
}
