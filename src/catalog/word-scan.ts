// The word scan of reply-text recognition: one pass over a lower-cased text that finds its words
// (maximal runs of WORD_CLASS) and looks each up in a lexicon of the words recognition cares about
// (the pattern and provider word indexes, the zone cues of the facts), hashing each word as it is
// read instead of cutting the text into strings and asking several maps. Pure, no I/O.
import { WORD_CLASS } from './reply-facts.js';

const WORD_CHAR = new RegExp(`[${WORD_CLASS}]`);
// Per UTF-16 unit: 0 not looked at yet, 1 a word character, 2 not. Filled lazily from WORD_CLASS
// (the one definition): a table lookup per character instead of a regex over thirty ranges.
const CHAR_KIND = new Uint8Array(65536);

function kindOf(u: number): number {
  const k = WORD_CHAR.test(String.fromCharCode(u)) ? 1 : 2;
  CHAR_KIND[u] = k;
  return k;
}

/** Whether a UTF-16 unit is a WORD_CLASS character (case-sensitively). */
export function isWordUnit(u: number): boolean {
  return (CHAR_KIND[u] || kindOf(u)) === 1;
}

/** The words of a lower-cased text, as the indexes know them. */
export function wordsOf(lower: string): string[] {
  const out: string[] = [];
  let start = -1;
  const n = lower.length;
  for (let i = 0; i < n; i++) {
    const u = lower.charCodeAt(i);
    if ((CHAR_KIND[u] || kindOf(u)) === 1) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      out.push(lower.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) out.push(start === 0 ? lower : lower.slice(start));
  return out;
}

/** What the lexicon knows of a word: item ids per index (see WordIndex), and cue flags. */
export interface LexEntry { lists: (readonly number[] | undefined)[]; flags: number }

/** A literal substring that makes unit `id` of index `k` a candidate (k < 0: none), or sets `flag`. */
export interface NeedleItem { k: number; id: number; needle: string; flag: number }
export interface NeedleHit { k: number; id: number }

/** The known words and needles of one text, valid until the next scan. */
export interface Scan {
  /** Entries of the known words, in text order (repeats included), `count` of them. */
  entries: LexEntry[];
  count: number;
  /** Needles found in the text (repeats possible), `hitCount` of them. */
  hits: NeedleHit[];
  hitCount: number;
  /** The union of the known words' flags. */
  flags: number;
}

/** A needle, found by the two units at `at` (its rarest pair, so that false alarms are few). */
interface Needle { hit: NeedleHit | null; flag: number; needle: string; at: number }

const SEED = 0x811c9dc5 | 0;
const PRIME = 0x01000193;

function slotOf(h: number, mask: number): number {
  return (h ^ (h >>> 15)) & mask;
}

// How common a unit is in replies, to pick a needle's rarest pair: spaces, frequent letters and
// digits are everywhere; anything else (punctuation aside) is rarer.
const COMMON_UNITS = ' etaoinsrhldcu.-0123456789mpfgywb';

function commonness(u: number): number {
  const i = COMMON_UNITS.indexOf(String.fromCharCode(u));
  return i < 0 ? 0 : COMMON_UNITS.length - i;
}

const pairKey = (a: number, b: number): number => a * 65536 + b;
const pairBit = (a: number, b: number): number => ((a << 5) ^ b) & 0xffff;

export class Lexicon {
  private readonly words: string[] = [];
  private readonly entries: LexEntry[] = [];
  private readonly table: Int32Array;
  private readonly mask: number;
  /** A Bloom-style filter of the needles' pairs, then the needles by their exact pair. */
  private readonly pairs = new Uint8Array(65536);
  private readonly byPair = new Map<number, Needle[]>();
  /** Needles too short to have a pair: looked for with includes(). */
  private readonly short: Needle[] = [];
  private readonly out: Scan = { entries: [], count: 0, hits: [], hitCount: 0, flags: 0 };
  /** Flags set on every text, and those the needles of the current scan set. */
  private readonly always: number;
  private needleFlags = 0;

  constructor(known: Map<string, LexEntry>, needles: NeedleItem[], always = 0) {
    this.always = always;
    let size = 16;
    while (size < known.size * 4) size *= 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    for (const [w, e] of known) {
      let h = SEED;
      for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), PRIME);
      let s = slotOf(h, this.mask);
      while (this.table[s] !== 0) s = (s + 1) & this.mask;
      this.words.push(w);
      this.entries.push(e);
      this.table[s] = this.words.length;
    }
    for (const { k, id, needle, flag } of needles) {
      const hit = k >= 0 ? { k, id } : null;
      if (needle.length < 2) {
        this.short.push({ hit, flag, needle, at: 0 });
        continue;
      }
      let at = 0;
      let best = Infinity;
      for (let i = 0; i + 1 < needle.length; i++) {
        const c = commonness(needle.charCodeAt(i)) + commonness(needle.charCodeAt(i + 1));
        if (c < best) {
          best = c;
          at = i;
        }
      }
      const a = needle.charCodeAt(at);
      const b = needle.charCodeAt(at + 1);
      this.pairs[pairBit(a, b)] = 1;
      const key = pairKey(a, b);
      const list = this.byPair.get(key);
      if (list) list.push({ hit, flag, needle, at });
      else this.byPair.set(key, [{ hit, flag, needle, at }]);
    }
  }

  private find(lower: string, start: number, end: number, h: number): LexEntry | undefined {
    const len = end - start;
    for (let s = slotOf(h, this.mask); ; s = (s + 1) & this.mask) {
      const k = this.table[s] as number;
      if (k === 0) return undefined;
      const w = this.words[k - 1] as string;
      if (w.length !== len) continue;
      let j = 0;
      while (j < len && w.charCodeAt(j) === lower.charCodeAt(start + j)) j++;
      if (j === len) return this.entries[k - 1];
    }
  }

  /** Needles whose pair is the units at i-1 and i. */
  private needlesAt(lower: string, i: number, count: number): number {
    const list = this.byPair.get(pairKey(lower.charCodeAt(i - 1), lower.charCodeAt(i)));
    if (!list) return count;
    for (const nd of list) {
      const start = i - 1 - nd.at;
      if (start >= 0 && lower.startsWith(nd.needle, start)) {
        if (nd.hit) this.out.hits[count++] = nd.hit;
        this.needleFlags |= nd.flag;
      }
    }
    return count;
  }

  /** The known words and needles of a lower-cased text. The result is reused by the next call. */
  scan(lower: string): Scan {
    const out = this.out;
    const pairs = this.pairs;
    let count = 0;
    let hitCount = 0;
    let flags = this.always;
    this.needleFlags = 0;
    let start = -1;
    let h = SEED;
    let prev = -1;
    const n = lower.length;
    for (let i = 0; i <= n; i++) {
      const u = i < n ? lower.charCodeAt(i) : 32;
      if (pairs[((prev << 5) ^ u) & 0xffff] === 1 && prev >= 0 && i < n) hitCount = this.needlesAt(lower, i, hitCount);
      prev = u;
      if ((CHAR_KIND[u] || kindOf(u)) === 1) {
        if (start < 0) {
          start = i;
          h = SEED;
        }
        h = Math.imul(h ^ u, PRIME);
      } else if (start >= 0) {
        const e = this.find(lower, start, i, h);
        if (e) {
          out.entries[count++] = e;
          flags |= e.flags;
        }
        start = -1;
      }
    }
    for (const nd of this.short) {
      if (!lower.includes(nd.needle)) continue;
      if (nd.hit) out.hits[hitCount++] = nd.hit;
      flags |= nd.flag;
    }
    out.count = count;
    out.hitCount = hitCount;
    out.flags = flags | this.needleFlags;
    return out;
  }
}
