import { describe, expect, it } from 'vitest';
import { ENHANCED, LANGS, REPLY_CODES } from '../../../src/catalog/data.js';
import { explainCode, explainEnhanced, explainInput, explainReply, rfcUrl } from '../../../src/catalog/explain.js';
import { compareCodes } from '../../../src/catalog/compare.js';
import { label, langFromEnv } from '../../../src/catalog/i18n.js';
import { renderComparison, renderExplanation } from '../../../src/report/explain-human.js';
import { Chalk } from 'chalk';
import { UsageError } from '../../../src/errors.js';

const plain = new Chalk({ level: 0 });
// Combining marks (\p{M}) belong to the word: Devanagari vowel signs are marks, not letters,
// and without them 'नाम में' would look like the doubled word 'म म'.
const DOUBLED = /(?<![\p{L}\p{M}\p{N}])([\p{L}\p{M}]+)\s+\1(?![\p{L}\p{M}\p{N}])/iu;

describe('explain every code', () => {
  for (const e of REPLY_CODES) {
    it(`basic ${e.code}`, () => {
      for (const lang of LANGS) {
        const x = explainInput(e.code, lang);
        expect(x.kind).toBe('code');
        expect(x.code).toBe(e.code);
        expect(x.className).toBe(label(lang, `class.${e.class}`));
        for (const f of [x.name, x.description, x.when, x.fix]) expect(f && f.length).toBeGreaterThan(1);
        const text = renderExplanation(x, { chalk: plain, width: 80, lang });
        expect(text).toContain(label(lang, 'description'));
        expect(text).toContain(label(lang, 'fix'));
        expect(text).toContain(label(lang, 'learnMore'));
      }
    });
  }
  for (const e of ENHANCED.codes) {
    it(`enhanced ${e.code}`, () => {
      const classes = e.classes ?? ['2', '4', '5'];
      for (const cls of classes) {
        const code = e.code.replace('X', cls);
        const x = explainInput(code, 'en');
        expect(x.kind).toBe('enhanced');
        expect(x.enhanced?.code).toBe(code);
        expect(x.enhanced?.title).toBe(e.title);
        expect(x.enhanced?.generic).toBeUndefined();
      }
      expect(explainEnhanced(e.code, 'en').code).toBe(e.code);
    });
  }
});

describe('explain input forms', () => {
  it('explains a whole multi-line reply with both codes', () => {
    const x = explainInput('550-5.1.1 <bob@example.com>: Recipient address rejected:\n550 5.1.1 User unknown', 'en');
    expect(x.kind).toBe('reply');
    expect(x.code).toBe('550');
    expect(x.enhanced?.code).toBe('5.1.1');
    expect(x.reply?.lines).toEqual(['<bob@example.com>: Recipient address rejected:', 'User unknown']);
  });
  it('explains an uncatalogued code in a reply from its class, never throwing', () => {
    const x = explainReply({ code: 571, lines: ['Delivery not authorized'], text: 'Delivery not authorized' }, 'en');
    expect(x.class).toBe('5xx');
    expect(x.generic).toBe(true);
  });
  it('adds the stage note for the stage the reply came at', () => {
    const banner = explainReply({ code: 554, lines: ['go away'], text: 'go away' }, 'en', 'banner');
    expect(banner.stageNote).toBeTruthy();
    const rcpt = explainReply({ code: 554, lines: ['go away'], text: 'go away' }, 'en', 'rcpt');
    expect(rcpt.stageNote).not.toBe(banner.stageNote);
  });
  it('refuses malformed and unknown codes with the nearest valid ones', () => {
    expect(() => explainInput('559', 'en')).toThrow(/nearest known codes are 55\d, 55\d, 55\d/);
    expect(() => explainInput('5.7.99', 'en')).toThrow(/nearest registered codes are 5\.7\.\d+/);
    expect(() => explainInput('3.1.1', 'en')).toThrow(UsageError);
    expect(() => explainInput('5500', 'en')).toThrow(/did you mean/);
    expect(() => explainInput('699', 'en')).toThrow(UsageError);
    expect(() => explainInput('', 'en')).toThrow(UsageError);
    expect(() => explainCode('abc', 'en')).toThrow(UsageError);
  });
  it('links the RFC section', () => {
    expect(rfcUrl('RFC 5321 §4.2.3')).toBe('https://www.rfc-editor.org/rfc/rfc5321#section-4.2.3');
    expect(rfcUrl('RFC 7505')).toBe('https://www.rfc-editor.org/rfc/rfc7505');
  });
  it('takes the language from the environment', () => {
    expect(langFromEnv({ LANG: 'fr_FR.UTF-8' })).toBe('fr');
    expect(langFromEnv({ LC_ALL: 'de_DE.UTF-8', LANG: 'fr_FR' })).toBe('en');
    expect(langFromEnv({ LANG: 'C' })).toBe('en');
    expect(langFromEnv({})).toBe('en');
  });
});

const SEED_PAIRS = [['220', '554'], ['220', '550'], ['250', '554'], ['220', '250'], ['220', '500']] as const;
// Headings exactly as the seed pages spell them.
const SEED_HEADINGS: Record<string, string[]> = {
  en: ['Description', 'When you see it', 'How to fix', 'Key differences', 'When to use which'],
  fr: ['Description', 'Quand vous le voyez', 'Comment résoudre', 'Différences clés', 'Quand utiliser lequel'],
  vi: ['Mô tả', 'Khi bạn thấy mã này', 'Cách khắc phục', 'Sự khác biệt chính', 'Khi nào dùng cái nào'],
  tr: ['Açıklama', 'Gördüğünüzde', 'Nasıl Düzeltilir', 'Temel Farklar', 'Hangisini Ne Zaman Kullanmalı'],
  hi: ['विवरण', 'जब आप इसे देखें', 'कैसे ठीक करें', 'मुख्य अंतर', 'कब किसका उपयोग करें'],
};

describe('comparison pages for the seed pairs in five languages', () => {
  for (const [a, b] of SEED_PAIRS) {
    for (const lang of LANGS) {
      it(`${a} vs ${b} in ${lang}`, () => {
        const c = compareCodes(a, b, lang);
        const sameClass = a[0] === b[0];
        expect(c.summary).toContain(a);
        expect(c.summary).toContain(b);
        expect(c.summary).toContain(c.a.className);
        // Differences say what actually differs: class, permanence, stage, who acts.
        if (!sameClass) {
          expect(c.differences.some((d) => d.includes(c.a.className) && d.includes(c.b.className))).toBe(true);
          expect(c.differences.length).toBeGreaterThanOrEqual(4);
        }
        expect(c.whenToUse).toHaveLength(2);
        const page = renderComparison(c, { chalk: plain, width: 80, lang });
        for (const h of SEED_HEADINGS[lang]!) expect(page).toContain(h);
        expect(DOUBLED.exec(page)?.[0]).toBeUndefined();
        // Nothing is cut mid-word: every sentence of both descriptions is there whole.
        expect(page.replace(/\s+/g, ' ')).toContain(c.a.description.replace(/\s+/g, ' '));
        expect(page.replace(/\s+/g, ' ')).toContain(c.b.description.replace(/\s+/g, ' '));
        if (lang !== 'en') expect(c.a.description).not.toBe(compareCodes(a, b, 'en').a.description);
      });
    }
  }
});
