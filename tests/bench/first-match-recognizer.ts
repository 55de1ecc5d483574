// The first-match recognizer as it was before the decision list (commit f36f285), kept only so
// that `npm run bench` can measure the decision list against it in the same run. Not shipped,
// not used by any command.
import data from '../../data/reply-patterns.json' with { type: 'json' };
import { extractFacts, WORD_CLASS, zoneOperator, type ReplyFacts } from '../../src/catalog/reply-facts.js';

export type { ReplyFacts } from '../../src/catalog/reply-facts.js';

export type Reason =
  | 'userunknown' | 'mailboxfull' | 'suspend' | 'hasmoved' | 'hostunknown' | 'notaccept' | 'rejected' | 'blocked'
  | 'badreputation' | 'requireptr' | 'authfailure' | 'securityerror' | 'failedstarttls' | 'norelaying' | 'spamdetected'
  | 'virusdetected' | 'policyviolation' | 'contenterror' | 'notcompliantrfc' | 'mesgtoobig' | 'exceedlimit' | 'toomanyconn'
  | 'speeding' | 'systemerror' | 'systemfull' | 'syntaxerror' | 'networkerror' | 'expired' | 'filtered' | 'mailererror'
  | 'greylisted' | 'undefined';

export interface TextClassification {
  reason: Reason;
  /** Who wrote the text: 'Gmail', 'Microsoft 365', 'Postfix', 'Spamhaus'... when it can be told. */
  provider?: string;
  patternId?: string;
  meaning: string;
  action: string;
  /** The provider's own help or delisting page. */
  reference?: string;
  facts: ReplyFacts;
  /** True when no text pattern matched and the reason comes from the enhanced/basic code only. */
  inferred: boolean;
  /** From the reply class when a code is known: 5xx true, 4xx false. */
  permanent: boolean | undefined;
}

export interface ReplyInput {
  code?: number;
  enhanced?: string;
  text: string;
  /** 'banner' | 'ehlo' | 'helo' | 'starttls' | 'auth' | 'mail' | 'rcpt' | 'data' | ... */
  stage?: string;
  /** The replying host's name, when known (an MX name says who the provider is). */
  host?: string;
}

interface PatternData {
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
  meaning?: string;
  action?: string;
  reference?: string;
  source: string;
}

interface PatternFile {
  reasons: Record<Reason, { title: string; meaning: string; action: string }>;
  providers: { name: string; hints: string[]; reference?: string }[];
  patterns: PatternData[];
  enhancedFallback: { code: string; reason: Reason }[];
  basicFallback: { code: string; stages?: string[]; reason: Reason }[];
}

const D = data as unknown as PatternFile;

export const REASONS = Object.keys(D.reasons) as Reason[];

/** A short human title for a reason ("No such recipient"). */
export function reasonTitle(reason: Reason): string {
  return D.reasons[reason]?.title ?? reason;
}

// Replies are bounded before matching: recognition time stays linear in this, whatever a peer
// or a log line holds (the reply reader already caps replies at 64 KiB).
const MAX_TEXT = 2048;
const DEFAULT_PRIORITY = { provider: 50, generic: 30 };
const WORD = new RegExp(`[${WORD_CLASS}]+`, 'gi');
const WORD_CHAR = new RegExp(`^[${WORD_CLASS}]$`, 'i');

// ---------------------------------------------------------------------------------------------
// Prefilter. Every branch of a pattern's regexes is indexed under words it can only match as
// whole words (one word, or one per alternative of a mandatory group), or else under a literal
// substring it always contains; a line is then tested only against the patterns whose words or
// substrings it holds (a reply has ~20 words, the catalog ~350 patterns). A pattern with neither
// would be tested on every line; the tests keep that list empty. classifyReplyUnindexed() skips
// the prefilter and the tests check that both always agree.

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

function splitTopLevel(src: string): string[] {
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
const NON_ASCII = /[^\u0000-\u007f]/;

interface GroupRef { alts: string[]; left: boolean; right: boolean }

interface BranchLiterals {
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
function branchLiterals(b: string, leftSafe0 = true, rightSafe0 = true): BranchLiterals {
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

interface IndexedItem { sources: string[]; partial: boolean }

/** How one branch is found: by any of some whole words (cheapest), else by a literal substring. */
type BranchKey = { anyOf: string[] } | { needle: string };

// Words so common in replies that indexing a pattern under them would test it on most lines.
const COMMON = new Set(
  ('a an and are as at be been by can for from go has have in information is it more no not of on or our please see ' +
    'the this that to visit was we with you your mail message email e-mail messages server user recipient recipients ' +
    'address domain sender smtp service access denied rejected blocked invalid failed error ip host account mailbox ' +
    'temporarily permanently delivery deliver sent send sending').split(' '),
);

/** Cost of finding a branch by these words: rare, specific words are cheap. */
type Costs = (w: string) => number;

/**
 * The cheapest word set for a branch: a match always contains one of the set's words as a whole
 * word. A direct word of the branch is a set of one; a mandatory group gives one word per
 * alternative. Null when the branch has no such set.
 */
function branchWordSet(b: string, left: boolean, right: boolean, depth: number, cost: Costs): string[] | null {
  const lit = branchLiterals(b, left, right);
  let best: string[] | null = null;
  let bestCost = Infinity;
  for (const w of lit.words) {
    if (w.length < 2) continue;
    const c = cost(w);
    if (c < bestCost) {
      best = [w];
      bestCost = c;
    }
  }
  if (depth > 3) return best;
  for (const g of lit.groups) {
    const set: string[] = [];
    let c = 0;
    for (const alt of g.alts) {
      const s = branchWordSet(alt, g.left, g.right, depth + 1, cost);
      if (!s) {
        c = Infinity;
        break;
      }
      for (const w of s) {
        if (!set.includes(w)) {
          set.push(w);
          c += cost(w);
        }
      }
    }
    if (c < bestCost) {
      best = set;
      bestCost = c;
    }
  }
  return best;
}

/** Keys for each top-level branch of a regex source, or null when a branch has neither. */
function branchKeys(src: string, cost: Costs): BranchKey[] | null {
  const out: BranchKey[] = [];
  for (const b of splitTopLevel(src)) {
    const set = branchWordSet(b, true, true, 0, cost);
    if (set) {
      out.push({ anyOf: set });
      continue;
    }
    const needle = [...branchLiterals(b).runs].sort((x, z) => z.length - x.length)[0];
    if (!needle || needle.trim().length < 3) return null;
    out.push({ needle });
  }
  return out;
}

/** Partial patterns (no word boundaries, e.g. Chinese) are found by a literal substring only. */
function needleKeys(src: string): BranchKey[] | null {
  const out: BranchKey[] = [];
  for (const b of splitTopLevel(src)) {
    const needle = [...branchLiterals(b).runs].sort((x, z) => z.length - x.length)[0];
    if (!needle || needle.trim().length < 2) return null;
    out.push({ needle });
  }
  return out;
}

/**
 * Word → item ids (ids are positions in priority order), substring needles for branches without
 * a whole word, and the items that must be tested on every text.
 */

class WordIndex {
  readonly byWord = new Map<string, number[]>();
  readonly needles: { id: number; needle: string; nonAscii: boolean }[] = [];
  readonly always: number[] = [];
  private readonly stamp: Int32Array;
  private readonly buf: Int32Array;
  private gen = 0;

  constructor(items: IndexedItem[]) {
    this.stamp = new Int32Array(items.length);
    this.buf = new Int32Array(items.length);
    // How many patterns could use a word: the first pass counts, the second chooses rare words.
    const freq = new Map<string, number>();
    for (const it of items) {
      if (it.partial) continue;
      for (const src of it.sources) {
        for (const b of splitTopLevel(src)) for (const w of new Set(branchLiterals(b).words)) freq.set(w, (freq.get(w) ?? 0) + 1);
      }
    }
    const cost: Costs = (w) => (freq.get(w) ?? 0) + (COMMON.has(w) ? 1000 : 0) + (w.length < 3 ? 100 : 0);
    items.forEach((it, id) => {
      const keys = it.sources.map((src) => (it.partial ? needleKeys(src) : branchKeys(src, cost)));
      if (!keys || keys.some((k) => k === null)) {
        this.always.push(id);
        return;
      }
      const words = new Set<string>();
      const needles = new Set<string>();
      for (const k of keys) {
        for (const key of k ?? []) {
          if ('needle' in key) needles.add(key.needle);
          else for (const w of key.anyOf) words.add(w);
        }
      }
      for (const w of words) {
        const list = this.byWord.get(w);
        if (list) list.push(id);
        else this.byWord.set(w, [id]);
      }
      for (const needle of needles) this.needles.push({ id, needle, nonAscii: NON_ASCII.test(needle) });
    });
  }

  /** Candidate ids in ascending (priority) order for a text, given lower-cased and as its words. */
  candidates(lower: string, words: readonly string[]): Int32Array {
    const g = ++this.gen;
    const stamp = this.stamp;
    const buf = this.buf;
    let n = 0;
    for (const w of words) {
      const ids = this.byWord.get(w);
      if (!ids) continue;
      for (const id of ids) {
        if (stamp[id] !== g) {
          stamp[id] = g;
          buf[n++] = id;
        }
      }
    }
    const ascii = !NON_ASCII.test(lower);
    for (const nd of this.needles) {
      if (stamp[nd.id] !== g && !(ascii && nd.nonAscii) && lower.includes(nd.needle)) {
        stamp[nd.id] = g;
        buf[n++] = nd.id;
      }
    }
    for (const id of this.always) {
      if (stamp[id] !== g) {
        stamp[id] = g;
        buf[n++] = id;
      }
    }
    return buf.slice(0, n).sort();
  }
}

// ---------------------------------------------------------------------------------------------
// Compilation

interface Compiled {
  p: PatternData;
  res: RegExp[];
  all: RegExp[];
  not: RegExp[];
  codes?: RegExp;
  enhanced?: RegExp;
  stages?: Set<string>;
}

interface Catalog {
  patterns: Compiled[];
  index: WordIndex;
  hints: { name: string; res: RegExp[]; reference?: string }[];
  hintIndex: WordIndex;
  providerRefs: Map<string, string>;
  enhanced: Map<string, Reason>;
  regexCount: number;
}

/** One regex for a list of alternatives, matching only at word boundaries unless `partial`. */
function wrap(srcs: string[], partial = false): RegExp {
  const body = srcs.map((s) => `(?:${s})`).join('|');
  return new RegExp(partial ? body : `(?<![${WORD_CLASS}])(?:${body})(?![${WORD_CLASS}])`, 'i');
}

function codeSet(list: string[] | undefined, kind: 'basic' | 'enhanced'): RegExp | undefined {
  if (!list || list.length === 0) return undefined;
  const alts = list.map((c) => {
    if (kind === 'basic') return c.replace(/x/gi, '[0-9]');
    return c.split('.').map((part, k) => (k === 0 && /^x$/i.test(part) ? '[245]' : part === '*' ? '[0-9]{1,3}' : part)).join('\\.');
  });
  return new RegExp(`^(?:${alts.join('|')})$`, 'i');
}

let catalog: Catalog | undefined;

function compile(): Catalog {
  const sorted = D.patterns
    .map((p, order) => ({ p, order, prio: p.priority ?? (p.provider ? DEFAULT_PRIORITY.provider : DEFAULT_PRIORITY.generic) }))
    .sort((a, z) => z.prio - a.prio || a.order - z.order);
  let regexCount = 0;
  const patterns: Compiled[] = sorted.map(({ p }) => {
    const c: Compiled = {
      p,
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
    const h: { name: string; res: RegExp[]; reference?: string } = { name: pr.name, res: [wrap(pr.hints)] };
    if (pr.reference) h.reference = pr.reference;
    return h;
  });
  regexCount += hints.reduce((n, h) => n + h.res.length, 0);
  const providerRefs = new Map<string, string>();
  for (const h of hints) if (h.reference) providerRefs.set(h.name, h.reference);
  return {
    patterns,
    index: new WordIndex(patterns.map((c) => ({ sources: c.p.match, partial: c.p.partial === true }))),
    hints,
    hintIndex: new WordIndex(D.providers.map((pr) => ({ sources: pr.hints, partial: false }))),
    providerRefs,
    enhanced: new Map(D.enhancedFallback.map((e) => [e.code.toUpperCase(), e.reason])),
    regexCount,
  };
}

function getCatalog(): Catalog {
  if (!catalog) {
    catalog = compile();
    literalsMemo.clear();
    splitMemo.clear();
    edgesMemo.clear();
  }
  return catalog;
}

/**
 * Compile the patterns and their index now (150-200 ms, once per process) instead of at the
 * first classification: the probe calls it while its first DNS answer is on the way.
 */
export function prepareRecognition(): void {
  getCatalog();
}

/** Size of the compiled catalog and of its prefilter, for tests and the benchmark. */
export function recognitionStats(): { patterns: number; regexes: number; indexedWords: number; needles: number; needleList: string[]; alwaysTested: number; alwaysTestedIds: string[] } {
  const c = getCatalog();
  return {
    patterns: c.patterns.length,
    regexes: c.regexCount,
    indexedWords: c.index.byWord.size,
    needles: c.index.needles.length,
    needleList: c.index.needles.map((n) => `${c.patterns[n.id]?.p.id ?? ""}:${n.needle}`),
    alwaysTested: c.index.always.length,
    alwaysTestedIds: c.index.always.map((id) => c.patterns[id]?.p.id ?? ''),
  };
}

// ---------------------------------------------------------------------------------------------
// Input normalisation

const LEAD_CODE = /^([2-5][0-9][0-9])(?:[ -]|$)\s*/;
const LEAD_ENH = /^([245])\.([0-9]{1,3})\.([0-9]{1,3})(?=\s|$|[,;:])[,;:]?\s*/;
const INNER_ENH = /(?:^|[\s(#])([245])\.([0-9]{1,3})\.([0-9]{1,3})(?=[\s)\]:;,]|$)/;
const SAID_CODE = /(?:said|to me|response):\s*([2-5][0-9][0-9])[ -](?:([245])\.([0-9]{1,3})\.([0-9]{1,3})\s)?/i;
// In a log line the reply sits after a prefix; "550 5.1.1" (code and enhanced code of one class)
// is distinctive enough to find it there.
const CODE_PAIR = /(?:^|[\s:(])([245])([0-9][0-9])[ -]([245])\.([0-9]{1,3})\.([0-9]{1,3})(?=[\s,;:]|$)/;
// Postfix "(in reply to RCPT TO command)", Exim "after RCPT TO:<...>": the log names the stage.
const STAGE_HINT =
  /in reply to (rcpt to|rcpt|mail from|end of data|data|ehlo|helo|lhlo|starttls) command|after (rcpt to|mail from|end of data|data|ehlo|helo|initial connection)|(while receiving the initial server greeting)|reject: (rcpt|mail|data|end-of-message|ehlo|helo|connect) from/i;
const STAGE_OF: Record<string, string> = {
  'rcpt to': 'rcpt', rcpt: 'rcpt', 'mail from': 'mail', 'end of data': 'data', data: 'data',
  ehlo: 'ehlo', helo: 'ehlo', lhlo: 'ehlo', starttls: 'starttls', 'initial connection': 'banner',
  mail: 'mail', 'end-of-message': 'data', connect: 'banner',
};
const STAGE_ALIAS: Record<string, string> = { connect: 'banner', greeting: 'banner', lhlo: 'ehlo', 'mail from': 'mail', 'rcpt to': 'rcpt', bdat: 'data' };

export interface ParsedReplyText { text: string; code?: number; enhanced?: string; stage?: string }

/**
 * The reply as recognition sees it: codes (given, or read from the text, a log line's "said: 550
 * 5.1.1" included), the stage (given, or from "in reply to RCPT TO command"), and the text with
 * each line's codes removed and whitespace collapsed.
 */
export function parseReplyText(input: ReplyInput): ParsedReplyText {
  return normalize(input);
}

type Normalized = ParsedReplyText;

function normalize(input: ReplyInput): Normalized {
  let code = Number.isInteger(input.code) && (input.code as number) >= 200 && (input.code as number) <= 599 ? input.code : undefined;
  let enhanced = input.enhanced && /^[245]\.[0-9]{1,3}\.[0-9]{1,3}$/.test(input.enhanced) ? input.enhanced : undefined;
  const raw = (typeof input.text === 'string' ? input.text : '').slice(0, MAX_TEXT * 2);
  const parts: string[] = [];
  for (const rawLine of raw.includes('\n') ? raw.split('\n') : [raw]) {
    let line = rawLine.trim();
    const mc = LEAD_CODE.exec(line);
    if (mc) {
      code ??= Number(mc[1]);
      line = line.slice(mc[0].length);
    }
    const me = LEAD_ENH.exec(line);
    if (me) {
      const e = `${me[1]}.${Number(me[2])}.${Number(me[3])}`;
      if (code === undefined || String(code)[0] === me[1]) {
        enhanced ??= e;
        line = line.slice(me[0].length);
      }
    }
    if (line) parts.push(line);
  }
  let text = parts.length === 1 ? (parts[0] as string) : parts.join(' ');
  if (/\s\s|[\t\r\f\v\u00a0\u2000-\u200b\u3000]/.test(text)) text = text.replace(/\s+/g, ' ').trim();
  if (text.length > MAX_TEXT) text = text.slice(0, MAX_TEXT);
  if (code === undefined) {
    const s = SAID_CODE.exec(text);
    if (s) {
      code = Number(s[1]);
      if (s[2] && s[2] === String(code)[0]) enhanced ??= `${s[2]}.${Number(s[3])}.${Number(s[4])}`;
    } else {
      const p = CODE_PAIR.exec(text);
      if (p && p[1] === p[3]) {
        code = Number(`${p[1]}${p[2]}`);
        enhanced ??= `${p[3]}.${Number(p[4])}.${Number(p[5])}`;
      }
    }
  }
  if (enhanced === undefined) {
    const m = INNER_ENH.exec(text.slice(0, 200));
    if (m && (code === undefined || String(code)[0] === m[1])) enhanced = `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
  }
  let stage = input.stage?.toLowerCase();
  if (stage) stage = STAGE_ALIAS[stage] ?? stage;
  else {
    const h = STAGE_HINT.exec(text);
    if (h) stage = h[3] ? 'banner' : STAGE_OF[(h[1] ?? h[2] ?? h[4] ?? '').toLowerCase()];
  }
  const out: Normalized = { text };
  if (code !== undefined) out.code = code;
  if (enhanced !== undefined) out.enhanced = enhanced;
  if (stage) out.stage = stage;
  return out;
}

function wordsOf(lower: string): string[] {
  return lower.match(WORD) ?? [];
}

// ---------------------------------------------------------------------------------------------
// Classification

function providerHint(c: Catalog, lower: string, words: readonly string[], host: string | undefined, useIndex: boolean): Catalog['hints'][number] | undefined {
  const ids = useIndex ? c.hintIndex.candidates(lower, words) : Int32Array.from(c.hints.keys());
  for (const id of ids) {
    const h = c.hints[id];
    if (h && matchesAny(h.res, lower)) return h;
  }
  if (host) {
    const hl = host.toLowerCase();
    return c.hints.find((h) => matchesAny(h.res, hl));
  }
  return undefined;
}

function enhancedReason(c: Catalog, enhanced: string): Reason | undefined {
  const [cls, subj, det] = enhanced.split('.');
  for (const key of [`${cls}.${subj}.${det}`, `X.${subj}.${det}`, `${cls}.${subj}.*`, `X.${subj}.*`]) {
    const r = c.enhanced.get(key.toUpperCase());
    if (r) return r;
  }
  return undefined;
}

function basicReason(code: number, stage: string | undefined): Reason | undefined {
  const s = String(code);
  const fits = (e: PatternFile['basicFallback'][number], key: string): boolean =>
    e.code.toLowerCase() === key && (!e.stages || (stage !== undefined && e.stages.includes(stage)));
  for (const key of [s, `${s[0]}xx`]) {
    const hit = D.basicFallback.find((e) => fits(e, key) && e.stages) ?? D.basicFallback.find((e) => fits(e, key));
    if (hit) return hit.reason;
  }
  return undefined;
}

function matchesAll(res: RegExp[], s: string): boolean {
  for (const r of res) if (!r.test(s)) return false;
  return true;
}

function matchesAny(res: RegExp[], s: string): boolean {
  for (const r of res) if (r.test(s)) return true;
  return false;
}

function classify(input: ReplyInput, useIndex: boolean): TextClassification {
  const c = getCatalog();
  const n = normalize(input);
  const lower = n.text.toLowerCase();
  const words = wordsOf(lower);
  const facts = extractFacts(n.text, lower, words);
  const cls = n.code !== undefined ? Math.floor(n.code / 100) : n.enhanced ? Number(n.enhanced[0]) : undefined;
  const permanent = cls === 5 ? true : cls === 4 ? false : undefined;
  // Who wrote the text, from its wording or the host name: looked up only when a pattern needs it.
  let hintDone = false;
  let hintValue: Catalog['hints'][number] | undefined;
  const hint = (): Catalog['hints'][number] | undefined => {
    if (!hintDone) {
      hintValue = providerHint(c, lower, words, input.host, useIndex);
      hintDone = true;
    }
    return hintValue;
  };

  if (cls === 2 || cls === 3) {
    const out: TextClassification = {
      reason: 'undefined',
      meaning: 'The reply is positive: the server accepted the command.',
      action: 'Nothing to fix.',
      facts,
      inferred: false,
      permanent: undefined,
    };
    const h = hint();
    if (h) out.provider = h.name;
    return out;
  }

  const ids = useIndex ? c.index.candidates(lower, words) : Int32Array.from(c.patterns.keys());
  for (const id of ids) {
    const cp = c.patterns[id];
    if (!cp) continue;
    const p = cp.p;
    if (cp.codes && n.code !== undefined && !cp.codes.test(String(n.code))) continue;
    if (cp.enhanced && (n.enhanced === undefined || !cp.enhanced.test(n.enhanced))) continue;
    if (cp.stages && n.stage && !cp.stages.has(n.stage)) continue;
    if (p.needsProvider && hint()?.name !== p.provider) continue;
    if (!matchesAll(cp.res, lower) || !matchesAll(cp.all, lower) || matchesAny(cp.not, lower)) continue;

    const override = n.stage ? p.stageReason?.[n.stage] : undefined;
    const reason = override ?? p.reason;
    const zoneOp = p.providerFromZone && facts.zones?.length ? facts.zones.map(zoneOperator).find(Boolean) : undefined;
    const provider = p.provider ?? zoneOp?.name ?? hint()?.name;
    const out: TextClassification = {
      reason,
      patternId: p.id,
      meaning: (!override && p.meaning) || D.reasons[reason].meaning,
      action: (!override && p.action) || D.reasons[reason].action,
      facts,
      inferred: false,
      permanent,
    };
    if (provider) out.provider = provider;
    const reference = p.reference ?? zoneOp?.reference ?? (provider ? c.providerRefs.get(provider) : undefined);
    if (reference) out.reference = reference;
    return out;
  }

  // Nothing in the text: what the codes alone say.
  let reason: Reason | undefined;
  if (n.enhanced) {
    const r = enhancedReason(c, n.enhanced);
    if (r && r !== 'undefined') reason = r;
  }
  if (!reason && n.code !== undefined) reason = basicReason(n.code, n.stage);
  const final: Reason = reason ?? 'undefined';
  const out: TextClassification = {
    reason: final,
    meaning: D.reasons[final].meaning,
    action: D.reasons[final].action,
    facts,
    inferred: n.code !== undefined || n.enhanced !== undefined,
    permanent,
  };
  const h = hint();
  if (h) {
    out.provider = h.name;
    if (h.reference) out.reference = h.reference;
  }
  return out;
}

/**
 * Classify one reply (or a bounce/log line). `text` may hold the whole multi-line reply with
 * or without its codes; codes given separately win over codes found in the text.
 */
export function classifyReply(input: ReplyInput): TextClassification {
  return classify(input, true);
}

/** The same classification without the word prefilter: the reference the prefilter must equal. */
export function classifyReplyUnindexed(input: ReplyInput): TextClassification {
  return classify(input, false);
}
