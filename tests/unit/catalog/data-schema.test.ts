// Every data file validates against its schema, and every entry passes the checks a
// schema cannot express: complete coverage of both code lists, titles and basic codes as the
// IANA registry has them, no doubled words, no text cut mid-sentence, class = first digit,
// seed headings spelled exactly as the seed pages spell them, no sentence copied from a seed.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { ROOT } from '../../helpers/cli.js';
import { BASIC_CODES, IANA_ENHANCED } from './iana-registry.js';

const DATA = join(ROOT, 'data');
const readJson = (p: string): unknown => JSON.parse(readFileSync(p, 'utf8'));

// Each data file names its schema in "$schema"; every data file must have one.
const dataFiles = readdirSync(DATA).filter((f) => f.endsWith('.json'));

describe('data files validate against their schemas', () => {
  it('has data files', () => expect(dataFiles.length).toBeGreaterThanOrEqual(3));
  for (const f of dataFiles) {
    it(f, () => {
      const data = readJson(join(DATA, f)) as { $schema?: string };
      expect(data.$schema, `${f} names its schema`).toMatch(/^\.\/schema\/.+\.json$/);
      const ajv = new Ajv2020.default({ allErrors: true, strict: false });
      const validate = ajv.compile(readJson(join(DATA, data.$schema!)) as object);
      const ok = validate(data);
      expect(ok ? [] : validate.errors).toEqual([]);
    });
  }
});

const TEXT_FIELDS = ['description', 'when', 'fix', 'operatorFix'] as const;
// Combining marks (\p{M}) belong to the word: Devanagari vowel signs are marks, not letters,
// and without them 'नाम में' would look like the doubled word 'म म'.
const DOUBLED = /(?<![\p{L}\p{M}\p{N}])([\p{L}\p{M}]+)\s+\1(?![\p{L}\p{M}\p{N}])/iu;
const ENDS_WELL = /[.!?)।"»]$/u;

// Sentences of the seed pages (the project writes its own words; the seeds give facts only).
const SEED_SENTENCES = [
  'This greeting is the first response a client receives upon connecting',
  'This is the server\'s welcome banner confirming it is ready to accept commands',
  'This is a catch-all permanent error that can occur at any point during the SMTP session',
  'Check your IP against DNS blacklists (DNSBL) and verify your SPF, DKIM, and DMARC records',
  'This is the most common positive response in SMTP',
  'This is a permanent failure indicating the address is invalid or blocked',
  'The command line was malformed or the command is not recognized by this server',
  'Ensure the command line does not exceed 512 characters and uses proper CRLF line endings',
  'No fix needed — the command was accepted',
  'software identificati',
];

function textChecks(where: string, entry: Record<string, unknown>): void {
  const texts: [string, string][] = [];
  for (const k of TEXT_FIELDS) if (typeof entry[k] === 'string') texts.push([k, entry[k] as string]);
  for (const [lang, loc] of Object.entries((entry.i18n ?? {}) as Record<string, Record<string, unknown>>)) {
    for (const k of TEXT_FIELDS) if (typeof loc[k] === 'string') texts.push([`${lang}.${k}`, loc[k] as string]);
    for (const [note, t] of Object.entries((loc.stageNotes ?? {}) as Record<string, string>)) texts.push([`${lang}.stageNotes.${note}`, t]);
  }
  for (const [note, t] of Object.entries((entry.stageNotes ?? {}) as Record<string, string>)) texts.push([`stageNotes.${note}`, t]);
  for (const [k, t] of texts) {
    expect(t.trim(), `${where} ${k} has no surrounding whitespace`).toBe(t);
    expect(t, `${where} ${k} has no doubled spaces`).not.toMatch(/ {2}/);
    expect(DOUBLED.exec(t)?.[0], `${where} ${k} has no doubled word`).toBeUndefined();
    expect(ENDS_WELL.test(t), `${where} ${k} ends a sentence: "…${t.slice(-30)}"`).toBe(true);
    for (const s of SEED_SENTENCES) expect(t, `${where} ${k} is in the project's own words`).not.toContain(s);
  }
}

describe('the text checks catch what they are meant to catch', () => {
  it('finds doubled words in every script, and none in words sharing a letter', () => {
    expect(DOUBLED.test('You encounter 554 when when the entire transaction is rejected.')).toBe(true);
    expect(DOUBLED.test('इसके के लिए के के बाद')).toBe(true);
    expect(DOUBLED.test('Bu bu bir hata.')).toBe(true);
    expect(DOUBLED.test('पते का नाम में बदलाव।')).toBe(false);
    expect(DOUBLED.test('the theory of then')).toBe(false);
  });
  it('finds text cut mid-word', () => {
    expect(ENDS_WELL.test('includes the server\'s hostname and software identificati')).toBe(false);
    expect(ENDS_WELL.test('यह एक वाक्य है।')).toBe(true);
  });
});

describe('reply-codes.json', () => {
  const { codes } = readJson(join(DATA, 'reply-codes.json')) as { codes: Record<string, unknown>[] };
  it('covers RFC 5321 §4.2 and the STARTTLS/AUTH/RFC 7504 codes, each once', () => {
    const list = codes.map((c) => c.code);
    expect(new Set(list).size).toBe(list.length);
    for (const c of BASIC_CODES) expect(list, c).toContain(c);
  });
  it('names every code in every language, and translates the seed pages\' codes in full', () => {
    for (const e of codes) {
      const i18n = (e.i18n ?? {}) as Record<string, Record<string, string>>;
      for (const lang of ['fr', 'vi', 'tr', 'hi']) expect(i18n[lang]?.name, `${String(e.code)} ${lang}.name`).toBeTruthy();
    }
    for (const code of ['220', '250', '500', '550', '554', '421', '450', '451', '452']) {
      const e = codes.find((c) => c.code === code)!;
      for (const lang of ['fr', 'vi', 'tr', 'hi']) {
        const loc = (e.i18n as Record<string, Record<string, string>>)[lang]!;
        for (const f of ['description', 'when', 'fix']) expect(loc[f], `${code} ${lang}.${f}`).toBeTruthy();
      }
    }
  });
  for (const e of codes) {
    it(`${String(e.code)} is well formed`, () => {
      expect(String(e.class)[0]).toBe(String(e.code)[0]);
      textChecks(String(e.code), e);
      // A stage note is only reachable for a stage the entry lists (or for 'any').
      const stages = e.stages as string[];
      for (const stage of Object.keys((e.stageNotes ?? {}) as object)) {
        expect(stages.includes(stage) || stages.includes('any'), `${String(e.code)} stageNotes.${stage} is a listed stage`).toBe(true);
      }
    });
  }
});

describe('enhanced-codes.json', () => {
  const data = readJson(join(DATA, 'enhanced-codes.json')) as {
    classes: { class: string; title: string; description: string }[];
    subjects: { subject: string; title: string; description: string }[];
    codes: Record<string, unknown>[];
  };
  const byCode = new Map(data.codes.map((c) => [String(c.code), c]));

  it('covers every code of the IANA registry plus X.7.29 and X.7.30, each once', () => {
    const list = data.codes.map((c) => c.code);
    expect(new Set(list).size).toBe(list.length);
    expect(IANA_ENHANCED).toHaveLength(81);
    for (const [code] of IANA_ENHANCED) expect(list, code).toContain(code);
  });
  it('has the three classes and the eight subjects of RFC 3463', () => {
    expect(data.classes.map((c) => c.class).sort()).toEqual(['2', '4', '5']);
    expect(data.subjects.map((s) => s.subject).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    for (const x of [...data.classes, ...data.subjects]) textChecks(x.title, x as unknown as Record<string, unknown>);
  });
  it('keeps the registry\'s titles and associated basic codes', () => {
    for (const [code, title, basic] of IANA_ENHANCED) {
      const e = byCode.get(code)!;
      // X.6.10 has no sample text of its own in the registry: it is a duplicate of X.6.8.
      if (code === 'X.6.10') expect(String(e.title)).toContain(String(byCode.get('X.6.8')!.title));
      else expect(e.title, code).toBe(title);
      expect([...(e.basicCodes as string[])].sort(), code).toEqual([...basic].sort());
    }
  });
  it('says that X.6.10 is a deprecated duplicate of X.6.8', () => {
    const e = byCode.get('X.6.10')!;
    expect(String(e.description)).toMatch(/deprecated/i);
    expect(String(e.description)).toContain('X.6.8');
  });
  for (const e of data.codes) {
    it(`${String(e.code)} is well formed`, () => {
      for (const b of (e.basicCodes as string[]) ?? []) expect(b).toMatch(/^[245][0-9][0-9]$/);
      expect(String(e.source)).toMatch(/^(RFC [0-9]+|draft-[a-z0-9-]+)/);
      textChecks(String(e.code), e);
    });
  }
  it('names every code, class and subject in every language', () => {
    for (const e of [...data.codes, ...data.classes, ...data.subjects] as { i18n?: Record<string, { title?: string }>; title: string }[]) {
      for (const lang of ['fr', 'vi', 'tr', 'hi']) {
        expect(e.i18n?.[lang]?.title, `${e.title} in ${lang}`).toBeTruthy();
        expect(e.i18n![lang]!.title).not.toBe(e.title);
      }
    }
  });
  it('translates at least the most common codes into every language', () => {
    for (const code of ['X.1.1', 'X.2.2', 'X.7.1', 'X.7.26']) {
      const i18n = (byCode.get(code)!.i18n ?? {}) as Record<string, Record<string, string>>;
      for (const lang of ['fr', 'vi', 'tr', 'hi']) {
        for (const f of ['title', 'description', 'when', 'fix']) expect(i18n[lang]?.[f], `${code} ${lang}.${f}`).toBeTruthy();
        expect(i18n[lang]!.description).not.toBe(byCode.get(code)!.description);
      }
    }
  });
});

describe('labels.json', () => {
  const labels = readJson(join(DATA, 'labels.json')) as Record<string, Record<string, string>>;
  // Exactly as the seed pages (shared/seeds/) spell the headings; Hindi's page has no "Learn more".
  const SEED: Record<string, Record<string, string>> = {
    en: { description: 'Description', when: 'When you see it', fix: 'How to fix', keyDifferences: 'Key differences', whenToUseWhich: 'When to use which', learnMore: 'Learn more', 'class.2xx': '2xx Positive Completion', 'class.5xx': '5xx Permanent Negative' },
    fr: { description: 'Description', when: 'Quand vous le voyez', fix: 'Comment résoudre', keyDifferences: 'Différences clés', whenToUseWhich: 'Quand utiliser lequel', learnMore: 'En savoir plus' },
    vi: { description: 'Mô tả', when: 'Khi bạn thấy mã này', fix: 'Cách khắc phục', keyDifferences: 'Sự khác biệt chính', whenToUseWhich: 'Khi nào dùng cái nào', learnMore: 'Tìm hiểu thêm' },
    tr: { description: 'Açıklama', when: 'Gördüğünüzde', fix: 'Nasıl Düzeltilir', keyDifferences: 'Temel Farklar', whenToUseWhich: 'Hangisini Ne Zaman Kullanmalı', learnMore: 'Daha Fazla Öğren' },
    hi: { description: 'विवरण', when: 'जब आप इसे देखें', fix: 'कैसे ठीक करें', keyDifferences: 'मुख्य अंतर', whenToUseWhich: 'कब किसका उपयोग करें' },
  };
  for (const [lang, want] of Object.entries(SEED)) {
    it(`${lang} spells the seed headings exactly as the seeds do`, () => {
      for (const [key, text] of Object.entries(want)) expect(labels[lang]![key], `${lang}.${key}`).toBe(text);
    });
  }
  it('has a name for every reply class in every language, each with its class digits', () => {
    for (const lang of ['en', 'fr', 'vi', 'tr', 'hi']) {
      for (const cls of ['2xx', '3xx', '4xx', '5xx']) expect(labels[lang]![`class.${cls}`], `${lang} class.${cls}`).toMatch(new RegExp(`^${cls} \\S`));
    }
  });
  it('translates only keys that exist in English, with the same placeholders', () => {
    const holes = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
    for (const lang of ['fr', 'vi', 'tr', 'hi']) {
      for (const [key, text] of Object.entries(labels[lang]!)) {
        expect(labels.en, `${lang}.${key} exists in en`).toHaveProperty([key]);
        expect(holes(text), `${lang}.${key} placeholders`).toEqual(holes(labels.en![key]!));
        expect(DOUBLED.exec(text)?.[0], `${lang}.${key} has no doubled word`).toBeUndefined();
      }
    }
  });
});
