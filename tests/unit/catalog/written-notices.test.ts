// Notices written for this project (fixtures/notices/): common bounce notices and refusals in 18
// languages and English texts of 31 reasons, written from knowledge of how mail systems word them
// (issue 14, classes 2-4). Checks of the vocabularies, read while their classes were written, so
// floors, not held-out figures (the held-out parts are fixtures/replies/holdout-*.tsv).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyReply, REASONS } from '../../../src/catalog/match-text.js';
import { ROOT } from '../../helpers/cli.js';
import { partsOf } from '../../helpers/corpus-parts.js';

/** Rows of a notices file: its group (a language, or the writing system), the reason, the text. */
function load(file: string, groupColumn: 0 | 1): { group: string; reason: string; text: string }[] {
  return readFileSync(join(ROOT, 'fixtures', 'notices', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => {
      const c = l.split('\t');
      return groupColumn === 0 ? { group: c[0] as string, reason: c[1] as string, text: c[2] as string } : { group: c[1] as string, reason: c[0] as string, text: c[2] as string };
    });
}

const sets = [
  // file, group column, rows expected, overall floor, floor per language (of 32)
  { file: 'localized-notices.tsv', groupColumn: 0 as const, rows: 18 * 8 * 4, floor: 0.95, perGroup: 27 },
  { file: 'localized-refusals.tsv', groupColumn: 0 as const, rows: 18 * 8 * 4, floor: 0.8, perGroup: 22 },
  { file: 'english-texts.tsv', groupColumn: 1 as const, rows: 31 * 10, floor: 0.85, perGroup: 0 },
];

describe('notices written for the project', () => {
  for (const s of sets) {
    const rows = load(s.file, s.groupColumn);
    it(`${s.file} is well formed: ${s.rows} rows, reasons of the vocabulary`, () => {
      expect(rows.length).toBe(s.rows);
      for (const r of rows) {
        expect(REASONS, r.text).toContain(r.reason);
        expect(r.reason).not.toBe('undefined');
        expect(r.text.trim().length).toBeGreaterThan(2);
      }
    });
    it(`${s.file} is read right at least ${s.floor * 100} % of the time${s.perGroup ? `, and at least ${s.perGroup} of 32 in every language` : ''}`, () => {
      const per = new Map<string, number>();
      let ok = 0;
      for (const r of rows) {
        if (classifyReply({ text: r.text }).reason !== r.reason) continue;
        ok++;
        per.set(r.group, (per.get(r.group) ?? 0) + 1);
      }
      expect(ok / rows.length).toBeGreaterThanOrEqual(s.floor);
      if (s.perGroup) for (const g of new Set(rows.map((r) => r.group))) expect(per.get(g) ?? 0, g).toBeGreaterThanOrEqual(s.perGroup);
    });
  }
});

describe('notices written for the project and the held-out parts', () => {
  // Only the blind parts: the retired ones were read after their last blind measurement, and stock
  // RFC replies ("530 5.7.0 Authentication required") may stand in them and in a written set alike.
  it('share no text with a blind part (tuning to a written set never tunes to a blind line)', () => {
    const norm = (t: string): string => t.replace(/\\n/g, ' ').toLowerCase().split(/\s+/).filter(Boolean).join(' ');
    const written = new Set(sets.flatMap((s) => load(s.file, s.groupColumn).map((r) => norm(r.text))));
    const dir = join(ROOT, 'fixtures', 'replies');
    const held = partsOf('blind');
    expect(held.length).toBeGreaterThanOrEqual(5);
    for (const f of held) {
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        if (!line.trim() || line.startsWith('#')) continue;
        expect(written.has(norm(line.split('\t')[4] ?? '')), f).toBe(false);
      }
    }
  });
});
