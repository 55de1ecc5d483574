// The dedupe table: exact membership while it grows, a hard cap, and its memory (typed arrays).
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { SeenSet } from '../../../src/verify/seen-set.js';

/** A real collection before each memory reading (the flag turned on at run time, no CLI flag needed). */
function collect(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

describe('SeenSet', () => {
  it('adds, answers has(), refuses repeats, grows past its first size', () => {
    const s = new SeenSet(1_000_000, 16);
    for (let i = 0; i < 50_000; i++) expect(s.add(`user${i}@example.com`)).toBe(true);
    expect(s.size).toBe(50_000);
    for (let i = 0; i < 50_000; i++) expect(s.add(`user${i}@example.com`)).toBe(false);
    for (let i = 0; i < 1000; i++) expect(s.has(`user${i}@example.com`)).toBe(true);
    for (let i = 50_000; i < 60_000; i++) expect(s.has(`user${i}@example.com`)).toBe(false);
    expect(s.has('')).toBe(false);
  });
  it('stops remembering at its cap and says so', () => {
    const s = new SeenSet(100);
    for (let i = 0; i < 150; i++) s.add(`a${i}`);
    expect(s.size).toBe(100);
    expect(s.full).toBe(true);
    expect(s.overflowed).toBe(50);
    expect(s.add('a1')).toBe(false); // those it holds are still exact
    expect(s.add('a149')).toBe(true); // not remembered: reported as new again
  });
  it('a million distinct addresses: no false repeats, and the table measured at about 16 MB', () => {
    const gc = collect();
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const s = new SeenSet();
    let repeats = 0;
    for (let i = 0; i < 1_000_000; i++) if (!s.add(`${i.toString(36)}.person@domain${i % 5000}.example`)) repeats++;
    expect(repeats).toBe(0);
    expect(s.size).toBe(1_000_000);
    gc(); // the tables outgrown on the way are garbage now
    const held = process.memoryUsage().arrayBuffers - before;
    // 2^21 slots (a million at load <= 0.7) of two Uint32 = 16 MiB (a Set<string> of the same
    // addresses measured ~135 MB of heap on Node 20). The reading is process-wide: buffers of
    // earlier tests in this worker that the gc() frees count against it, so the floor is loose;
    // a table kept in strings instead would hold almost no ArrayBuffer memory at all.
    expect(held).toBeGreaterThanOrEqual(12 * 2 ** 20);
    expect(held).toBeLessThanOrEqual(20 * 2 ** 20);
    expect(s.has('0.person@domain0.example')).toBe(true); // keeps `s` alive until measured
  });
});
