// Every data file validates against its schema, and every entry passes the checks a
// schema cannot express: no doubled words, no text cut mid-sentence, class = first digit.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { ROOT } from '../../helpers/cli.js';

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

function textChecks(where: string, entry: Record<string, unknown>): void {
  const texts: [string, string][] = [];
  for (const k of TEXT_FIELDS) if (typeof entry[k] === 'string') texts.push([k, entry[k] as string]);
  for (const [lang, loc] of Object.entries((entry.i18n ?? {}) as Record<string, Record<string, unknown>>)) {
    for (const k of TEXT_FIELDS) if (typeof loc[k] === 'string') texts.push([`${lang}.${k}`, loc[k] as string]);
  }
  for (const [k, t] of texts) {
    expect(t.trim(), `${where} ${k} has no surrounding whitespace`).toBe(t);
    expect(DOUBLED.exec(t)?.[0], `${where} ${k} has no doubled word`).toBeUndefined();
    expect(ENDS_WELL.test(t), `${where} ${k} ends a sentence: "…${t.slice(-30)}"`).toBe(true);
  }
}

describe('reply-codes.json', () => {
  const { codes } = readJson(join(DATA, 'reply-codes.json')) as { codes: Record<string, unknown>[] };
  const REQUIRED = '211 214 220 221 250 251 252 354 421 450 451 452 455 500 501 502 503 504 550 551 552 553 554 555 235 334 432 454 530 534 535 538 521 556'.split(' ');
  it('covers RFC 5321 §4.2 and the STARTTLS/AUTH/RFC 7504 codes, each once', () => {
    const list = codes.map((c) => c.code);
    expect(new Set(list).size).toBe(list.length);
    for (const c of REQUIRED) expect(list, c).toContain(c);
  });
  for (const e of codes) {
    it(`${String(e.code)} is well formed`, () => {
      expect(String(e.class)[0]).toBe(String(e.code)[0]);
      textChecks(String(e.code), e);
      for (const [stage, note] of Object.entries((e.stageNotes ?? {}) as Record<string, string>)) {
        expect(ENDS_WELL.test(note), `${String(e.code)} stageNotes.${stage}`).toBe(true);
      }
    });
  }
});

describe('enhanced-codes.json', () => {
  const data = readJson(join(DATA, 'enhanced-codes.json')) as { codes: Record<string, unknown>[] };
  const registry = readFileSync(join(ROOT, 'fixtures', 'reference', 'iana-enhanced-status-codes.tsv'), 'utf8');
  it('covers every code of the IANA registry plus X.7.29 and X.7.30', () => {
    const list = data.codes.map((c) => c.code);
    expect(new Set(list).size).toBe(list.length);
    const want = registry.split('\n').slice(1).filter(Boolean).map((l) => l.split('\t')[0]);
    for (const c of [...want, 'X.7.29', 'X.7.30']) expect(list, c).toContain(c);
  });
  for (const e of data.codes) {
    it(`${String(e.code)} is well formed`, () => {
      for (const b of (e.basicCodes as string[]) ?? []) expect(b).toMatch(/^[245][0-9][0-9]$/);
      textChecks(String(e.code), e);
    });
  }
});
