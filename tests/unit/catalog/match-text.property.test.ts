// Properties of reply-text recognition over arbitrary input: it never throws, always answers in
// the vocabulary, takes bounded time even on hostile text (no catastrophic backtracking), and the
// word prefilter never changes an answer.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../helpers/cli.js';
import { classifyReply, classifyReplyUnindexed, REASONS, type ReplyInput } from '../../../src/catalog/match-text.js';
import { extractFacts } from '../../../src/catalog/reply-facts.js';

const corpus = readFileSync(join(ROOT, 'fixtures', 'replies', 'train.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => (l.split('\t')[4] ?? '').replace(/\\n/g, '\n'));
const words = [...new Set(corpus.join(' ').split(/\s+/))].filter(Boolean);

const stages = ['banner', 'ehlo', 'helo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'connect', 'MAIL', 'bogus'];
const arbInput: fc.Arbitrary<ReplyInput> = fc.record(
  {
    text: fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      // Sentences of real reply words in any order and case, with noise between them.
      fc.array(fc.tuple(fc.constantFrom(...words), fc.constantFrom(' ', '  ', '\n', '-', '', '.', ': ', '\t')), { maxLength: 40 }).map((ws) =>
        ws.map(([w, sep]) => w + sep).join(''),
      ),
      fc.tuple(fc.constantFrom(...corpus), fc.constantFrom((s: string) => s.toUpperCase(), (s: string) => s.toLowerCase(), (s: string) => s)).map(([s, f]) => f(s)),
    ),
    code: fc.oneof(fc.integer({ min: 100, max: 699 }), fc.constant(Number.NaN), fc.constant(550)),
    enhanced: fc.oneof(fc.constant('5.1.1'), fc.constant('4.7.1'), fc.string({ maxLength: 8 })),
    stage: fc.constantFrom(...stages),
    host: fc.constantFrom('mx.google.com', 'cxr.mx.a.cox.net', ''),
  },
  { requiredKeys: ['text'] },
);

describe('classifyReply on arbitrary input', () => {
  it('never throws and always answers in the vocabulary', () => {
    fc.assert(
      fc.property(arbInput, (inp) => {
        const r = classifyReply(inp);
        expect(REASONS).toContain(r.reason);
        expect(r.meaning.length).toBeGreaterThan(5);
        expect(r.action.length).toBeGreaterThan(5);
        expect(typeof r.inferred).toBe('boolean');
        // A given code decides permanence: 5xx permanent, 4xx temporary.
        if (Number.isInteger(inp.code) && (inp.code as number) >= 500 && (inp.code as number) <= 599) expect(r.permanent).toBe(true);
        if (Number.isInteger(inp.code) && (inp.code as number) >= 400 && (inp.code as number) <= 499) expect(r.permanent).toBe(false);
        for (const list of [r.facts.zones, r.facts.ips, r.facts.urls, r.facts.addresses, r.facts.providerCodes]) {
          if (list) expect(list.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same answer with and without the word prefilter', () => {
    fc.assert(
      fc.property(arbInput, (inp) => {
        expect(classifyReply(inp)).toEqual(classifyReplyUnindexed(inp));
      }),
      { numRuns: 2000 },
    );
  });

  it('stays fast on long and hostile text (no catastrophic backtracking)', () => {
    classifyReply({ text: 'warm up' });
    const hostile = [
      'a'.repeat(100_000),
      `550 ${'blocked using '.repeat(5000)}`,
      `550 ${'x.'.repeat(20_000)}`,
      `550 ${'192.0.2.'.repeat(10_000)}`,
      `550 ${'[('.repeat(10_000)}`,
      `550 ${'a@'.repeat(10_000)}b`,
      `451 ${'try again in '.repeat(3000)}`,
      `550 ${'::'.repeat(20_000)}`,
      `550-${'5.1.1 user unknown\n550-'.repeat(2000)}`,
      `${'http://'.repeat(10_000)}`,
      `${'ab1:'.repeat(20_000)}`,
    ];
    let worst = 0;
    for (const text of hostile) {
      const t0 = performance.now();
      const r = classifyReply({ text });
      extractFacts(text);
      worst = Math.max(worst, performance.now() - t0);
      expect(REASONS).toContain(r.reason);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 5000 }), fc.constantFrom(...words), (s, w) => {
        const text = `${w} ${s} ${w}`.repeat(3);
        const t0 = performance.now();
        classifyReply({ text });
        worst = Math.max(worst, performance.now() - t0);
      }),
      { numRuns: 300 },
    );
    // A bound far above the microseconds a line takes: it only catches exponential blow-ups.
    expect(worst).toBeLessThan(1000);
  });
});

describe('the evidence returned with every classification', () => {
  const decided = new Set(['pattern', 'enhanced', 'basic', 'positive', 'none']);
  it('is well formed and agrees with the answer', () => {
    fc.assert(
      fc.property(arbInput, (inp) => {
        const r = classifyReply(inp);
        const e = r.evidence;
        expect(decided.has(e.decidedBy)).toBe(true);
        for (const p of e.patterns) {
          expect(REASONS).toContain(p.reason);
          expect(Number.isFinite(p.weight)).toBe(true);
        }
        if (r.patternId !== undefined) {
          expect(e.decidedBy).toBe('pattern');
          expect(e.patterns.map((p) => p.id)).toContain(r.patternId);
        }
        if (e.decidedBy === 'enhanced') expect(e.enhanced?.reason).toBe(r.reason);
        if (e.decidedBy === 'basic') expect(e.basic?.reason).toBe(r.reason);
        if (e.decidedBy === 'none') expect(r.reason).toBe('undefined');
        // The reason comes from the codes alone exactly when no pattern of it matched.
        if (r.inferred) expect(e.patterns.some((p) => p.reason === r.reason && !p.weak)).toBe(false);
      }),
      { numRuns: 1500 },
    );
  });
});
