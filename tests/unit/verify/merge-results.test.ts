// mergeResults (verify --merge): one line per address, the last one, in file order; one CSV
// header; torn and blank lines dropped; a CSV address with a quoted comma is one address.
import { describe, expect, it } from 'vitest';
import { mergeResults } from '../../../src/verify/merge-results.js';

async function merge(lines: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of mergeResults(async function* () { yield* lines; })) out.push(l);
  return out;
}

describe('mergeResults', () => {
  it('JSON Lines: the last line per address wins, torn and blank lines go', async () => {
    const a1 = JSON.stringify({ address: 'a@x.test', verdict: 'unknown' });
    const b = JSON.stringify({ address: 'b@x.test', verdict: 'deliverable' });
    const a2 = JSON.stringify({ address: 'a@x.test', verdict: 'undeliverable' });
    expect(await merge([a1, b, '{"address":"c@x', '', a2])).toEqual([b, a2]);
  });

  it('CSV: one header, the last row per address; a quoted comma stays inside its address', async () => {
    const rows = ['address,verdict,reason', '"x,y"@x.test,unknown,timeout', 'b@x.test,risky,catchall', 'address,verdict,reason', '"x,y"@x.test,deliverable,accepted'];
    expect(await merge(rows)).toEqual(['address,verdict,reason', 'b@x.test,risky,catchall', '"x,y"@x.test,deliverable,accepted']);
  });
});
