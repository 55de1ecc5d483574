// The word index of reply-text recognition: which patterns a text can possibly match, found
// from the words it holds. Every branch of a pattern's regexes is indexed under words it can
// only match as whole words (one word, or one per alternative of a mandatory group), or else
// under a literal substring it always contains; a line is then tested only against the
// patterns whose words or substrings it holds. Pure, no I/O; knows nothing of reasons.
import { branchLiterals, NON_ASCII, splitTopLevel } from './regex-literals.js';
import { leadingStrings } from './regex-strings.js';
import type { LexEntry, NeedleHit, Scan } from './word-scan.js';

export interface IndexedItem { sources: string[]; partial: boolean }

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
    if (needle && needle.trim().length >= 3) {
      out.push({ needle });
      continue;
    }
    // Else the strings every match starts with ("(#4", "(#5" for "[(]#[45]..."): lower-case
    // ASCII ones only, which a lower-cased text holds whether or not the regex folds case.
    const lead = leadingStrings(b, 3, 8, 16);
    if (!lead || lead.some((x) => x.trim().length < 3 || x !== x.toLowerCase() || NON_ASCII.test(x))) return null;
    for (const x of lead) out.push({ needle: x });
  }
  return out;
}

/**
 * Partial patterns (no word boundaries, e.g. Chinese) are found by a literal substring only: the
 * longest run in their own script if they have one, since an ASCII run ("smtp error") would have
 * them tested on every English text that holds it.
 */
function needleKeys(src: string): BranchKey[] | null {
  const out: BranchKey[] = [];
  for (const b of splitTopLevel(src)) {
    const runs = [...branchLiterals(b).runs].sort((x, z) => z.length - x.length);
    const needle = runs.find((r) => NON_ASCII.test(r) && r.trim().length >= 2) ?? runs[0];
    if (!needle || needle.trim().length < 2) return null;
    out.push({ needle });
  }
  return out;
}

// A backreference ties a branch to groups of another: such a source is not split.
const BACKREF = /\\(?:[1-9]|k<)/;

/**
 * The branches an item's sources are tested by, one regex each: the top-level alternatives of
 * every source (a regex matches when one of its top-level alternatives does).
 */
export function branchesOf(sources: readonly string[]): string[] {
  return sources.flatMap((s) => (BACKREF.test(s) ? [s] : splitTopLevel(s)));
}

/**
 * Word → branch ids ("units": item and branch, numbered in item order, so in priority order),
 * substring needles for branches without a whole word, and the units that must be tested on
 * every text. The words and needles are looked for by the word scan (word-scan.ts), which reads
 * a text once for every index. A text's candidates are items, each with the branches it can match.
 */
export class WordIndex {
  readonly byWord = new Map<string, number[]>();
  /** Needles, with the item (`id`) and branch unit they find. */
  readonly needles: { id: number; unit: number; needle: string; nonAscii: boolean }[] = [];
  /** Items with a branch tested on every text. */
  readonly always: number[] = [];
  private readonly alwaysUnits: number[] = [];
  /** Per unit: its item and its branch number within the item. */
  private readonly unitItem: number[] = [];
  private readonly unitBranch: number[] = [];
  private readonly stamp: Int32Array;
  private readonly units: Int32Array;
  /** Per candidate item, its hit units at units[from[id]..to[id]). */
  private readonly from: Int32Array;
  private readonly to: Int32Array;
  private gen = 0;

  constructor(items: IndexedItem[]) {
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
      branchesOf(it.sources).forEach((src, branch) => {
        const unit = this.unitItem.length;
        this.unitItem.push(id);
        this.unitBranch.push(branch);
        const keys = it.partial ? needleKeys(src) : branchKeys(src, cost);
        if (!keys) {
          this.alwaysUnits.push(unit);
          if (!this.always.includes(id)) this.always.push(id);
          return;
        }
        const words = new Set<string>();
        const needles = new Set<string>();
        for (const key of keys) {
          if ('needle' in key) needles.add(key.needle);
          else for (const w of key.anyOf) words.add(w);
        }
        for (const w of words) {
          const list = this.byWord.get(w);
          if (list) list.push(unit);
          else this.byWord.set(w, [unit]);
        }
        for (const needle of needles) this.needles.push({ id, unit, needle, nonAscii: NON_ASCII.test(needle) });
      });
    });
    const n = this.unitItem.length;
    this.stamp = new Int32Array(n);
    this.units = new Int32Array(n);
    this.from = new Int32Array(items.length);
    this.to = new Int32Array(items.length);
  }

  /**
   * Whether a branch of candidate item `id` that the last candidates() call found passes its
   * test (`branches` numbered as branchesOf() numbers them): the others cannot match.
   */
  someBranch(id: number, branches: readonly { test(s: string): boolean }[], s: string): boolean {
    const to = this.to[id] as number;
    for (let i = this.from[id] as number; i < to; i++) {
      if ((branches[this.unitBranch[this.units[i] as number] as number] as { test(s: string): boolean }).test(s)) return true;
    }
    return false;
  }

  /**
   * Candidate items in ascending (priority) order for a text, given its scan, whose word entries
   * and needle hits name this index as number `k`.
   */
  candidates(scan: Scan, k: number): readonly number[] {
    const g = ++this.gen;
    const stamp = this.stamp;
    const units = this.units;
    const entries = scan.entries;
    let n = 0;
    for (let e = 0; e < scan.count; e++) {
      const ids = (entries[e] as LexEntry).lists[k];
      if (ids === undefined) continue;
      for (let j = 0; j < ids.length; j++) {
        const u = ids[j] as number;
        if (stamp[u] !== g) {
          stamp[u] = g;
          units[n++] = u;
        }
      }
    }
    for (let e = 0; e < scan.hitCount; e++) {
      const hit = scan.hits[e] as NeedleHit;
      if (hit.k === k && stamp[hit.id] !== g) {
        stamp[hit.id] = g;
        units[n++] = hit.id;
      }
    }
    const always = this.alwaysUnits;
    for (let j = 0; j < always.length; j++) {
      const u = always[j] as number;
      if (stamp[u] !== g) {
        stamp[u] = g;
        units[n++] = u;
      }
    }
    // Insertion sort: a line has about ten candidates (a text holding every word, many more).
    if (n > 48) units.subarray(0, n).sort();
    else {
      for (let i = 1; i < n; i++) {
        const v = units[i] as number;
        let j = i - 1;
        while (j >= 0 && (units[j] as number) > v) {
          units[j + 1] = units[j] as number;
          j--;
        }
        units[j + 1] = v;
      }
    }
    // Units come in item order: each item once, with the range of its units.
    // (A reused plain array: a typed array's subarray() costs more than the rest of this.)
    const out: number[] = [];
    let last = -1;
    for (let i = 0; i < n; i++) {
      const item = this.unitItem[units[i] as number] as number;
      if (item !== last) {
        out.push(item);
        this.from[item] = i;
        last = item;
      }
      this.to[item] = i + 1;
    }
    return out;
  }
}
