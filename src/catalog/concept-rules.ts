// Concept rules of reply-text recognition (data/reply-concepts.json): the last text evidence,
// below every written pattern. A rule names one or two concepts ("person" near "missing"); each
// concept is a list of words per language. A text holding the concepts close together in one
// clause, in either order, is evidence for the rule's reason: this reads paraphrases and other
// languages' word orders that no single pattern spells out. The text's words are looked up in
// maps (one pass, a few lookups per word), not tested against thousands of alternatives.
// Pure: no I/O, never throws on peer text.
import concepts from '../../data/reply-concepts.json' with { type: 'json' };
import { WORD_CLASS } from './reply-facts.js';
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
interface Hit { concept: number; start: number; end: number; unspaced: boolean }

/** A term of spaced scripts as words: a `*` lets letters precede the first or follow the last. */
interface Term { words: string[]; anyBefore: boolean; anyAfter: boolean; concepts: number[] }

// Scripts written without spaces between words (and Hangul, whose particles join the noun):
// their terms are found anywhere, not at word boundaries.
const UNSPACED = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/;
// Words of spaced scripts: a CJK run is not one, so "ip" is found inside "您的ip已被封禁".
const WORDS = new RegExp(`[${WORD_CLASS.replace(/\\u3040-\\u30ff|\\u3400-\\u4dbf|\\u4e00-\\u9fff|\\uac00-\\ud7af|\\uf900-\\ufaff/g, '')}]+`, 'g');
// A clause ends at a stop followed by a space or the end, at a line break, or at a CJK stop.
const CLAUSE_END = /[.;!?](?=\s|$)|[\n\u3002\uff01\uff1f\uff1b]/;
const MIN_STEM = 3;
const NAMES = /(?:https?:\/\/|www\.)[^\s<>"')\]]+|[^\s<>"'()[\]:;,]+@[^\s<>"'()[\]:;,]+/g;

interface Tables {
  names: string[];
  exact: Map<string, Term[]>;
  /** Terms whose first word may carry letters before it (`*adresse`), by that word. */
  suffix: Map<string, Term[]>;
  /** One-word terms whose word may carry letters after it (`unbekannt*`), by the stem. */
  prefix: Map<string, Term[]>;
  unspaced: { text: string; concepts: number[] }[];
  rules: { rule: ConceptRule; near: number[] }[];
}

let tables: Tables | undefined;

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

function build(): Tables {
  const names = Object.keys(CONCEPTS.concepts);
  const t: Tables = { names, exact: new Map(), suffix: new Map(), prefix: new Map(), unspaced: [], rules: [] };
  const terms = new Map<string, Term>();
  const cjk = new Map<string, number[]>();
  names.forEach((name, ci) => {
    for (const list of Object.values(CONCEPTS.concepts[name] ?? {})) {
      for (const raw of list) {
        const term = raw.trim().toLowerCase();
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
    if (term.anyBefore) push(t.suffix, first, term);
    else if (term.anyAfter && term.words.length === 1) push(t.prefix, first, term);
    else push(t.exact, first, term);
  }
  t.unspaced = [...cjk].map(([text, cs]) => ({ text, concepts: cs }));
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
function restMatches(term: Term, words: RegExpMatchArray[], k: number): number {
  const n = term.words.length;
  if (k + n > words.length) return -1;
  for (let j = 1; j < n; j++) {
    const w = (words[k + j] as RegExpMatchArray)[0];
    const want = term.words[j] as string;
    if (j === n - 1 && term.anyAfter ? !w.startsWith(want) : w !== want) return -1;
  }
  return k + n - 1;
}

function wordHits(t: Tables, lower: string, hits: Hit[]): void {
  const words = [...lower.matchAll(WORDS)];
  const add = (term: Term, k: number, last: number): void => {
    const a = words[k] as RegExpMatchArray;
    const z = words[last] as RegExpMatchArray;
    for (const concept of term.concepts) hits.push({ concept, start: a.index ?? 0, end: (z.index ?? 0) + z[0].length, unspaced: false });
  };
  for (let k = 0; k < words.length; k++) {
    const w = (words[k] as RegExpMatchArray)[0];
    for (const term of t.exact.get(w) ?? []) {
      const last = term.words.length === 1 ? k : restMatches(term, words, k);
      if (last >= 0) add(term, k, last);
    }
    for (let len = Math.min(w.length, 40); len >= MIN_STEM; len--) {
      for (const term of t.prefix.get(w.slice(0, len)) ?? []) add(term, k, k);
      for (const term of t.suffix.get(w.slice(w.length - len)) ?? []) {
        const last = term.words.length === 1 ? k : restMatches(term, words, k);
        if (last >= 0) add(term, k, last);
      }
    }
  }
}

function unspacedHits(t: Tables, lower: string, hits: Hit[]): void {
  if (!UNSPACED.test(lower)) return;
  for (const u of t.unspaced) {
    for (let i = lower.indexOf(u.text); i >= 0; i = lower.indexOf(u.text, i + 1)) {
      for (const concept of u.concepts) hits.push({ concept, start: i, end: i + u.text.length, unspaced: true });
    }
  }
}

/** Whether b follows a within `max` characters, in the same clause. */
function near(lower: string, a: Hit, b: Hit, max: number): boolean {
  if (b.start < a.end) return false;
  if (b.start - a.end > max) return false;
  return !CLAUSE_END.test(lower.slice(a.end, b.start));
}

/** The concept rules a lower-cased text satisfies, in data order. */
export function conceptMatches(text: string): ConceptRule[] {
  const t = (tables ??= build());
  // Words inside a URL ("help_spam_16.htm") or a mail address are names, not statements: they
  // are blanked (offsets kept) before the words are read.
  const lower = text.includes('/') || text.includes('@') ? text.replace(NAMES, (m) => ' '.repeat(m.length)) : text;
  const hits: Hit[] = [];
  wordHits(t, lower, hits);
  unspacedHits(t, lower, hits);
  if (hits.length === 0) return [];
  const win = CONCEPTS.window;
  const out: ConceptRule[] = [];
  for (const { rule, near: cs } of t.rules) {
    const as = hits.filter((h) => h.concept === cs[0]);
    if (as.length === 0) continue;
    if (cs.length === 1) {
      out.push(rule);
      continue;
    }
    const bs = hits.filter((h) => h.concept === cs[1]);
    const found = as.some((a) =>
      bs.some((b) => {
        const cjk = a.unspaced && b.unspaced;
        return near(lower, a, b, cjk ? win.forwardCjk : win.forward) || near(lower, b, a, cjk ? win.reverseCjk : win.reverse);
      }),
    );
    if (found) out.push(rule);
  }
  return out;
}
