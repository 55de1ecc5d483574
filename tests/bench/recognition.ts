// Reply-text recognition throughput: the corpus of documented replies repeated to 400 000 lines,
// classified one by one as `smtp-probe explain -` does with a mail log. Prints lines per second,
// the one-time cost of compiling the catalog, the cost of facts extraction alone, and the ratio
// to the former first-match recognizer in the same run. That recognizer is read from git history
// (BASELINE_COMMIT) into a temporary file at bench time, so no copy of it lives in the tree; the
// comparison is skipped, saying why, when git or that commit is not available.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ROOT } from '../helpers/cli.js';
import { classifyReply, recognitionStats } from '../../src/catalog/match-text.js';
import { extractFacts } from '../../src/catalog/reply-facts.js';

const TOTAL = 400_000;
/** The last commit whose src/catalog/match-text.ts was the whole first-match recognizer. */
const BASELINE_COMMIT = 'f36f285';

type Classify = (input: { text: string }) => { reason: string };

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

/**
 * The first-match recognizer of BASELINE_COMMIT, run over today's data/reply-patterns.json and
 * reply-facts.ts (its only imports, whose interfaces are unchanged), or the reason it is missing.
 */
async function loadFirstMatch(): Promise<{ classify: Classify; prepare: () => void } | string> {
  let src: string;
  try {
    src = execFileSync('git', ['show', `${BASELINE_COMMIT}:src/catalog/match-text.ts`], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return `git show ${BASELINE_COMMIT} failed (no git, or a shallow clone)`;
  }
  const href = (p: string): string => pathToFileURL(join(ROOT, p)).href;
  src = src
    .replaceAll("'../../data/reply-patterns.json'", `'${href('data/reply-patterns.json')}'`)
    .replaceAll("'./reply-facts.js'", `'${href('src/catalog/reply-facts.ts')}'`);
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-bench-'));
  try {
    const file = join(dir, 'first-match-recognizer.ts');
    writeFileSync(file, src);
    const m = (await import(pathToFileURL(file).href)) as { classifyReply: Classify; prepareRecognition: () => void };
    return { classify: m.classifyReply, prepare: m.prepareRecognition };
  } catch (e) {
    return `the recognizer of ${BASELINE_COMMIT} did not load: ${(e as Error).message}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
  const firstMatch = await loadFirstMatch();
  if (typeof firstMatch !== 'string') firstMatch.prepare();

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
  if (typeof firstMatch === 'string') {
    console.log(`  comparison with the first-match recognizer skipped: ${firstMatch}`);
    return;
  }
  // Same run, same lines, interleaved halves so a noisy neighbour hurts both alike.
  const part = TOTAL / 4;
  let now = 0;
  let old = 0;
  for (let k = 0; k < 2; k++) {
    now += rate((text) => classifyReply({ text }), lines, part / 2);
    old += rate((text) => firstMatch.classify({ text }), lines, part / 2);
  }
  console.log(`  decision list vs the first-match recognizer of ${BASELINE_COMMIT}, same run: ${(now / old).toFixed(2)}x (${Math.round(now / 2).toLocaleString('en')} vs ${Math.round(old / 2).toLocaleString('en')} lines/s)`);
}
