// The fast paths of reply-text recognition (word scan, word and provider indexes, needles, gated
// fact extraction) must answer exactly as the reference path that tests every pattern and runs
// every fact regex: same reason, pattern, evidence, provider and facts, on every corpus line and
// on texts generated from the catalog's own regexes (so that most of them do match something).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../helpers/cli.js';
import { classifyReply, classifyReplyUnindexed, type ReplyInput } from '../../../src/catalog/match-text.js';
import { extractFacts } from '../../../src/catalog/reply-facts.js';
import { getCatalog } from '../../../src/catalog/pattern-compiler.js';
import { finiteLanguage, leadingStrings } from '../../../src/catalog/regex-strings.js';
import data from '../../../data/reply-patterns.json' with { type: 'json' };

interface Catalog {
  patterns: { match: string[]; all?: string[]; not?: string[] }[];
  providers: { hints: string[] }[];
  zoneAliases: { match: string }[];
  providerCodes: { match: string }[];
  knownZones: string[];
}
const D = data as unknown as Catalog;

const corpus = ['train.tsv', 'holdout-v2.tsv', 'holdout-v1.tsv'].flatMap((f) =>
  readFileSync(join(ROOT, 'fixtures', 'replies', f), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [, , stage, , reply] = l.split('\t');
      return { text: (reply ?? '').replace(/\\n/g, '\n'), stage: stage && stage !== '-' ? stage : undefined };
    }),
);

// Every regex source of the catalog, as a generator of strings it matches (fast-check cannot
// generate for lookbehinds: those few sources are left out).
const sources = [
  ...D.patterns.flatMap((p) => [...p.match, ...(p.all ?? []), ...(p.not ?? [])]),
  ...D.providers.flatMap((p) => p.hints),
  ...D.zoneAliases.map((a) => a.match),
  ...D.providerCodes.map((c) => c.match),
  ...D.knownZones.map((z) => z.replace(/[.]/g, '\\.')),
];
function generator(s: string): fc.Arbitrary<string> | undefined {
  try {
    const arb = fc.stringMatching(new RegExp(`^(?:${s})$`));
    fc.sample(arb, 1);
    return arb;
  } catch {
    return undefined;
  }
}
const phrases = sources.flatMap((s) => generator(s) ?? []);
const corpusWords = [...new Set(corpus.flatMap((r) => r.text.split(/\s+/)))].filter(Boolean);

const arbText = fc
  .tuple(
    fc.constantFrom('', '550 ', '550 5.1.1 ', '421 4.7.0 ', '554-5.7.1 ', '452 4.2.2 ', 'said: 550 5.7.1 ', '250 '),
    fc.array(
      fc.tuple(
        fc.oneof({ weight: 3, arbitrary: fc.oneof(...phrases) }, { weight: 1, arbitrary: fc.constantFrom(...corpusWords) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }),
        fc.constantFrom(' ', ', ', '. ', ': ', '-', '', '\n', ' (', ') ', ' [192.0.2.1] ', ' <bob@example.com> ', '\u3001'),
      ),
      { minLength: 1, maxLength: 5 },
    ),
    fc.constantFrom((s: string) => s, (s: string) => s.toUpperCase(), (s: string) => s.replace(/^./, (c) => c.toUpperCase())),
  )
  .map(([prefix, parts, shape]) => prefix + shape(parts.map(([p, sep]) => p + sep).join('')));

const arbInput: fc.Arbitrary<ReplyInput> = fc.record(
  {
    text: arbText,
    code: fc.constantFrom(550, 421, 451, 554),
    enhanced: fc.constantFrom('5.1.1', '4.7.1', '5.7.1', '5.2.2'),
    stage: fc.constantFrom('banner', 'ehlo', 'mail', 'rcpt', 'data'),
    host: fc.constantFrom('mx.google.com', 'cxr.mx.a.cox.net', 'mx1.example.net'),
  },
  { requiredKeys: ['text'] },
);

describe('the fast recognition path equals the reference path', () => {
  it('on every corpus line, with and without its stage', () => {
    expect(corpus.length).toBeGreaterThan(500);
    for (const r of corpus) {
      expect(classifyReply({ text: r.text }), r.text).toEqual(classifyReplyUnindexed({ text: r.text }));
      if (r.stage) expect(classifyReply({ text: r.text, stage: r.stage }), r.text).toEqual(classifyReplyUnindexed({ text: r.text, stage: r.stage }));
    }
  });

  it('on texts built from the catalog regexes, codes, zones and provider words', () => {
    // Nearly every source can be generated from; the generated texts mostly match patterns.
    expect(phrases.length).toBeGreaterThan(sources.length * 0.95);
    let matched = 0;
    let runs = 0;
    fc.assert(
      fc.property(arbInput, (inp) => {
        const fast = classifyReply(inp);
        runs++;
        if (fast.evidence.patterns.length > 0) matched++;
        expect(fast).toEqual(classifyReplyUnindexed(inp));
      }),
      { numRuns: 1500 },
    );
    expect(matched / runs).toBeGreaterThan(0.5);
  });
});

describe('the gates of the fast path', () => {
  it('fact extraction gated by the scan cues equals the ungated extraction', () => {
    const c = getCatalog();
    fc.assert(
      fc.property(arbText, (text) => {
        const lower = text.toLowerCase();
        expect(extractFacts(text, lower, c.lexicon.scan(lower).flags)).toEqual(extractFacts(text, lower));
      }),
      { numRuns: 1500 },
    );
  });

  it('every match of a catalog regex contains one of its leading strings', () => {
    let gated = 0;
    for (const s of sources) {
      const lead = leadingStrings(s, 3, 8, 256);
      const arb = generator(s);
      if (!lead || !arb) continue;
      gated++;
      for (const m of fc.sample(arb, 10)) expect(lead.some((l) => m.includes(l)), `${s} → ${m}`).toBe(true);
    }
    expect(gated).toBeGreaterThan(sources.length / 2);
  });

  it('a catalog regex read as a few literal strings matches exactly those strings', () => {
    let finite = 0;
    for (const s of sources) {
      const strs = finiteLanguage(s);
      if (!strs) continue;
      finite++;
      const whole = new RegExp(`^(?:${s})$`);
      for (const x of strs) expect(whole.test(x), `${s} ∌ ${x}`).toBe(true);
      const arb = generator(s);
      if (arb) for (const m of fc.sample(arb, 5)) expect(strs, s).toContain(m);
    }
    expect(finite).toBeGreaterThan(sources.length / 3);
  });
});
