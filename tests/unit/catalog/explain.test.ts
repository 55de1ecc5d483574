// Catalog behaviour: every basic code of issue 2's list and every enhanced code of the IANA
// registry explains in every language with all fields filled and the class the first digit
// says; the comparison page for the seed pairs says what differs, in all five languages; bad
// input is a UsageError that names valid codes near what was typed.
import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { ENHANCED, LANGS, REPLY_CODES, type Lang } from '../../../src/catalog/data.js';
import { classOf, explainCode, explainEnhanced, explainInput, explainReply, rfcUrl } from '../../../src/catalog/explain.js';
import { compareCodes, compareMany } from '../../../src/catalog/compare.js';
import { joinStages, label, langFromEnv } from '../../../src/catalog/i18n.js';
import { renderComparison, renderExplanation } from '../../../src/report/explain-human.js';
import { UsageError } from '../../../src/errors.js';
import { BASIC_CODES, IANA_ENHANCED } from './iana-registry.js';

const plain = new Chalk({ level: 0 });
const ro = (lang: Lang) => ({ chalk: plain, width: 80, lang });
// Combining marks (\p{M}) belong to the word: Devanagari vowel signs are marks, not letters.
const DOUBLED = /(?<![\p{L}\p{M}\p{N}])([\p{L}\p{M}]+)\s+\1(?![\p{L}\p{M}\p{N}])/iu;
const oneLine = (s: string): string => s.replace(/\s+/g, ' ');

function filled(where: string, fields: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(fields)) {
    expect(typeof v === 'string' && v.trim().length > 1, `${where}: ${k} is filled`).toBe(true);
  }
}

describe('explain every basic code of issue 2 in every language', () => {
  it('the catalog has exactly the listed codes, no stragglers', () => {
    expect(REPLY_CODES.map((e) => e.code).sort()).toEqual([...BASIC_CODES].sort());
  });
  for (const code of BASIC_CODES) {
    it(`basic ${code}`, () => {
      const english = explainInput(code, 'en');
      for (const lang of LANGS) {
        const x = explainInput(code, lang);
        expect(x.kind).toBe('code');
        expect(x.code).toBe(code);
        expect(x.class).toBe(`${code[0]}xx`);
        expect(x.className).toBe(label(lang, `class.${code[0]}xx`));
        expect(x.generic).toBeUndefined();
        filled(`${code} ${lang}`, { name: x.name, description: x.description, when: x.when, fix: x.fix, source: x.source });
        expect(x.stages?.length).toBeGreaterThan(0);
        expect(x.learnMore).toMatch(/^https:\/\/www\.rfc-editor\.org\/rfc\/rfc[0-9]+/);
        expect(x.source).toBe(english.source);
        const text = renderExplanation(x, ro(lang));
        for (const key of ['description', 'when', 'fix', 'learnMore']) expect(text).toContain(label(lang, key));
        expect(text).toContain(x.className!);
        expect(oneLine(text)).toContain(oneLine(x.description!));
        expect(oneLine(text)).toContain(oneLine(x.fix!));
      }
    });
  }
  it('gives the operator their own advice where it differs, and the stage note where the stage is known', () => {
    expect(explainInput('554', 'en').operatorFix).toBeTruthy();
    expect(explainCode('554', 'en', { stage: 'banner' }).stageNote).toMatch(/IP/);
    expect(explainCode('554', 'en', { stage: 'banner' }).stageNote).not.toBe(explainCode('554', 'en', { stage: 'data' }).stageNote);
  });
});

describe('explain every enhanced code of the IANA registry', () => {
  // Class and subject titles are localized too, falling back to English.
  const classTitle = (cls: string, lang: Lang): string | undefined => {
    const c = ENHANCED.classes.find((x) => x.class === cls);
    return c?.i18n?.[lang]?.title ?? c?.title;
  };
  const subjectTitle = (subject: string, lang: Lang): string | undefined => {
    const s = ENHANCED.subjects.find((x) => x.subject === subject);
    return s?.i18n?.[lang]?.title ?? s?.title;
  };
  it('localizes the class and subject titles', () => {
    for (const lang of ['fr', 'vi', 'tr', 'hi'] as const) {
      const x = explainInput('5.7.1', lang).enhanced!;
      expect(x.classTitle).not.toBe(explainInput('5.7.1', 'en').enhanced!.classTitle);
      expect(x.subjectTitle).not.toBe(explainInput('5.7.1', 'en').enhanced!.subjectTitle);
      expect(renderExplanation(explainInput('5.7.1', lang), ro(lang))).toContain(x.subjectTitle);
    }
  });
  for (const [generic, ianaTitle] of IANA_ENHANCED) {
    it(`enhanced ${generic}`, () => {
      const entry = ENHANCED.codes.find((e) => e.code === generic)!;
      expect(entry, generic).toBeDefined();
      const [, subject, detail] = generic.split('.');
      for (const cls of entry.classes ?? ['2', '4', '5']) {
        const code = `${cls}.${subject}.${detail}`;
        for (const lang of LANGS) {
          const x = explainInput(code, lang);
          expect(x.kind).toBe('enhanced');
          const e = x.enhanced!;
          expect(e.code).toBe(code);
          expect(e.class).toBe(code[0]);
          expect(e.classTitle).toBe(classTitle(cls, lang));
          expect(e.subject).toBe(subject);
          expect(e.subjectTitle).toBe(subjectTitle(subject!, lang));
          expect(e.generic).toBeUndefined();
          filled(`${code} ${lang}`, { title: e.title, description: e.description, when: e.when, fix: e.fix, source: e.source });
          if (lang === 'en' && ianaTitle !== '') expect(e.title).toBe(ianaTitle);
          const text = renderExplanation(x, ro(lang));
          expect(text).toContain(code);
          for (const key of ['description', 'when', 'fix']) expect(text).toContain(label(lang, key));
        }
      }
      // The class-less form explains the same entry.
      expect(explainEnhanced(generic, 'en').title).toBe(entry.title);
    });
  }
  it('serves translations for the common codes and the rare ones alike', () => {
    for (const code of ['5.1.1', '4.2.2', '5.7.1', '5.7.26']) {
      for (const lang of ['fr', 'vi', 'tr', 'hi'] as const) {
        expect(explainInput(code, lang).enhanced!.description).not.toBe(explainInput(code, 'en').enhanced!.description);
      }
    }
    expect(explainInput('5.3.3', 'hi').enhanced!.description).not.toBe(explainInput('5.3.3', 'en').enhanced!.description);
  });
});

describe('explain input forms', () => {
  it('explains a whole multi-line reply with both codes', () => {
    const x = explainInput('550-5.1.1 <bob@example.com>: Recipient address rejected:\n550 5.1.1 User unknown', 'en');
    expect(x.kind).toBe('reply');
    expect(x.code).toBe('550');
    expect(x.enhanced?.code).toBe('5.1.1');
    expect(x.reply?.lines).toEqual(['<bob@example.com>: Recipient address rejected:', 'User unknown']);
    const text = renderExplanation(x, ro('en'));
    expect(text).toContain('Mailbox Unavailable');
    expect(text).toContain('Bad destination mailbox address');
  });
  it('explains an uncatalogued code in a reply from its class, never throwing', () => {
    const x = explainReply({ code: 571, lines: ['Delivery not authorized'], text: 'Delivery not authorized' }, 'en');
    expect(x.class).toBe('5xx');
    expect(x.generic).toBe(true);
    expect(classOf(571)).toBe('5xx');
  });
  it('adds the stage note for the stage the reply came at', () => {
    const banner = explainReply({ code: 554, lines: ['go away'], text: 'go away' }, 'en', 'banner');
    expect(banner.stageNote).toBeTruthy();
    const rcpt = explainReply({ code: 554, lines: ['go away'], text: 'go away' }, 'en', 'rcpt');
    expect(rcpt.stageNote).not.toBe(banner.stageNote);
  });
  it('gives the stage note in the user\'s language where it is translated, else in English', () => {
    for (const lang of ['fr', 'vi', 'tr', 'hi'] as const) {
      const note = explainCode('554', lang, { stage: 'banner' }).stageNote;
      expect(note).toBeTruthy();
      expect(note).not.toBe(explainCode('554', 'en', { stage: 'banner' }).stageNote);
      expect(explainCode('452', lang, { stage: 'rcpt' }).stageNote).not.toBe(explainCode('452', 'en', { stage: 'rcpt' }).stageNote);
    }
  });
  it('links the RFC section', () => {
    expect(rfcUrl('RFC 5321 §4.2.3')).toBe('https://www.rfc-editor.org/rfc/rfc5321#section-4.2.3');
    expect(rfcUrl('RFC 7505')).toBe('https://www.rfc-editor.org/rfc/rfc7505');
    expect(rfcUrl('RFC 3463 §3.8')).toBe('https://www.rfc-editor.org/rfc/rfc3463#section-3.8');
  });
  it('takes the language from the environment', () => {
    expect(langFromEnv({ LANG: 'fr_FR.UTF-8' })).toBe('fr');
    expect(langFromEnv({ LC_ALL: 'de_DE.UTF-8', LANG: 'fr_FR' })).toBe('en');
    expect(langFromEnv({ LANG: 'C' })).toBe('en');
    expect(langFromEnv({})).toBe('en');
  });
});

/** The codes a UsageError message offers (besides the input it quotes); each must be explainable. */
function suggested(input: string, fn: () => unknown): string[] {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UsageError);
  const msg = (err as Error).message;
  expect(msg).not.toMatch(/\n/);
  const codes = [...msg.matchAll(/(?<![0-9.])(?:[245]\.[0-9]{1,3}\.[0-9]{1,3}|[2-5][0-9]{2})(?![0-9.])/g)].map((m) => m[0]).filter((c) => c !== input);
  for (const c of codes) expect(() => explainInput(c, 'en'), `suggested ${c} is valid`).not.toThrow();
  return codes;
}

describe('unknown or malformed codes are a UsageError naming the nearest valid codes', () => {
  it('an uncatalogued three-digit code is explained from its class, naming the nearest codes of that class', () => {
    for (const lang of LANGS) {
      const x = explainInput('559', lang);
      expect(x.kind).toBe('code');
      expect(x.generic).toBe(true);
      expect(x.class).toBe('5xx');
      expect(x.name).not.toBe(x.className);
      expect(x.nearest).toHaveLength(3);
      for (const c of x.nearest!) expect(c).toMatch(/^55[0-9]$/);
      for (const c of x.nearest!) expect(x.when).toContain(c);
      expect(x.fallback).toBeUndefined();
    }
    expect(explainInput('239', 'en').nearest!.every((c) => c.startsWith('2'))).toBe(true);
    expect(explainInput('459', 'en').nearest).toContain('455');
  });
  it('a code outside 2xx-5xx, or with the wrong number of digits', () => {
    expect(suggested('699', () => explainInput('699', 'en')).length).toBeGreaterThan(0);
    expect(suggested('5500', () => explainInput('5500', 'en'))).toContain('550');
    expect(suggested('55', () => explainInput('55', 'en')).length).toBeGreaterThan(0);
    expect(suggested('abc', () => explainCode('abc', 'en')).length).toBeGreaterThan(0);
  });
  it('an unregistered detail of a known subject is explained from class and subject, naming the nearest registered codes', () => {
    const x = explainInput('5.7.99', 'en').enhanced!;
    expect(x.generic).toBe(true);
    expect(x.nearest).toHaveLength(3);
    for (const c of x.nearest!) expect(c).toMatch(/^5\.7\./);
    for (const c of x.nearest!) expect(() => explainInput(c, 'en')).not.toThrow();
    expect(explainInput('4.2.99', 'en').enhanced!.nearest![0]).toMatch(/^4\.2\./);
  });
  it('a malformed enhanced code, or one of an unknown subject: the nearest registered ones', () => {
    expect(suggested('5.9.1', () => explainInput('5.9.1', 'en'))).toContain('5.7.1');
    expect(suggested('6.1.1', () => explainInput('6.1.1', 'en'))).toContain('5.1.1');
    expect(suggested('3.1.1', () => explainInput('3.1.1', 'en'))).toContain('5.1.1');
    expect(suggested('7.26', () => explainInput('7.26', 'en'))).toContain('5.7.26');
  });
  it('empty input and text without any code', () => {
    expect(() => explainInput('', 'en')).toThrow(UsageError);
    expect(() => explainInput('   ', 'en')).toThrow(UsageError);
    expect(() => explainInput('hello there', 'en')).toThrow(/550 5\.1\.1/);
  });
});

const SEED_PAIRS = [['220', '554'], ['220', '550'], ['250', '554'], ['220', '250'], ['220', '500']] as const;
// Headings exactly as the seed pages spell them (shared/seeds/); the Hindi page has no "Learn more".
const SEED_HEADINGS: Record<Lang, string[]> = {
  en: ['Description', 'When you see it', 'How to fix', 'Key differences', 'When to use which', 'Learn more'],
  fr: ['Description', 'Quand vous le voyez', 'Comment résoudre', 'Différences clés', 'Quand utiliser lequel', 'En savoir plus'],
  vi: ['Mô tả', 'Khi bạn thấy mã này', 'Cách khắc phục', 'Sự khác biệt chính', 'Khi nào dùng cái nào', 'Tìm hiểu thêm'],
  tr: ['Açıklama', 'Gördüğünüzde', 'Nasıl Düzeltilir', 'Temel Farklar', 'Hangisini Ne Zaman Kullanmalı', 'Daha Fazla Öğren'],
  hi: ['विवरण', 'जब आप इसे देखें', 'कैसे ठीक करें', 'मुख्य अंतर', 'कब किसका उपयोग करें'],
};

describe('comparison pages for the seed pairs in five languages', () => {
  it('spells the class names of the seed pages in English', () => {
    expect(compareCodes('220', '554', 'en').summary).toBe(
      'SMTP 220 (Service Ready) is a 2xx Positive Completion response, while 554 (Transaction Failed) is a 5xx Permanent Negative response.',
    );
    expect(compareCodes('220', '250', 'en').summary).toBe('Both SMTP 220 (Service Ready) and 250 (OK) belong to the 2xx Positive Completion category.');
  });
  for (const [a, b] of SEED_PAIRS) {
    for (const lang of LANGS) {
      it(`${a} vs ${b} in ${lang}`, () => {
        const c = compareCodes(a, b, lang);
        const en = compareCodes(a, b, 'en');
        const sameClass = a[0] === b[0];
        const aClass = label(lang, `class.${a[0]}xx`);
        const bClass = label(lang, `class.${b[0]}xx`);
        expect(c.kind).toBe('comparison');
        expect([c.a.code, c.b.code]).toEqual([a, b]);
        expect(c.codes.map((x) => x.code)).toEqual([a, b]);
        expect(c.title).toContain(c.a.name);
        expect(c.title).toContain(c.b.name);
        // The opening line compares the classes, with the localized class names.
        expect(c.summary).toBe(label(lang, sameClass ? 'compare.sameClass' : 'compare.diffClass', {
          a, b, aName: c.a.name, bName: c.b.name, aClass, bClass, class: aClass,
        }));
        // Key differences say what differs: class, stage, who acts, retry, causes, real replies.
        const d = c.differences;
        expect(d).toContain(sameClass
          ? label(lang, 'diff.sameClass', { class: aClass })
          : label(lang, 'diff.class', { a, b, aClass, bClass }));
        const [ra, rb] = c.table;
        expect(d.join('\n')).toContain(ra!.comesAt);
        for (const r of [ra!, rb!]) {
          for (const fact of [r.actor, r.retry, r.causes]) expect(d.join('\n')).toContain(fact);
          expect(d.join('\n')).toContain(r.example!);
        }
        expect(ra!.actor).not.toBe(rb!.actor);
        expect(ra!.causes).not.toBe(rb!.causes);
        // When to use which says when each code is sent, never each code's fix again.
        expect(c.whenToUse).toEqual([ra!, rb!].map((r) => label(lang, 'use.line', { code: r.code, name: r.name, fix: r.use })));
        for (const [i, x] of [c.a, c.b].entries()) expect(c.whenToUse[i]).not.toContain(x.fix);
        expect(c.fallback).toBeUndefined();

        // The rendered page: seed headings and class names in this language, in the seed's order.
        const page = renderComparison(c, ro(lang));
        for (const h of SEED_HEADINGS[lang]) expect(page).toContain(h);
        expect(page).toContain(aClass);
        expect(page).toContain(bClass);
        expect(page).toContain(label(lang, 'comparisonTable'));
        const at = (s: string): number => page.indexOf(s);
        expect(oneLine(page).indexOf(oneLine(c.title))).toBe(0);
        expect(at(`${a} ${c.a.name}`)).toBeLessThan(at(`${b} ${c.b.name}`));
        expect(at(`${b} ${c.b.name}`)).toBeLessThan(at(label(lang, 'keyDifferences')));
        expect(at(label(lang, 'keyDifferences'))).toBeLessThan(at(label(lang, 'whenToUseWhich')));
        // None of the seed pages' defects: no doubled word, nothing cut mid-word.
        expect(DOUBLED.exec(page)?.[0]).toBeUndefined();
        for (const x of [c.a, c.b]) {
          expect(oneLine(page)).toContain(oneLine(x.description));
          expect(oneLine(page)).toContain(oneLine(x.when));
        }
        // Prose is wrapped to the width; only a line carrying an unbreakable URL may run over.
        for (const line of page.split('\n')) if (!/https?:\/\//.test(line)) expect([...line].length, line).toBeLessThanOrEqual(80);
        // The catalog text of the seed codes is translated, not left in English.
        if (lang !== 'en') {
          expect(c.a.description).not.toBe(en.a.description);
          expect(c.b.description).not.toBe(en.b.description);
          expect(c.differences).not.toEqual(en.differences);
        }
      });
    }
  }
  it('pairs of one class say what differs: 550/554, 500/550, 220/250', () => {
    const c = compareCodes('550', '554', 'en');
    const [r550, r554] = c.table;
    expect(r550!.stages).toEqual(['rcpt']);
    expect(r554!.stages).toContain('banner');
    expect(c.differences.join('\n')).toMatch(/550 comes at RCPT TO; 554 comes at the banner/);
    expect(r554!.actor).toMatch(/operator/);
    expect(r550!.actor).toMatch(/^The sender/);
    const s = compareCodes('500', '550', 'en');
    expect(s.table[0]!.actorShort).toMatch(/client software/);
    expect(s.table[1]!.causes).toMatch(/unknown mailbox/);
    const g = compareCodes('220', '250', 'en');
    expect(g.differences.join('\n')).toMatch(/220 comes at the banner/);
    expect(g.differences.join('\n')).not.toMatch(/250 comes at [^;]*\bDATA\b/);
  });
  it('compares several codes in one table (explain 220 250 500 550 554)', () => {
    const codes = ['220', '250', '500', '550', '554'];
    for (const lang of LANGS) {
      const c = compareMany(codes, lang);
      expect(c.codes.map((x) => x.code)).toEqual(codes);
      expect(c.table.map((r) => r.code)).toEqual(codes);
      expect(c.whenToUse).toHaveLength(5);
      const page = renderComparison(c, ro(lang));
      const lines = page.split('\n');
      const head = lines.findIndex((l) => l.includes(label(lang, 'table.retry')));
      expect(head).toBeGreaterThan(0);
      const rows = lines.slice(head + 1).filter((l) => /^  [2-5][0-9]{2} /.test(l)).map((l) => l.slice(2, 5));
      expect(rows.slice(0, 5)).toEqual(codes);
      for (const line of lines) if (!/https?:\/\//.test(line)) expect([...line].length, line).toBeLessThanOrEqual(80);
      expect(DOUBLED.exec(page)?.[0]).toBeUndefined();
    }
  });
  it('compares codes of the other classes too, and refuses a non-code, a repeat or too many', () => {
    const c = compareCodes('451', '551', 'en');
    expect(c.differences).toContain(label('en', 'outcome.4xx', { code: '451' }));
    expect(c.table[0]!.retryShort).toBe('Yes, later');
    expect(c.table[1]!.retryShort).toBe('No');
    expect(() => compareCodes('220', '5.7.1', 'en')).toThrow(UsageError);
    expect(() => compareCodes('5.7.1', '220', 'en')).toThrow(/explain 5\.7\.1/);
    expect(() => compareCodes('550', '550', 'en')).toThrow(/twice/);
    expect(() => compareMany(['211', '214', '220', '221', '235', '250', '251', '252', '334'], 'en')).toThrow(UsageError);
    expect(suggested('699', () => compareCodes('220', '699', 'en')).length).toBeGreaterThan(0);
    // A code the catalog lacks is compared by its class.
    const g = compareCodes('550', '571', 'fr');
    expect(g.table[1]!.actor).toBe(label('fr', 'actor.sender'));
  });
});
