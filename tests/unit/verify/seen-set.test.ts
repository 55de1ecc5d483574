// The dedupe table: exact membership while it grows, a hard cap, and its memory (typed arrays).
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { SeenSet } from '../../../src/verify/seen-set.js';

/**
 * ArrayBuffer memory of the process once garbage is really gone: gc() (the flag turned on at run
 * time), then V8 frees dead buffers' memory on a background sweeper, so the reading is repeated
 * until two in a row agree (or 2 s pass) and the lowest is kept: unswept garbage only inflates it.
 */
async function settledArrayBuffers(): Promise<number> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  let low = Number.POSITIVE_INFINITY;
  let last = -1;
  for (let i = 0; i < 100; i++) {
    gc();
    const now = process.memoryUsage().arrayBuffers;
    low = Math.min(low, now);
    if (now === last) break;
    last = now;
    await new Promise((r) => setTimeout(r, 20));
  }
  return low;
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
  it('a million distinct addresses: no false repeats, and the table measured at about 16 MB', async () => {
    const before = await settledArrayBuffers();
    const s = new SeenSet();
    let repeats = 0;
    for (let i = 0; i < 1_000_000; i++) if (!s.add(`${i.toString(36)}.person@domain${i % 5000}.example`)) repeats++;
    expect(repeats).toBe(0);
    expect(s.size).toBe(1_000_000);
    const held = (await settledArrayBuffers()) - before; // the tables outgrown on the way are gone
    // 2^21 slots (a million at load <= 0.7) of two Uint32 = 16 MiB (a Set<string> of the same
    // addresses measured ~135 MB of heap on Node 20). Both readings are taken once the sweeper
    // has settled, so neither earlier tests' garbage nor the outgrown tables move them much; a
    // table kept in strings instead would hold almost no ArrayBuffer memory at all.
    expect(held).toBeGreaterThanOrEqual(12 * 2 ** 20);
    expect(held).toBeLessThanOrEqual(20 * 2 ** 20);
    expect(s.has('0.person@domain0.example')).toBe(true); // keeps `s` alive until measured
  });
});
