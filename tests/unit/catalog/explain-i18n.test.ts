// The catalog in five languages (issue 15 items 1, 2, 5): every field of every basic code is
// written in every language (no English fallback), the translations use the glossary's terms
// where the English uses the term and never its rejected words, French keeps its typography,
// no rendered page has a doubled word or a string cut short, and every basic code carries a
// real example reply line plus the checks the seed pages give.
import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import glossaryJson from '../../../data/glossary.json' with { type: 'json' };
import { ENHANCED, LABELS, LANGS, REPLY_CODES, type Lang } from '../../../src/catalog/data.js';
import { explainCode, explainEnhanced, explainInput } from '../../../src/catalog/explain.js';
import { compareCodes, compareMany } from '../../../src/catalog/compare.js';
import { renderComparison, renderExplanation } from '../../../src/report/explain-human.js';

const plain = new Chalk({ level: 0 });
const ro = (lang: Lang) => ({ chalk: plain, width: 80, lang });
const OTHER = LANGS.filter((l) => l !== 'en') as Exclude<Lang, 'en'>[];
// Combining marks (\p{M}) belong to the word: Devanagari vowel signs are marks, not letters.
const DOUBLED = /(?<![\p{L}\p{M}\p{N}])([\p{L}\p{M}]+)\s+\1(?![\p{L}\p{M}\p{N}])/iu;
const ENDS_WELL = /[.!?)।"»:]$/u;

interface Rule { use: string; avoid: string[] }
interface Term { id: string; en: string; fr: Rule; vi: Rule; tr: Rule; hi: Rule }
const GLOSSARY = (glossaryJson as unknown as { terms: Term[] }).terms;

/** Server words quoted in a text ('550 5.1.1 …', « … », "…") are not the catalog's own words. */
const QUOTED = /(?<![A-Za-z])'[^']{2,}?'(?![A-Za-z])|«[^»]*»|"[^"]*"/g;

/** [where, English, {lang: translation}] for every text of both catalogs. */
function catalogTexts(): [string, string, Partial<Record<Lang, string>>][] {
  const out: [string, string, Partial<Record<Lang, string>>][] = [];
  const fields = (where: string, e: Record<string, unknown>, keys: string[], i18n: Record<string, Record<string, unknown>> | undefined): void => {
    for (const k of keys) {
      if (typeof e[k] !== 'string') continue;
      const tr: Partial<Record<Lang, string>> = {};
      for (const l of OTHER) if (typeof i18n?.[l]?.[k] === 'string') tr[l] = i18n[l]![k] as string;
      out.push([`${where}.${k}`, e[k] as string, tr]);
    }
  };
  for (const e of REPLY_CODES) {
    const i18n = e.i18n as Record<string, Record<string, unknown>> | undefined;
    fields(e.code, e as unknown as Record<string, unknown>, ['description', 'when', 'fix', 'operatorFix'], i18n);
    for (const [stage, t] of Object.entries(e.stageNotes ?? {})) {
      const tr: Partial<Record<Lang, string>> = {};
      for (const l of OTHER) { const v = e.i18n?.[l]?.stageNotes?.[stage]; if (v) tr[l] = v; }
      out.push([`${e.code}.stageNotes.${stage}`, t, tr]);
    }
  }
  for (const e of ENHANCED.codes) fields(e.code, e as unknown as Record<string, unknown>, ['description', 'when', 'fix', 'operatorFix'], e.i18n as Record<string, Record<string, unknown>> | undefined);
  for (const e of [...ENHANCED.classes, ...ENHANCED.subjects]) {
    fields(`${'class' in e ? e.class : e.subject}`, e as unknown as Record<string, unknown>, ['description'], e.i18n as Record<string, Record<string, unknown>> | undefined);
  }
  return out;
}

describe('every field of every basic code exists in every language', () => {
  for (const e of REPLY_CODES) {
    it(`${e.code}`, () => {
      for (const lang of OTHER) {
        const x = explainCode(e.code, lang);
        expect(x.fallback, `${e.code} ${lang}: fields in English`).toBeUndefined();
        for (const f of ['name', 'description', 'when', 'fix', 'operatorFix'] as const) {
          if (e[f] === undefined) continue;
          expect(x[f], `${e.code} ${lang} ${f}`).toBeTruthy();
          // A name may be the same word in every language ("OK"); sentences may not.
          if (f !== 'name') expect(x[f], `${e.code} ${lang} ${f} is not the English text`).not.toBe(e[f]);
        }
        for (const stage of Object.keys(e.stageNotes ?? {})) {
          const s = explainCode(e.code, lang, { stage });
          expect(s.fallback, `${e.code} ${lang} stageNote ${stage}`).toBeUndefined();
          expect(s.stageNote).not.toBe(e.stageNotes![stage]);
        }
      }
    });
  }
});

describe('the glossary', () => {
  const texts = catalogTexts();
  it('has rules for every language, and each "use" pattern is a valid expression', () => {
    expect(GLOSSARY.length).toBeGreaterThanOrEqual(10);
    for (const t of GLOSSARY) for (const l of OTHER) expect(() => new RegExp(t[l].use, 'iu')).not.toThrow();
  });
  it('the translations use the glossary\'s term wherever the English uses the term', () => {
    const misses: string[] = [];
    let checked = 0;
    for (const t of GLOSSARY) {
      const en = new RegExp(t.en, 'iu');
      for (const [where, english, tr] of texts) {
        if (!en.test(english.replace(QUOTED, ' '))) continue;
        for (const l of OTHER) {
          const x = tr[l];
          if (x === undefined) continue;
          checked++;
          if (!new RegExp(t[l].use, 'iu').test(x)) misses.push(`${t.id} ${l} ${where}: ${x.slice(0, 80)}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
    expect(misses).toEqual([]);
  });
  it('no text of a language uses a word the glossary rejects (catalog, class and subject titles, labels)', () => {
    const found: string[] = [];
    const all: [string, Exclude<Lang, 'en'>, string][] = [];
    for (const [where, , tr] of texts) for (const l of OTHER) if (tr[l]) all.push([where, l, tr[l]!]);
    for (const e of [...REPLY_CODES, ...ENHANCED.codes, ...ENHANCED.classes, ...ENHANCED.subjects]) {
      for (const l of OTHER) {
        const loc = (e.i18n as Record<string, Record<string, unknown>> | undefined)?.[l];
        for (const k of ['name', 'title']) if (typeof loc?.[k] === 'string') all.push([`title`, l, loc[k] as string]);
      }
    }
    for (const l of OTHER) for (const [k, v] of Object.entries(LABELS[l])) all.push([`label ${k}`, l, v]);
    for (const t of GLOSSARY) {
      for (const [where, l, x] of all) {
        for (const a of t[l].avoid) if (x.toLowerCase().includes(a.toLowerCase())) found.push(`${t.id} ${l} ${where}: "${a}"`);
      }
    }
    expect(found).toEqual([]);
  });
  it('catches what it is meant to catch', () => {
    const media = GLOSSARY.find((t) => t.id === 'media')!;
    expect(media.tr.avoid).toContain('ortam');
    expect(GLOSSARY.find((t) => t.id === 'transaction')!.hi.avoid).toContain('लेन-देन');
    expect(GLOSSARY.find((t) => t.id === 'blocklist')!.vi.avoid).toContain('danh sách đen');
    expect(new RegExp(GLOSSARY.find((t) => t.id === 'blocklist')!.en, 'iu').test('listed on a blocklist')).toBe(true);
  });
  it('names 554 in Hindi without the money word, and MIME media in Turkish without "ortam"', () => {
    expect(explainInput('554', 'hi').name).not.toMatch(/लेन-देन/);
    for (const code of ['5.6.0', '5.6.1']) expect(explainInput(code, 'tr').enhanced!.title).not.toMatch(/ortam/i);
  });
});

describe('French typography', () => {
  // A colon or semicolon that ends a clause takes a space before it in French (« Note : … »);
  // quoted server words and tokens like MAIL FROM:<x> are not clauses.
  const clause = /(\S)([:;!?])(?=\s|$)/gu;
  const check = (where: string, s: string, bad: string[]): void => {
    const t = s.replace(QUOTED, ' ').replace(/https?:\/\/\S+/g, ' ');
    for (const m of t.matchAll(clause)) bad.push(`${where}: …${t.slice(Math.max(0, (m.index ?? 0) - 20), (m.index ?? 0) + 2)}`);
  };
  it('the class names agree with "réponse"', () => {
    for (const c of ['2xx', '3xx', '4xx', '5xx']) expect(LABELS.fr[`class.${c}`]).toMatch(/(ive|ire|aire|ente) ?[a-zé]*$/u);
    expect(LABELS.fr['class.5xx']).toBe('5xx Négative permanente');
  });
  it('puts a space before ":" and ";" in catalog texts and labels', () => {
    const bad: string[] = [];
    for (const [where, , tr] of catalogTexts()) if (tr.fr) check(where, tr.fr, bad);
    for (const [k, v] of Object.entries(LABELS.fr)) check(`label ${k}`, v, bad);
    expect(bad).toEqual([]);
  });
});

describe('no doubled word, nothing cut short, in any language', () => {
  it('rendered explanations of every basic code and the comparisons', () => {
    for (const lang of LANGS) {
      const pages: string[] = REPLY_CODES.map((e) => renderExplanation(explainInput(e.code, lang), ro(lang)));
      pages.push(renderComparison(compareCodes('550', '554', lang), ro(lang)));
      pages.push(renderComparison(compareCodes('220', '250', lang), ro(lang)));
      for (const p of pages) expect(DOUBLED.exec(p.replace(/\s+/g, ' '))?.[0], `${lang}: ${p.slice(0, 40)}`).toBeUndefined();
    }
  });
  it('every catalog text and every sentence label ends as a sentence ends', () => {
    const cut: string[] = [];
    for (const [where, english, tr] of catalogTexts()) {
      for (const [l, t] of [['en', english], ...Object.entries(tr)] as [string, string][]) {
        if (!ENDS_WELL.test(t)) cut.push(`${l} ${where}: …${t.slice(-25)}`);
        if (DOUBLED.test(t)) cut.push(`${l} ${where}: doubled "${DOUBLED.exec(t)?.[0]}"`);
      }
    }
    for (const l of LANGS) {
      for (const [k, v] of Object.entries(LABELS[l])) if (DOUBLED.test(v)) cut.push(`${l} label ${k}: doubled "${DOUBLED.exec(v)?.[0]}"`);
    }
    expect(cut).toEqual([]);
  });
  it('the checks catch a doubled word and a cut', () => {
    expect(DOUBLED.test('You encounter 550 when when sending')).toBe(true);
    expect(ENDS_WELL.test('software identificati')).toBe(false);
  });
});

describe('what the seed pages say, and a real example under every basic code', () => {
  it('every basic code shows a real reply line carrying it', () => {
    for (const e of REPLY_CODES) {
      expect(e.example, e.code).toMatch(new RegExp(`^${e.code}[ -]`));
      for (const lang of LANGS) expect(renderExplanation(explainInput(e.code, lang), ro(lang))).toContain(e.example!.slice(0, 30));
    }
  });
  it('220: is the server running, is a firewall in the way', () => {
    const fix = explainInput('220', 'en').fix!;
    expect(fix).toMatch(/running/);
    expect(fix).toMatch(/firewall/);
    expect(explainInput('220', 'fr').fix).toMatch(/pare-feu/);
  });
  it('250: check the syntax if another code comes back', () => {
    expect(explainInput('250', 'en').fix).toMatch(/another code.*syntax/);
  });
  it('550: anti-spam rules and sender verification (Exim\'s "Verification failed")', () => {
    const when = explainInput('550', 'en').when!;
    expect(when).toMatch(/anti-spam/);
    expect(when).toMatch(/sender verification/);
    expect(when).toContain('Verification failed');
  });
  it('554: spam filtering and malformed messages', () => {
    const when = explainInput('554', 'en').when!;
    expect(when).toMatch(/spam filtering/);
    expect(when).toMatch(/malformed/);
  });
});

describe('every field of every enhanced code, class and subject exists in every language', () => {
  for (const e of ENHANCED.codes) {
    it(e.code, () => {
      const [, s, d] = e.code.split('.');
      const code = `${e.classes?.[0] ?? '5'}.${s}.${d}`;
      for (const lang of OTHER) {
        const x = explainEnhanced(code, lang);
        expect(x.fallback, `${code} ${lang}: fields in English`).toBeUndefined();
        for (const f of ['title', 'description', 'when', 'fix', 'operatorFix'] as const) {
          if (e[f] === undefined) continue;
          expect(x[f], `${code} ${lang} ${f}`).toBeTruthy();
          expect(x[f], `${code} ${lang} ${f} is not the English text`).not.toBe(e[f]);
        }
      }
    });
  }
  it('classes and subjects', () => {
    for (const c of [...ENHANCED.classes, ...ENHANCED.subjects]) {
      for (const lang of OTHER) {
        for (const f of ['title', 'description'] as const) {
          const t = c.i18n?.[lang]?.[f];
          expect(t, `${'class' in c ? c.class : c.subject} ${lang} ${f}`).toBeTruthy();
          expect(t).not.toBe(c[f]);
        }
      }
    }
  });
  it('the comparison facts of every basic code, and every comparison, need no English fallback', () => {
    for (const e of REPLY_CODES) {
      for (const f of ['actor', 'retry', 'causes', 'use'] as const) {
        expect(e[f], `${e.code} ${f}`).toBeTruthy();
        for (const lang of OTHER) expect(e.i18n?.[lang]?.[f], `${e.code} ${lang} ${f}`).toBeTruthy();
      }
    }
    for (const lang of OTHER) expect(compareMany(REPLY_CODES.slice(0, 8).map((e) => e.code), lang).fallback).toBeUndefined();
  });
});
