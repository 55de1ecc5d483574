// Reply-text recognition throughput: the corpus of documented replies repeated to a million lines,
// classified one by one as `smtp-probe explain -` does with a mail log. Prints lines per second,
// the one-time cost of compiling the catalog, and the cost of facts extraction alone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from '../helpers/cli.js';
import { classifyReply, recognitionStats } from '../../src/catalog/match-text.js';
import { extractFacts } from '../../src/catalog/reply-facts.js';

const TOTAL = 1_000_000;

export async function run(): Promise<void> {
  const lines = readFileSync(join(ROOT, 'fixtures', 'replies', 'corpus.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => (l.split('\t')[4] ?? '').replace(/\\n/g, '\n'));
  const avg = lines.reduce((n, l) => n + l.length, 0) / lines.length;

  const t0 = performance.now();
  const stats = recognitionStats();
  const compileMs = performance.now() - t0;

  let sink = 0;
  const t1 = performance.now();
  for (let i = 0; i < TOTAL; i++) sink += classifyReply({ text: lines[i % lines.length] as string }).reason.length;
  const classifyMs = performance.now() - t1;

  const t2 = performance.now();
  for (let i = 0; i < TOTAL / 4; i++) sink += Object.keys(extractFacts(lines[i % lines.length] as string)).length;
  const factsMs = performance.now() - t2;

  console.log(`catalog: ${stats.patterns} patterns, ${stats.regexes} regexes; compiled in ${compileMs.toFixed(0)} ms`);
  console.log(
    `recognition: ${TOTAL.toLocaleString('en')} lines (the ${lines.length}-line corpus repeated, ${avg.toFixed(0)} chars on average) in ${(classifyMs / 1000).toFixed(2)} s: ${Math.round((TOTAL / classifyMs) * 1000).toLocaleString('en')} lines/s, ${((classifyMs * 1000) / TOTAL).toFixed(1)} µs/line`,
  );
  console.log(`  of which facts extraction: ${((factsMs * 1000) / (TOTAL / 4)).toFixed(1)} µs/line (checksum ${sink % 1000})`);
}
