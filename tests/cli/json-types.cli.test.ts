// One type per field across the commands' JSON (issue 14): a basic reply code is an integer, an
// enhanced status code a string and a reason a string wherever they appear in explain, explain -
// and the probe (demo) output; the explanations behind them sit in fields of their own.
import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';

const ENHANCED = /^[245X]\.[0-9]{1,3}\.[0-9]{1,3}$/;

/** Every value of `code`, `enhanced` and `reason` in a document, except inside the explanation objects. */
function fields(doc: unknown, out: { key: string; value: unknown; path: string }[] = [], path = ''): typeof out {
  if (Array.isArray(doc)) doc.forEach((v, i) => fields(v, out, `${path}[${i}]`));
  else if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      // The enhanced code's own explanation and the evidence's prior name the enhanced code `code`.
      if (k === 'enhancedExplanation' || k === 'evidence' || k === 'checks') continue;
      if (k === 'code' || k === 'enhanced' || k === 'reason') out.push({ key: k, value: v, path: `${path}.${k}` });
      fields(v, out, `${path}.${k}`);
    }
  }
  return out;
}

function expectOneType(doc: unknown, what: string): number {
  const found = fields(doc);
  for (const f of found) {
    if (f.key === 'code') expect(typeof f.value, `${what} ${f.path}`).toBe('number');
    if (f.key === 'enhanced') expect(String(f.value), `${what} ${f.path}`).toMatch(ENHANCED);
    if (f.key === 'enhanced') expect(typeof f.value, `${what} ${f.path}`).toBe('string');
    if (f.key === 'reason') expect(typeof f.value, `${what} ${f.path}`).toBe('string');
  }
  return found.length;
}

describe('code, enhanced and reason have one type in every command', () => {
  it('explain (code, enhanced code, reply, comparison) and explain -', async () => {
    let n = 0;
    for (const args of [['550'], ['5.7.26'], ['550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown'], ['220', '554']]) {
      const r = await runBin(['explain', ...args, '--json']);
      expect(r.status, args.join(' ')).toBe(0);
      n += expectOneType(JSON.parse(r.stdout), `explain ${args.join(' ')}`);
    }
    const lines = (await runBin(['explain', '-', '--json'], { input: '550 5.1.1 User unknown\n421 4.3.2 Service shutting down\n' })).stdout.trimEnd().split('\n');
    for (const l of lines) n += expectOneType(JSON.parse(l), 'explain -');
    expect(n).toBeGreaterThan(8);
  });

  it('the probe (demo --json)', async () => {
    const r = await runBin(['demo', '--json'], { timeoutMs: 60_000 });
    const doc = JSON.parse(r.stdout) as unknown;
    expect(expectOneType(doc, 'demo')).toBeGreaterThan(3);
  }, 90_000);
});
