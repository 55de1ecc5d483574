// Localized bounce notices (fixtures/notices/localized-notices.tsv): eight common notices in 18
// languages, four wordings each, written for this project as a check of the concept vocabularies
// (issue 14, class 4). Read while the vocabularies were extended, so a floor, not a held-out figure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyReply, REASONS } from '../../../src/catalog/match-text.js';
import { ROOT } from '../../helpers/cli.js';

const rows = readFileSync(join(ROOT, 'fixtures', 'notices', 'localized-notices.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))
  .map((l) => l.split('\t') as [string, string, string]);

describe('localized bounce notices', () => {
  it('are well formed: 18 languages, 8 reasons of the vocabulary, 4 wordings each', () => {
    const langs = new Set(rows.map((r) => r[0]));
    expect(langs.size).toBe(18);
    for (const [, reason, text] of rows) {
      expect(REASONS).toContain(reason);
      expect(text.trim().length).toBeGreaterThan(2);
    }
    expect(rows.length).toBe(18 * 8 * 4);
  });
  it('are read right at least 95 % of the time, and at least 27 of 32 in every language', () => {
    const per = new Map<string, number>();
    let ok = 0;
    for (const [lang, reason, text] of rows) {
      if (classifyReply({ text }).reason !== reason) continue;
      ok++;
      per.set(lang, (per.get(lang) ?? 0) + 1);
    }
    expect(ok / rows.length).toBeGreaterThanOrEqual(0.95);
    for (const lang of new Set(rows.map((r) => r[0]))) expect(per.get(lang) ?? 0, lang).toBeGreaterThanOrEqual(27);
  });
});
