// Concept rules of reply-text recognition (data/reply-concepts.json): the last text evidence,
// below every written pattern. A rule names one or two concepts ("person" near "missing"); each
// concept is a list of words per language. A text holding the concepts close together in one
// clause, in either order, is evidence for the rule's reason: this reads paraphrases and other
// languages' word orders that no single pattern spells out. The text's words are looked up in
// maps and tries (one pass over the words), not tested against thousands of alternatives.
// Pure: no I/O, never throws on peer text.
import concepts from '../../data/reply-concepts.json' with { type: 'json' };
import { WORD_CLASS } from './reply-facts.js';
import { isWordUnit } from './word-scan.js';
import { withoutOptionalMarks } from './reply-normalize.js';
import type { Reason } from './pattern-compiler.js';

export interface ConceptRule {
  id: string;
  reason: Reason;
  /** One concept (the concept alone is the evidence) or two (both, close together). */
  near: string[];
  priority: number;
  weak?: boolean;
  source: string;
}

export interface ConceptFile {
  window: { forward: number; reverse: number; forwardCjk: number; reverseCjk: number };
  concepts: Record<string, Record<string, string[]>>;
  rules: ConceptRule[];
}

export const CONCEPTS = concepts as unknown as ConceptFile;

/** Where a concept's word stands in the text (character offsets) and whether it is unspaced. */
export interface Hit { concept: number; start: number; end: number; unspaced: boolean; clause: number }

/** A term of spaced scripts as words: a `*` lets letters precede the first or follow the last. */
interface Term { words: string[]; anyBefore: boolean; anyAfter: boolean; concepts: number[] }

// Scripts written without spaces between words (Thai, Lao, Chinese, Japanese, and Hangul, whose
// particles join the noun): their terms are found anywhere, not at word boundaries.
const UNSPACED = /[\u0e00-\u0eff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/;
// Words of spaced scripts: an unspaced run is not one, so "ip" is found inside "您的ip已被封禁".
const WORDS = new RegExp(`[${WORD_CLASS.replace(/\\u0e00-\\u0eff|\\u3040-\\u30ff|\\u3400-\\u4dbf|\\u4e00-\\u9fff|\\uac00-\\ud7af|\\uf900-\\ufaff/g, '')}]+`, 'g');
// A clause ends at a stop followed by a space or the end, at a line break, or at a CJK stop.
const CLAUSE_END = /[.;!?](?=\s|$)|[\n\u3002\uff01\uff1f\uff1b]/g;
const MIN_STEM = 3;
// A URL or a mail address is ASCII: the characters around it (Japanese or Chinese glued to it
// without a space, a closing parenthesis, a full stop) are words of the text, not part of it.
const URLS = /(?:https?:\/\/|www\.)[a-z0-9\-._~:/?#@!$&*+,;=%]+/g;
const ADDRESS_CHAR = /[a-z0-9._%+\-=~!#$&*?^`{|}]/;

/**
 * The text with URLs and mail addresses each replaced by one space: they are names, not
 * statements, and the words on either side are as near as if the name were not there ("宛先
 * bob@example.com は存在しません": recipient … does not exist).
 */
function blankNames(text: string): string {
  let out = text.includes('/') ? text.replace(URLS, (m) => (m.endsWith('.') ? ' .' : ' ')) : text;
  for (let at = out.indexOf('@'); at >= 0; at = out.indexOf('@', at + 1)) {
    let a = at;
    let z = at + 1;
    while (a > 0 && ADDRESS_CHAR.test(out[a - 1] as string)) a--;
    while (z < out.length && ADDRESS_CHAR.test(out[z] as string)) z++;
    // A full stop after the address ends the sentence.
    while (z > at + 1 && out[z - 1] === '.') z--;
    out = `${out.slice(0, a)} ${out.slice(z)}`;
    at = a;
  }
  return out;
}

interface Tables {
  exact: Map<string, Term[]>;
  /** Terms whose first word may carry letters before it (`*adresse`): a trie of that word, read backwards. */
  suffix: TrieNode;
  /** One-word terms whose word may carry letters after it (`unbekannt*`): a trie of the stem. */
  prefix: TrieNode;
  /** Unspaced terms by their first character. */
  unspaced: Map<string, { text: string; concepts: number[] }[]>;
  rules: { rule: ConceptRule; near: number[] }[];
  /** Per word, the terms it may start (see termsStartingWith). */
  memo: Map<string, Starts>;
}

let tables: Tables | undefined;

interface TrieNode { next: Map<string, TrieNode>; terms?: Term[] }

/**
 * The terms a word may start: one-word terms, and longer ones by their second word ("not" starts
 * a hundred terms; the next word of the text picks the few to compare), except two-word terms
 * whose second word is a stem, which are compared one by one.
 */
interface Starts { single: readonly Term[]; bySecond: Map<string, Term[]> | undefined; stemSecond: readonly Term[] }

const NO_TERMS: Starts = { single: [], bySecond: undefined, stemSecond: [] };

function trieAdd(root: TrieNode, chars: string[], term: Term): void {
  let node = root;
  for (const ch of chars) {
    let n = node.next.get(ch);
    if (!n) {
      n = { next: new Map() };
      node.next.set(ch, n);
    }
    node = n;
  }
  (node.terms ??= []).push(term);
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

function build(): Tables {
  const names = Object.keys(CONCEPTS.concepts);
  const t: Tables = { exact: new Map(), suffix: { next: new Map() }, prefix: { next: new Map() }, unspaced: new Map(), rules: [], memo: new Map() };
  const terms = new Map<string, Term>();
  const cjk = new Map<string, number[]>();
  names.forEach((name, ci) => {
    for (const list of Object.values(CONCEPTS.concepts[name] ?? {})) {
      for (const raw of list) {
        const term = withoutOptionalMarks(raw.trim().toLowerCase());
        if (UNSPACED.test(term)) {
          const text = term.replace(/\*/g, '');
          const l = cjk.get(text) ?? [];
          if (!l.includes(ci)) l.push(ci);
          cjk.set(text, l);
          continue;
        }
        const words = term.match(WORDS) ?? [];
        if (words.length === 0) continue;
        const key = `${term.startsWith('*') ? '*' : ''}${words.join(' ')}${term.endsWith('*') ? '*' : ''}`;
        const have = terms.get(key);
        if (have) {
          if (!have.concepts.includes(ci)) have.concepts.push(ci);
          continue;
        }
        terms.set(key, { words, anyBefore: term.startsWith('*'), anyAfter: term.endsWith('*'), concepts: [ci] });
      }
    }
  });
  for (const term of terms.values()) {
    const first = term.words[0] as string;
    if (term.anyBefore) trieAdd(t.suffix, [...first].reverse(), term);
    else if (term.anyAfter && term.words.length === 1) trieAdd(t.prefix, [...first], term);
    else push(t.exact, first, term);
  }
  for (const [text, cs] of cjk) push(t.unspaced, text[0] as string, { text, concepts: cs });
  t.rules = CONCEPTS.rules.map((rule) => ({
    rule,
    near: rule.near.map((n) => {
      const i = names.indexOf(n);
      if (i < 0) throw new Error(`data/reply-concepts.json: rule ${rule.id} names unknown concept "${n}"`);
      return i;
    }),
  }));
  return t;
}

/**
 * The index of the term's last word when its words stand at word k onwards (the first already
 * matched by the caller's key), else -1. A last word with a following `*` is a stem.
 */
function restMatches(term: Term, words: string[], k: number): number {
  const n = term.words.length;
  if (k + n > words.length) return -1;
  for (let j = 1; j < n; j++) {
    const w = words[k + j] as string;
    const want = term.words[j] as string;
    if (j === n - 1 && term.anyAfter ? !w.startsWith(want) : w !== want) return -1;
  }
  return k + n - 1;
}

// A character of WORDS: a word character (word-scan's table) not of an unspaced script. Read per
// character instead of a regex match object per word.
function wordUnit(u: number): boolean {
  return isWordUnit(u) && (u < 0x0e00 || !UNSPACED.test(String.fromCharCode(u)));
}

function wordHits(t: Tables, lower: string, hits: Hit[]): void {
  const words: string[] = [];
  const starts: number[] = [];
  let start = -1;
  for (let i = 0; i <= lower.length; i++) {
    if (i < lower.length && wordUnit(lower.charCodeAt(i))) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      words.push(lower.slice(start, i));
      starts.push(start);
      start = -1;
    }
  }
  const add = (term: Term, k: number, last: number): void => {
    const end = (starts[last] as number) + (words[last] as string).length;
    for (const concept of term.concepts) hits.push({ concept, start: starts[k] as number, end, unspaced: false, clause: 0 });
  };
  for (let k = 0; k < words.length; k++) {
    const st = termsStartingWith(t, words[k] as string);
    if (st === NO_TERMS) continue;
    for (const term of st.single) add(term, k, k);
    for (const term of st.stemSecond) {
      const last = restMatches(term, words, k);
      if (last >= 0) add(term, k, last);
    }
    const longer = k + 1 < words.length ? st.bySecond?.get(words[k + 1] as string) : undefined;
    if (longer) {
      for (const term of longer) {
        const last = restMatches(term, words, k);
        if (last >= 0) add(term, k, last);
      }
    }
  }
}

// Words repeat from reply to reply: the terms a word may start (exact, as a stem, as a compound's
// head) are looked up once per word, not walked through the tries at every occurrence. Bounded:
// the words come from peers.
const MEMO_MAX = 20000;

/** The terms whose first word is `w`: exact ones, then stems it begins with, then heads it ends with. */
function termsStartingWith(t: Tables, w: string): Starts {
  const known = t.memo.get(w);
  if (known) return known;
  const found = [...(t.exact.get(w) ?? [])];
  if (w.length >= MIN_STEM) {
    let node: TrieNode | undefined = t.prefix;
    for (let i = 0; i < w.length && node; i++) {
      node = node.next.get(w[i] as string);
      if (node?.terms) found.push(...node.terms);
    }
    node = t.suffix;
    for (let i = w.length - 1; i >= 0 && node; i--) {
      node = node.next.get(w[i] as string);
      if (node?.terms) found.push(...node.terms);
    }
  }
  let st = NO_TERMS;
  if (found.length > 0) {
    const single: Term[] = [];
    const stemSecond: Term[] = [];
    let bySecond: Map<string, Term[]> | undefined;
    for (const term of found) {
      if (term.words.length === 1) single.push(term);
      else if (term.words.length === 2 && term.anyAfter) stemSecond.push(term);
      else push((bySecond ??= new Map()), term.words[1] as string, term);
    }
    st = { single, bySecond, stemSecond };
  }
  if (t.memo.size >= MEMO_MAX) t.memo.clear();
  t.memo.set(w, st);
  return st;
}

function unspacedHits(t: Tables, lower: string, hits: Hit[]): void {
  if (!UNSPACED.test(lower)) return;
  for (let i = 0; i < lower.length; i++) {
    const starting = t.unspaced.get(lower[i] as string);
    if (!starting) continue;
    for (const u of starting) {
      if (!lower.startsWith(u.text, i)) continue;
      for (const concept of u.concepts) hits.push({ concept, start: i, end: i + u.text.length, unspaced: true, clause: 0 });
    }
  }
}

/** Whether b follows a within `max` characters, in the same clause. */
function near(a: Hit, b: Hit, max: number): boolean {
  return b.start >= a.end && b.start - a.end <= max && a.clause === b.clause;
}

/** Whether one hit lies within the other: a term that holds a word of the other concept states
 * both ("连接失败", connection failed, holds "连接", connection). */
function within(a: Hit, b: Hit): boolean {
  return (a.start >= b.start && a.end <= b.end) || (b.start >= a.start && b.end <= a.end);
}

/** Whether a hit of `as` and one of `bs` are close: b follows a, a follows b, or one holds the other. */
export function closePair(a: Hit, b: Hit, win: ConceptFile['window']): boolean {
  const cjk = a.unspaced && b.unspaced;
  return near(a, b, cjk ? win.forwardCjk : win.forward) || near(b, a, cjk ? win.reverseCjk : win.reverse) || within(a, b);
}

const byStart = (x: Hit, y: Hit): number => x.start - y.start;

/**
 * Whether any pair of hits is close (closePair), in a sweep over both lists sorted by start: for
 * each `a` only the `b` hits that start in reach of it are compared (a `b` close to `a` starts at
 * most the longest `b` plus the reverse window before `a`, and at most the forward window after
 * its end), so a text full of hits of both concepts costs about linear time, not their product.
 */
export function anyClose(as: Hit[], bs: Hit[], win: ConceptFile['window']): boolean {
  if (as.length > 1) as.sort(byStart);
  if (bs.length > 1) bs.sort(byStart);
  let longest = 0;
  for (const b of bs) longest = Math.max(longest, b.end - b.start);
  const before = longest + Math.max(win.reverse, win.reverseCjk);
  const after = Math.max(win.forward, win.forwardCjk);
  let lo = 0;
  for (const a of as) {
    while (lo < bs.length && (bs[lo] as Hit).start < a.start - before) lo++;
    for (let j = lo; j < bs.length && (bs[j] as Hit).start <= a.end + after; j++) if (closePair(a, bs[j] as Hit, win)) return true;
  }
  return false;
}

/** Numbers each hit by the clause it stands in (the count of clause ends before it). */
function numberClauses(lower: string, hits: Hit[]): void {
  const ends: number[] = [];
  CLAUSE_END.lastIndex = 0;
  for (let m = CLAUSE_END.exec(lower); m !== null; m = CLAUSE_END.exec(lower)) ends.push(m.index);
  if (ends.length === 0) return;
  // The count of ends before each hit, by binary search (a hostile text may hold many of both).
  for (const h of hits) {
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ends[mid] as number) < h.start) lo = mid + 1;
      else hi = mid;
    }
    h.clause = lo;
  }
}

/** Build the word tables now (about 23,000 terms: 50-100 ms, once per process) instead of at the first need. */
export function prepareConcepts(): void {
  tables ??= build();
}

/** The concept rules a lower-cased text satisfies, in data order. */
export function conceptMatches(text: string): ConceptRule[] {
  const t = (tables ??= build());
  // Words inside a URL ("help_spam_16.htm") or a mail address are names, not statements: each
  // name is read as one space before the words are read.
  const lower = text.includes('/') || text.includes('@') ? blankNames(text) : text;
  const hits: Hit[] = [];
  wordHits(t, lower, hits);
  unspacedHits(t, lower, hits);
  if (hits.length === 0) return [];
  numberClauses(lower, hits);
  const win = CONCEPTS.window;
  const byConcept = new Map<number, Hit[]>();
  for (const h of hits) push(byConcept, h.concept, h);
  const out: ConceptRule[] = [];
  for (const { rule, near: cs } of t.rules) {
    const as = byConcept.get(cs[0] as number);
    if (!as) continue;
    if (cs.length === 1) {
      out.push(rule);
      continue;
    }
    const bs = byConcept.get(cs[1] as number);
    if (bs && anyClose(as, bs, win)) out.push(rule);
  }
  return out;
}
