// Regex-source analysis for the word index: which whole words and literal substrings every
// match of a regex branch must contain. Works on the JavaScript regex source text (groups,
// classes, quantifiers, lookarounds, escapes) without running it. Pure and memoised.
import { WORD_CLASS } from './reply-facts.js';

export const WORD = new RegExp(`[${WORD_CLASS}]+`, 'gi');
const WORD_CHAR = new RegExp(`^[${WORD_CLASS}]$`, 'i');

export interface Quant { len: number; optional: boolean }

export function quantAt(s: string, j: number): Quant {
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
export function isLookaround(s: string, i: number): boolean {
  if (s[i + 1] !== '?') return false;
  const c = s[i + 2];
  return c === '=' || c === '!' || (c === '<' && (s[i + 3] === '=' || s[i + 3] === '!'));
}

/** Index of the character closing the group or class opened at `i`. */
export function closeAt(s: string, i: number): number {
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

export const META = new Set('()[]{}.*+?^$|\\'.split(''));

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


/** Forget the analysis memos once every index is built (they only speed up building). */
export function clearAnalysisMemos(): void {
  literalsMemo.clear();
  splitMemo.clear();
  edgesMemo.clear();
}
