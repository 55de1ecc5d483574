// Reply-text recognition throughput: the corpus of documented replies repeated to a million lines,
// classified one by one as `smtp-probe explain -` does with a mail log. Prints lines per second,
// the one-time cost of compiling the catalog, the cost of facts extraction alone, and the ratio
// to the former first-match recognizer (tests/bench/first-match-recognizer.ts) in the same run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from '../helpers/cli.js';
import { classifyReply, recognitionStats } from '../../src/catalog/match-text.js';
import { extractFacts } from '../../src/catalog/reply-facts.js';
import { classifyReply as firstMatch, prepareRecognition as prepareFirstMatch } from './first-match-recognizer.js';

const TOTAL = 400_000;

function corpusLines(): string[] {
  const out: string[] = [];
  for (const f of ['train.tsv', 'holdout.tsv']) {
    let text = '';
    try {
      text = readFileSync(join(ROOT, 'fixtures', 'replies', f), 'utf8');
    } catch {
      continue;
    }
    for (const l of text.split('\n')) if (l && !l.startsWith('#')) out.push((l.split('\t')[4] ?? '').replace(/\\n/g, '\n'));
  }
  return out;
}

function rate(fn: (text: string) => unknown, lines: string[], total: number): number {
  const t = performance.now();
  for (let i = 0; i < total; i++) fn(lines[i % lines.length] as string);
  return (total / (performance.now() - t)) * 1000;
}

export async function run(): Promise<void> {
  const lines = corpusLines();
  const avg = lines.reduce((n, l) => n + l.length, 0) / lines.length;

  const t0 = performance.now();
  const stats = recognitionStats();
  const compileMs = performance.now() - t0;
  prepareFirstMatch();

  let sink = 0;
  const t1 = performance.now();
  for (let i = 0; i < TOTAL; i++) sink += classifyReply({ text: lines[i % lines.length] as string }).reason.length;
  const classifyMs = performance.now() - t1;

  const t2 = performance.now();
  for (let i = 0; i < TOTAL / 4; i++) sink += Object.keys(extractFacts(lines[i % lines.length] as string)).length;
  const factsMs = performance.now() - t2;

  // Same run, same lines, interleaved halves so a noisy neighbour hurts both alike.
  const part = TOTAL / 4;
  let now = 0;
  let old = 0;
  for (let k = 0; k < 2; k++) {
    now += rate((text) => classifyReply({ text }), lines, part / 2);
    old += rate((text) => firstMatch({ text }), lines, part / 2);
  }

  console.log(`catalog: ${stats.patterns} patterns, ${stats.regexes} regexes; compiled in ${compileMs.toFixed(0)} ms`);
  console.log(
    `recognition: ${TOTAL.toLocaleString('en')} lines (the ${lines.length}-line corpus repeated, ${avg.toFixed(0)} chars on average) in ${(classifyMs / 1000).toFixed(2)} s: ${Math.round((TOTAL / classifyMs) * 1000).toLocaleString('en')} lines/s, ${((classifyMs * 1000) / TOTAL).toFixed(1)} µs/line`,
  );
  console.log(`  of which facts extraction: ${((factsMs * 1000) / (TOTAL / 4)).toFixed(1)} µs/line (checksum ${sink % 1000})`);
  console.log(`  decision list vs the former first-match recognizer, same run: ${(now / old).toFixed(2)}x (${Math.round(now / 2).toLocaleString('en')} vs ${Math.round(old / 2).toLocaleString('en')} lines/s)`);
}
