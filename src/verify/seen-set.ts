// A set of strings kept as 64-bit hashes in typed arrays (open addressing, linear probing):
// about 11 bytes per address at the highest load, so deduplicating a million addresses costs
// ~16 MB instead of the ~100 MB a Set<string> would. Bounded: past `maxEntries` it stops
// growing and says so (full), and the caller documents what that means. Never stores text.

/** Default cap: 4,000,000 distinct addresses (a 64 MB table at most). */
export const DEFAULT_MAX_ENTRIES = 4_000_000;
const MAX_LOAD = 0.7;

/** Two independent 32-bit FNV-1a style hashes of the UTF-16 code units (a 64-bit key). */
function hash64(s: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  // (0, 0) marks an empty slot.
  if (h1 === 0 && h2 === 0) h1 = 1;
  return [h1 >>> 0, h2 >>> 0];
}

export class SeenSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  private count = 0;
  /** Entries refused because the set is at its cap. */
  overflowed = 0;

  constructor(readonly maxEntries = DEFAULT_MAX_ENTRIES, initialSlots = 1 << 16) {
    let slots = 1;
    while (slots < initialSlots) slots <<= 1;
    this.hi = new Uint32Array(slots);
    this.lo = new Uint32Array(slots);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.count;
  }

  /** At its cap: new strings are no longer remembered (has() stays exact for those it holds). */
  get full(): boolean {
    return this.count >= this.maxEntries;
  }

  has(s: string): boolean {
    const [a, b] = hash64(s);
    for (let i = a & this.mask; ; i = (i + 1) & this.mask) {
      const x = this.hi[i] as number;
      const y = this.lo[i] as number;
      if (x === 0 && y === 0) return false;
      if (x === a && y === b) return true;
    }
  }

  /** Adds `s`; true if it was new. At the cap, returns true without remembering it. */
  add(s: string): boolean {
    const [a, b] = hash64(s);
    let i = a & this.mask;
    for (; ; i = (i + 1) & this.mask) {
      const x = this.hi[i] as number;
      const y = this.lo[i] as number;
      if (x === 0 && y === 0) break;
      if (x === a && y === b) return false;
    }
    if (this.count >= this.maxEntries) {
      this.overflowed++;
      return true;
    }
    this.hi[i] = a;
    this.lo[i] = b;
    this.count++;
    if (this.count > this.hi.length * MAX_LOAD) this.grow();
    return true;
  }

  private grow(): void {
    const oldHi = this.hi;
    const oldLo = this.lo;
    const slots = oldHi.length * 2;
    this.hi = new Uint32Array(slots);
    this.lo = new Uint32Array(slots);
    this.mask = slots - 1;
    for (let j = 0; j < oldHi.length; j++) {
      const a = oldHi[j] as number;
      const b = oldLo[j] as number;
      if (a === 0 && b === 0) continue;
      let i = a & this.mask;
      while ((this.hi[i] as number) !== 0 || (this.lo[i] as number) !== 0) i = (i + 1) & this.mask;
      this.hi[i] = a;
      this.lo[i] = b;
    }
  }
}
