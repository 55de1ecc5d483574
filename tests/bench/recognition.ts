// Reply-text recognition throughput: every part of the reply corpus repeated to 400 000 lines
// (RECOG_BENCH_LINES to change), classified one by one as `smtp-probe explain -` does with a mail
// log. Prints lines per second (also on the first training part alone), the one-time cost of
// compiling the catalog, the share of facts extraction, candidates and regexes run per line, and
// ratios to two former recognizers measured in the same run: the code before the word scan
// (BEFORE_COMMIT) and the first-match recognizer (FIRST_MATCH_COMMIT). Those are read from git
// history into a temporary directory at bench time, so no copy of them lives in the tree; a
// comparison is skipped, saying why, when git or the commit is not available.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ROOT } from '../helpers/cli.js';
import { classifyReply, recognitionStats } from '../../src/catalog/match-text.js';
import { fastOf, getCatalog } from '../../src/catalog/pattern-compiler.js';
import { branchMatchers } from '../../src/catalog/pattern-matchers.js';
import { extractFacts } from '../../src/catalog/reply-facts.js';
import { normalize } from '../../src/catalog/reply-normalize.js';

const TOTAL = Math.max(10_000, Number(process.env.RECOG_BENCH_LINES ?? 400_000) || 400_000);
/** The recognizer before the word scan, the gated facts and the lexicon (issue 14, throughput). */
const BEFORE_COMMIT = 'f8b98b5';
/** The last commit whose src/catalog/match-text.ts was the whole first-match recognizer. */
const FIRST_MATCH_COMMIT = 'f36f285';

type Classify = (input: { text: string }) => { reason: string };

const REPLIES = join(ROOT, 'fixtures', 'replies');
/** Every part of the corpus (training rounds and held-out parts), read from the directory. */
const ALL_PARTS = readdirSync(REPLIES).filter((f) => f.endsWith('.tsv')).sort();

function corpusLines(parts = ALL_PARTS): string[] {
  const out: string[] = [];
  for (const f of parts) {
    let text = '';
    try {
      text = readFileSync(join(REPLIES, f), 'utf8');
    } catch {
      continue;
    }
    for (const l of text.split('\n')) if (l && !l.startsWith('#')) out.push((l.split('\t')[4] ?? '').replace(/\\n/g, '\n'));
  }
  return out;
}

/**
 * The recognizer of `commit` (its src/catalog modules) over today's data/reply-patterns.json,
 * or the reason it is missing.
 */
async function loadRecognizer(commit: string, dir: string): Promise<{ classify: Classify; prepare: () => void } | string> {
  const git = (args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 });
  const dataHref = pathToFileURL(join(ROOT, 'data')).href;
  try {
    const files = git(['ls-tree', '--name-only', `${commit}:src/catalog`]).split('\n').filter((f) => f.endsWith('.ts'));
    const into = join(dir, commit, 'src', 'catalog');
    mkdirSync(into, { recursive: true });
    for (const f of files) writeFileSync(join(into, f), git(['show', `${commit}:src/catalog/${f}`]).replaceAll("'../../data/", `'${dataHref}/`));
    const m = (await import(pathToFileURL(join(into, 'match-text.ts')).href)) as { classifyReply: Classify; prepareRecognition: () => void };
    return { classify: m.classifyReply, prepare: m.prepareRecognition };
  } catch (e) {
    return `the recognizer of ${commit} did not load (${(e as Error).message.split('\n')[0]}; no git, or a shallow clone?)`;
  }
}

function rate(fn: (text: string) => unknown, lines: string[], total: number): number {
  const t = performance.now();
  for (let i = 0; i < total; i++) fn(lines[i % lines.length] as string);
  return (total / (performance.now() - t)) * 1000;
}

/** Candidates and regexes per line, counted on one pass over the corpus (not timed). */
function perLineCounts(lines: string[]): { candidates: number; regexes: number } {
  const c = getCatalog();
  let regexes = 0;
  let candidates = 0;
  const undo: (() => void)[] = [];
  // The fast path's tests (one per branch the scan found, then `all` and `not`), counted by an
  // own `test` property that shadows the class's for this pass.
  type Testable = { test(s: string): boolean };
  const count = (m: Testable): void => {
    const test = m.test.bind(m);
    Object.defineProperty(m, 'test', { value: (s: string) => (regexes++, test(s)), configurable: true, writable: true });
    undo.push(() => Reflect.deleteProperty(m, 'test'));
  };
  for (const p of c.patterns) {
    const f = p.fast ?? fastOf(p);
    for (const m of [...f.branches, ...f.all, ...f.not]) count(m);
  }
  for (const h of c.hints) for (const m of (h.branches ??= branchMatchers(h.hints))) count(m);
  const index = c.index;
  const original = index.candidates.bind(index);
  index.candidates = (...args: Parameters<typeof original>) => {
    const ids = original(...args);
    candidates += ids.length;
    return ids;
  };
  undo.push(() => Reflect.deleteProperty(index, 'candidates'));
  for (const text of lines) classifyReply({ text });
  for (const u of undo) u();
  return { candidates: candidates / lines.length, regexes: regexes / lines.length };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en');

export async function run(): Promise<void> {
  const lines = corpusLines();
  const avg = lines.reduce((n, l) => n + l.length, 0) / lines.length;

  const t0 = performance.now();
  const stats = recognitionStats();
  const compileMs = performance.now() - t0;
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-bench-'));
  const others: [string, Awaited<ReturnType<typeof loadRecognizer>>][] = [];
  try {
    others.push([`before the word scan (${BEFORE_COMMIT})`, await loadRecognizer(BEFORE_COMMIT, dir)]);
    others.push([`the first-match recognizer (${FIRST_MATCH_COMMIT})`, await loadRecognizer(FIRST_MATCH_COMMIT, dir)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [, o] of others) if (typeof o !== 'string') o.prepare();

  // Warm up, then the timed pass in eight slices: the total, and the best slice (the least
  // disturbed by the neighbours of a shared machine).
  let sink = 0;
  for (const text of lines) sink += classifyReply({ text }).reason.length;
  const slice = TOTAL / 8;
  // TOTAL lines of `corpus` in eight slices: the total time and the best slice's.
  const timed = (corpus: string[]): { totalMs: number; bestMs: number } => {
    let totalMs = 0;
    let bestMs = Infinity;
    for (let k = 0; k < 8; k++) {
      const t1 = performance.now();
      for (let i = k * slice; i < (k + 1) * slice; i++) sink += classifyReply({ text: corpus[i % corpus.length] as string }).reason.length;
      const ms = performance.now() - t1;
      totalMs += ms;
      bestMs = Math.min(bestMs, ms);
    }
    return { totalMs, bestMs };
  };
  const { totalMs: classifyMs, bestMs: bestSliceMs } = timed(lines);

  // Facts extraction as recognition runs it: on the normalized, lower-cased text with the zone
  // cues of the word scan, which recognition reads anyway.
  const c = getCatalog();
  const prepared = lines.map((l) => {
    const text = normalize({ text: l }).text;
    const lower = text.toLowerCase();
    return { text, lower, cues: c.lexicon.scan(lower).flags };
  });
  // In four slices, the best one (as the best classification slice it is compared with).
  const factsN = Math.round(TOTAL / 16);
  let factsUs = Infinity;
  for (let k = 0; k < 4; k++) {
    const t2 = performance.now();
    for (let i = 0; i < factsN; i++) {
      const p = prepared[i % prepared.length] as (typeof prepared)[number];
      sink += Object.keys(extractFacts(p.text, p.lower, p.cues)).length;
    }
    factsUs = Math.min(factsUs, ((performance.now() - t2) * 1000) / factsN);
  }
  const counts = perLineCounts(lines);
  // The first training part alone: the corpus the throughput target was set on (the later
  // parts add longer log lines and DSN paragraphs), in the same eight-slice way.
  const first = corpusLines(['train.tsv']);
  const { totalMs: firstMs, bestMs: firstBest } = timed(first);

  const usPerLine = (classifyMs * 1000) / TOTAL;
  console.log(`catalog: ${stats.patterns} patterns, ${stats.regexes} regexes; compiled in ${compileMs.toFixed(0)} ms`);
  console.log(
    `recognition: ${TOTAL.toLocaleString('en')} lines (the ${lines.length}-line corpus repeated, ${avg.toFixed(0)} chars on average) in ${(classifyMs / 1000).toFixed(2)} s: ${fmt((TOTAL / classifyMs) * 1000)} lines/s, ${usPerLine.toFixed(1)} µs/line; best ${fmt(slice).replace(/,/g, ' ')}-line slice ${fmt((slice / bestSliceMs) * 1000)} lines/s`,
  );
  console.log(`  on the first training part alone (${first.length} lines, the corpus of the 80k lines/s target): ${fmt((TOTAL / firstMs) * 1000)} lines/s, best slice ${fmt((slice / firstBest) * 1000)} lines/s`);
  const bestUs = (bestSliceMs * 1000) / slice;
  console.log(`  of which facts extraction: ${factsUs.toFixed(1)} µs/line (${((100 * factsUs) / bestUs).toFixed(0)} % of the best slice's ${bestUs.toFixed(1)} µs/line)`);
  console.log(`  per line: ${counts.candidates.toFixed(1)} candidate patterns from the word index, ${counts.regexes.toFixed(1)} pattern tests run (regex or literal) (checksum ${sink % 1000})`);
  // Same run, same lines, interleaved slices so a noisy neighbour hurts each alike; the ratio
  // of the best slices (the least disturbed) and of the totals.
  for (const [name, o] of others) {
    if (typeof o === 'string') {
      console.log(`  comparison with ${name} skipped: ${o}`);
      continue;
    }
    const part = TOTAL / 4 / 8;
    const now: number[] = [];
    const old: number[] = [];
    for (let k = 0; k < 8; k++) {
      now.push(rate((text) => classifyReply({ text }), lines, part));
      old.push(rate((text) => o.classify({ text }), lines, part));
    }
    const best = (xs: number[]): number => Math.max(...xs);
    const mean = (xs: number[]): number => xs.length / xs.reduce((t, x) => t + 1 / x, 0);
    console.log(`  vs ${name}, same run: ${(best(now) / best(old)).toFixed(2)}x best slices (${fmt(best(now))} vs ${fmt(best(old))} lines/s), ${(mean(now) / mean(old)).toFixed(2)}x overall`);
  }
}
