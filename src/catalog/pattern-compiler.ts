// The pattern compiler of reply-text recognition: turns data/reply-patterns.json into regexes
// (word-bounded unless `partial`) and the fast path's matchers (pattern-matchers.ts), code and
// stage guards, provider hints, the two word indexes and the lexicon the word scan reads them
// by, once per process. It decides nothing: decide-reason.ts weighs what matched.
import data from '../../data/reply-patterns.json' with { type: 'json' };
import { clearAnalysisMemos } from './regex-literals.js';
import { leadingStrings } from './regex-strings.js';
import { branchMatchers, caseFlag, matcher, type Matcher } from './pattern-matchers.js';
import { CODE_CUE, factGates, RETRY_CUE, URL_CUE, WORD_CLASS, zoneCueWords } from './reply-facts.js';
import { WordIndex } from './word-index.js';
import { prepareConcepts } from './concept-rules.js';
import { Lexicon, type LexEntry, type NeedleItem } from './word-scan.js';
import { withoutOptionalMarks } from './reply-normalize.js';

export type Reason =
  | 'userunknown' | 'mailboxfull' | 'suspend' | 'hasmoved' | 'hostunknown' | 'notaccept' | 'rejected' | 'blocked'
  | 'badreputation' | 'requireptr' | 'authfailure' | 'securityerror' | 'failedstarttls' | 'norelaying' | 'spamdetected'
  | 'virusdetected' | 'policyviolation' | 'contenterror' | 'notcompliantrfc' | 'mesgtoobig' | 'exceedlimit' | 'toomanyconn'
  | 'speeding' | 'systemerror' | 'systemfull' | 'syntaxerror' | 'networkerror' | 'expired' | 'filtered' | 'mailererror'
  | 'greylisted' | 'undefined';

export interface PatternData {
  id: string;
  reason: Reason;
  provider?: string;
  match: string[];
  all?: string[];
  not?: string[];
  codes?: string[];
  enhanced?: string[];
  stages?: string[];
  stageReason?: Partial<Record<string, Reason>>;
  needsProvider?: boolean;
  providerFromZone?: boolean;
  partial?: boolean;
  priority?: number;
  /** A weak cue (a queue trailer, a generic "try later"): never outranks a strong one. */
  weak?: boolean;
  /** Reasons a weak cue still outranks (an expiry after network errors is an expiry). */
  over?: Reason[];
  meaning?: string;
  action?: string;
  reference?: string;
  source: string;
}

export interface ReasonText { title: string; meaning: string; action: string; temporaryAction?: string }

export interface PatternFile {
  reasons: Record<Reason, ReasonText>;
  providers: { name: string; hints: string[]; reference?: string }[];
  patterns: PatternData[];
  enhancedFallback: { code: string; reason: Reason; strong?: boolean }[];
  basicFallback: { code: string; stages?: string[]; reason: Reason }[];
}

export const D = data as unknown as PatternFile;

export const DEFAULT_PRIORITY = { provider: 50, generic: 30 };

export interface Compiled {
  p: PatternData;
  /** The pattern's priority (explicit, or the default for provider and generic patterns). */
  prio: number;
  /** Position in data/reply-patterns.json: the last tie-break. */
  order: number;
  res: RegExp[];
  all: RegExp[];
  not: RegExp[];
  /** The fast path's tests, built at first use (see fastOf). */
  fast?: FastTests;
  codes?: RegExp;
  enhanced?: RegExp;
  stages?: Set<string>;
  /** Whether the pattern may state a reason an address code yields to (decide-reason.ts), set at first need. */
  stating?: boolean;
}

/** The fast path's tests of a pattern: one per branch of `res` (see branchesOf), `all`, `not`. */
export interface FastTests { branches: Matcher[]; all: Matcher[]; not: Matcher[] }

export interface ProviderHint { name: string; res: RegExp[]; hints: string[]; branches?: Matcher[]; reference?: string }

export interface Catalog {
  /** Patterns in descending priority (then file order): index ids are positions here. */
  patterns: Compiled[];
  index: WordIndex;
  hints: ProviderHint[];
  hintIndex: WordIndex;
  /** Every word of both indexes and the facts' zone cues: a text's words are looked up once. */
  lexicon: Lexicon;
  providerRefs: Map<string, string>;
  enhanced: Map<string, { reason: Reason; strong: boolean }>;
  regexCount: number;
}

/** One regex for a list of alternatives, matching only at word boundaries unless `partial`. */
function wrap(srcs: string[], partial = false): RegExp {
  const body = srcs.map((s) => `(?:${s})`).join('|');
  return new RegExp(partial ? body : `(?<![${WORD_CLASS}])(?:${body})(?![${WORD_CLASS}])`, caseFlag(body));
}

function codeSet(list: string[] | undefined, kind: 'basic' | 'enhanced'): RegExp | undefined {
  if (!list || list.length === 0) return undefined;
  const alts = list.map((c) => {
    if (kind === 'basic') return c.replace(/x/gi, '[0-9]');
    return c.split('.').map((part, k) => (k === 0 && /^x$/i.test(part) ? '[245]' : part === '*' ? '[0-9]{1,3}' : part)).join('\\.');
  });
  return new RegExp(`^(?:${alts.join('|')})$`, 'i');
}

/**
 * The needles of fact extraction's gates, with the cue flag each sets, and the flags every text
 * gets (a gate whose needles cannot be derived stays open). Provider codes are gated by the
 * strings every code starts with; a folded (i flag) source only by lower-cased ASCII ones.
 */
function factNeedles(): { needles: NeedleItem[]; always: number } {
  const g = factGates();
  const needles: NeedleItem[] = [
    ...g.retry.map((needle) => ({ k: -1, id: -1, needle, flag: RETRY_CUE })),
    ...g.url.map((needle) => ({ k: -1, id: -1, needle, flag: URL_CUE })),
  ];
  let codes = leadingStrings(g.codes.source);
  if (codes && g.codes.fold) codes = codes.some((x) => /[^\u0000-\u007f]/.test(x)) ? null : codes.map((x) => x.toLowerCase());
  if (!codes) return { needles, always: CODE_CUE };
  for (const needle of codes) needles.push({ k: -1, id: -1, needle, flag: CODE_CUE });
  return { needles, always: 0 };
}

/** Word → its id lists in each index (position k for indexes[k]) and its cue flags. */
function lexiconOf(indexes: WordIndex[], cues: Map<string, number>): Lexicon {
  const known = new Map<string, LexEntry>();
  const entry = (w: string): LexEntry => {
    let e = known.get(w);
    if (!e) {
      e = { lists: indexes.map(() => undefined), flags: 0 };
      known.set(w, e);
    }
    return e;
  };
  indexes.forEach((ix, k) => {
    for (const [w, ids] of ix.byWord) entry(w).lists[k] = ids;
  });
  for (const [w, f] of cues) entry(w).flags |= f;
  const needles: NeedleItem[] = [];
  indexes.forEach((ix, k) => {
    for (const n of ix.needles) needles.push({ k, id: n.unit, needle: n.needle, flag: 0 });
  });
  const facts = factNeedles();
  return new Lexicon(known, [...needles, ...facts.needles], facts.always);
}

/**
 * The fast path's tests of a pattern, built when it is first a candidate: a one-shot `explain`
 * compiles only the few it needs (building all of them costs about as much as the catalog).
 */
export function fastOf(cp: Compiled): FastTests {
  const p = cp.p;
  cp.fast = {
    branches: branchMatchers(p.match, p.partial),
    all: (p.all ?? []).map((a) => matcher([a], p.partial, caseFlag(`(?:${a})`))),
    not: p.not?.length ? [matcher(p.not, p.partial, caseFlag(p.not.map((n) => `(?:${n})`).join('|')))] : [],
  };
  return cp.fast;
}

function testsAll(res: readonly Matcher[], s: string): boolean {
  for (const r of res) if (!r.test(s)) return false;
  return true;
}

function testsAny(res: readonly Matcher[], s: string): boolean {
  for (const r of res) if (r.test(s)) return true;
  return false;
}

/**
 * Whether pattern `id` matches the lower-cased text: its regexes, its `all` and none of its
 * `not`. Indexed (`id` is a candidate of the last c.index.candidates() call), only the branches
 * the scan found are tested, by the fast matchers; else the whole regexes (the reference).
 */
export function patternMatches(c: Catalog, id: number, lower: string, indexed: boolean): boolean {
  const cp = c.patterns[id] as Compiled;
  if (!indexed) return testsAll(cp.res, lower) && testsAll(cp.all, lower) && !testsAny(cp.not, lower);
  const f = cp.fast ?? fastOf(cp);
  return c.index.someBranch(id, f.branches, lower) && testsAll(f.all, lower) && !testsAny(f.not, lower);
}

/** Whether provider hint `id` matches, as patternMatches() for the provider index. */
export function hintMatches(c: Catalog, id: number, lower: string, indexed: boolean): boolean {
  const h = c.hints[id] as ProviderHint;
  return indexed ? c.hintIndex.someBranch(id, (h.branches ??= branchMatchers(h.hints)), lower) : testsAny(h.res, lower);
}

let catalog: Catalog | undefined;

/** The pattern as texts are read: its sources without the marks writing may leave out. */
function readable(p: PatternData): PatternData {
  const strip = (l: string[]): string[] => l.map(withoutOptionalMarks);
  const out: PatternData = { ...p, match: strip(p.match) };
  if (p.all) out.all = strip(p.all);
  if (p.not) out.not = strip(p.not);
  return out;
}

function compile(): Catalog {
  const sorted = D.patterns
    .map((raw, order) => ({ p: readable(raw), order, prio: raw.priority ?? (raw.provider ? DEFAULT_PRIORITY.provider : DEFAULT_PRIORITY.generic) }))
    .sort((a, z) => z.prio - a.prio || a.order - z.order);
  let regexCount = 0;
  const patterns: Compiled[] = sorted.map(({ p, order, prio }) => {
    const c: Compiled = {
      p,
      prio,
      order,
      res: [wrap(p.match, p.partial)],
      all: (p.all ?? []).map((s) => wrap([s], p.partial)),
      not: p.not?.length ? [wrap(p.not, p.partial)] : [],
    };
    regexCount += c.res.length + c.all.length + c.not.length;
    const codes = codeSet(p.codes, 'basic');
    if (codes) c.codes = codes;
    const enh = codeSet(p.enhanced, 'enhanced');
    if (enh) c.enhanced = enh;
    if (p.stages) c.stages = new Set(p.stages);
    return c;
  });
  const hints = D.providers.map((pr) => {
    const h: ProviderHint = { name: pr.name, res: [wrap(pr.hints)], hints: pr.hints };
    if (pr.reference) h.reference = pr.reference;
    return h;
  });
  regexCount += hints.reduce((n, h) => n + h.res.length, 0);
  const providerRefs = new Map<string, string>();
  for (const h of hints) if (h.reference) providerRefs.set(h.name, h.reference);
  const index = new WordIndex(patterns.map((c) => ({ sources: c.p.match, partial: c.p.partial === true })));
  const hintIndex = new WordIndex(D.providers.map((pr) => ({ sources: pr.hints, partial: false })));
  return {
    patterns,
    index,
    hints,
    hintIndex,
    lexicon: lexiconOf([index, hintIndex], zoneCueWords()),
    providerRefs,
    enhanced: new Map(D.enhancedFallback.map((e) => [e.code.toUpperCase(), { reason: e.reason, strong: e.strong === true }])),
    regexCount,
  };
}

export function getCatalog(): Catalog {
  if (!catalog) {
    catalog = compile();
    clearAnalysisMemos();
  }
  return catalog;
}

/**
 * Compile the patterns, their index and the concept rules' tables now (150-250 ms, once per
 * process) instead of at the first classification: the probe calls it while its first DNS
 * answer is on the way.
 */
export function prepareRecognition(): void {
  getCatalog();
  prepareConcepts();
}

/** Size of the compiled catalog and of its prefilter, for tests and the benchmark. */
export function recognitionStats(): { patterns: number; regexes: number; indexedWords: number; needles: number; needleList: string[]; alwaysTested: number; alwaysTestedIds: string[] } {
  const c = getCatalog();
  return {
    patterns: c.patterns.length,
    regexes: c.regexCount,
    indexedWords: c.index.byWord.size,
    needles: c.index.needles.length,
    needleList: c.index.needles.map((n) => `${c.patterns[n.id]?.p.id ?? ''}:${n.needle}`),
    alwaysTested: c.index.always.length,
    alwaysTestedIds: c.index.always.map((id) => c.patterns[id]?.p.id ?? ''),
  };
}
